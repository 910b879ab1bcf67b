/*
 * Noise mechanisms through the C ABI: float Laplace and Gaussian (on a
 * power-of-two grid, float-safe), their integer forms, the batch form, and
 * every error path. Build and run (from the repository root):
 *
 *   scripts/install.sh --prefix "$PWD/target/prefix"
 *   export PKG_CONFIG_PATH="$PWD/target/prefix/lib/pkgconfig"
 *   cc -Wall -Wextra -Werror -std=c99 examples/c/mechanisms.c $(pkg-config --cflags --libs ilsprivacy) \
 *      -lm -Wl,-rpath,"$PWD/target/prefix/lib" -o mechanisms
 *   ./mechanisms
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"

/* Whether x is an integer multiple of 2^-40 (the grid for sensitivity 1, epsilon 1). */
static int on_grid(double x) {
    double scaled = ldexp(x, 40);
    return scaled == floor(scaled);
}

int main(void) {
    double out = 0.0;
    int64_t iout = 0;

    /* A noisy count: epsilon = 1, one patron changes the count by at most 1. */
    EXPECT_STATUS(ilsp_laplace(120.0, 1.0, 1.0, &out), ILSP_OK);
    printf("laplace(120) = %.3f\n", out);
    EXPECT(fabs(out - 120.0) < 60.0); /* fails with probability e^-60 */
    EXPECT(on_grid(out));

    /* Neighbouring inputs 0 and 1 land on the same grid: nothing in the
       low-order bits tells them apart (Mironov 2012). */
    for (int i = 0; i < 200; i++) {
        double a, b;
        EXPECT_STATUS(ilsp_laplace(0.0, 1.0, 1.0, &a), ILSP_OK);
        EXPECT_STATUS(ilsp_laplace(1.0, 1.0, 1.0, &b), ILSP_OK);
        EXPECT(on_grid(a) && on_grid(b));
    }

    EXPECT_STATUS(ilsp_gaussian(42.5, 1.0, 1.0, 1e-6, &out), ILSP_OK);
    printf("gaussian(42.5) = %.3f\n", out);
    EXPECT(isfinite(out));

    EXPECT_STATUS(ilsp_laplace_i64(1000, 1, 0.5, &iout), ILSP_OK);
    printf("laplace_i64(1000) = %lld\n", (long long)iout);
    EXPECT_STATUS(ilsp_gaussian_i64(1000, 1, 0.5, 1e-6, &iout), ILSP_OK);
    printf("gaussian_i64(1000) = %lld\n", (long long)iout);

    /* Near INT64_MAX the result clamps instead of failing. */
    EXPECT_STATUS(ilsp_laplace_i64(INT64_MAX, 1, 0.001, &iout), ILSP_OK);

    /* Batch: separate arrays, then in place. */
    double values[4] = {1.0, 2.0, 3.0, 4.0};
    double noisy[4] = {0.0, 0.0, 0.0, 0.0};
    EXPECT_STATUS(ilsp_laplace_batch(values, 4, 1.0, 1.0, noisy), ILSP_OK);
    EXPECT(values[0] == 1.0 && noisy[0] != 0.0);
    EXPECT_STATUS(ilsp_laplace_batch(values, 4, 1.0, 1.0, values), ILSP_OK);
    EXPECT_STATUS(ilsp_laplace_batch(NULL, 0, 1.0, 1.0, NULL), ILSP_OK);
    EXPECT_STATUS(ilsp_gaussian_batch(values, 4, 1.0, 1.0, 1e-6, noisy), ILSP_OK);
    EXPECT_STATUS(ilsp_gaussian_batch(values, 4, 1.0, 1.0, 1e-6, values), ILSP_OK);
    EXPECT_STATUS(ilsp_gaussian_batch(values, 4, 1.0, 1.0, 2.0, noisy), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("delta must be in (0, 1), got 2");
    EXPECT_STATUS(ilsp_gaussian_batch(NULL, 4, 1.0, 1.0, 1e-6, noisy), ILSP_ERR_NULL);
    EXPECT_STATUS(ilsp_gaussian_batch(values, 3, 1.0, 1.0, 1e-6, values + 1), ILSP_ERR_INVALID_ARGUMENT);

    /* Error paths: status, message naming the parameter, output untouched. */
    out = 7.0;
    EXPECT_STATUS(ilsp_laplace(NAN, 1.0, 1.0, &out), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("value must be finite (got NaN or ±inf)");
    EXPECT(out == 7.0);
    EXPECT_STATUS(ilsp_laplace(INFINITY, 1.0, 1.0, &out), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_laplace(1e300, 1.0, 1.0, &out), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("value is too large for this mechanism's noise grid");
    EXPECT_STATUS(ilsp_laplace(1.0, 1.0, 0.0, &out), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("epsilon must be finite and > 0, got 0");
    EXPECT_STATUS(ilsp_laplace(1.0, 1.0, NAN, &out), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("epsilon must be finite and > 0, got NaN");
    EXPECT_STATUS(ilsp_laplace(1.0, -2.0, 1.0, &out), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("sensitivity must be finite and > 0, got -2");
    EXPECT_STATUS(ilsp_laplace(1.0, 1.0, 1.0, NULL), ILSP_ERR_NULL);
    EXPECT_MESSAGE("out must not be NULL");

    EXPECT_STATUS(ilsp_gaussian(1.0, 1.0, 1.0, 0.0, &out), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("delta must be in (0, 1), got 0");
    EXPECT_STATUS(ilsp_gaussian(1.0, 1.0, 1.0, 1.0, &out), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("delta must be in (0, 1), got 1");
    EXPECT_STATUS(ilsp_gaussian(1.0, 0.0, 1.0, 1e-6, &out), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("l2_sensitivity must be finite and > 0, got 0");
    EXPECT_STATUS(ilsp_gaussian(NAN, 1.0, 1.0, 1e-6, &out), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_gaussian(1.0, 1.0, 1.0, 1e-6, NULL), ILSP_ERR_NULL);

    EXPECT_STATUS(ilsp_laplace_i64(1, 0, 1.0, &iout), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("sensitivity must be > 0, got 0");
    EXPECT_STATUS(ilsp_laplace_i64(1, 1, -1.0, &iout), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_laplace_i64(1, 1, 1.0, NULL), ILSP_ERR_NULL);
    EXPECT_STATUS(ilsp_gaussian_i64(1, -1, 1.0, 1e-6, &iout), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("l2_sensitivity must be > 0, got -1");
    EXPECT_STATUS(ilsp_gaussian_i64(1, 1, 1.0, 2.0, &iout), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_gaussian_i64(1, 1, 1.0, 1e-6, NULL), ILSP_ERR_NULL);

    double bad[2] = {1.0, NAN};
    noisy[0] = noisy[1] = 5.0;
    EXPECT_STATUS(ilsp_laplace_batch(bad, 2, 1.0, 1.0, noisy), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("values must be finite");
    EXPECT(noisy[0] == 5.0 && noisy[1] == 5.0);
    EXPECT_STATUS(ilsp_laplace_batch(NULL, 2, 1.0, 1.0, noisy), ILSP_ERR_NULL);
    EXPECT_MESSAGE("values must not be NULL");
    EXPECT_STATUS(ilsp_laplace_batch(values, 2, 1.0, 1.0, NULL), ILSP_ERR_NULL);
    EXPECT_STATUS(ilsp_laplace_batch(values, 3, 1.0, 1.0, values + 1), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("out must be equal to values or not overlap it");

    /* Randomized response: a yes/no answer (binary) and a 5-way category. */
    uint64_t answer = 99;
    EXPECT_STATUS(ilsp_randomized_response(1, 2, 1.0, &answer), ILSP_OK);
    EXPECT(answer <= 1);
    EXPECT_STATUS(ilsp_randomized_response(4, 5, 0.5, &answer), ILSP_OK);
    EXPECT(answer < 5);
    answer = 99;
    EXPECT_STATUS(ilsp_randomized_response(5, 5, 0.5, &answer), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("value must be < categories (5)");
    EXPECT(answer == 99);
    EXPECT_STATUS(ilsp_randomized_response(0, 1, 0.5, &answer), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("categories must be >= 2, got 1");
    EXPECT_STATUS(ilsp_randomized_response(0, 2, -1.0, &answer), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("epsilon must be finite and > 0, got -1");
    EXPECT_STATUS(ilsp_randomized_response(0, 2, 1.0, NULL), ILSP_ERR_NULL);

    /* A private 90th percentile of loan counts, to choose a clamping bound. */
    double loans[200];
    for (int i = 0; i < 200; i++) loans[i] = (double)(i % 50);
    double p90 = -1.0;
    EXPECT_STATUS(ilsp_quantile(loans, 200, 0.9, 0.0, 100.0, 100, 1.0, &p90), ILSP_OK);
    printf("private p90 of loans = %.1f\n", p90);
    EXPECT(p90 >= 0.0 && p90 <= 100.0);
    EXPECT_STATUS(ilsp_quantile(loans, 200, 1.5, 0.0, 100.0, 100, 1.0, &p90), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("quantile must be in [0, 1], got 1.5");
    EXPECT_STATUS(ilsp_quantile(loans, 200, 0.5, 10.0, 0.0, 100, 1.0, &p90), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("lo must be <= hi, got lo = 10 > hi = 0");
    EXPECT_STATUS(ilsp_quantile(loans, 200, 0.5, 0.0, 100.0, 0, 1.0, &p90), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("bins must be in [1, 1048576], got 0");
    EXPECT_STATUS(ilsp_quantile(loans, 200, 0.5, 0.0, 100.0, 10, 0.0, &p90), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_quantile(NULL, 3, 0.5, 0.0, 100.0, 10, 1.0, &p90), ILSP_ERR_NULL);
    EXPECT_STATUS(ilsp_quantile(loans, 200, 0.5, 0.0, 100.0, 10, 1.0, NULL), ILSP_ERR_NULL);
    loans[3] = NAN;
    EXPECT_STATUS(ilsp_quantile(loans, 200, 0.5, 0.0, 100.0, 10, 1.0, &p90), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("values must not contain NaN");

    /* Norm clipping of a per-patron vector before a Gaussian sum. */
    double v[2] = {3.0, -4.0};
    double factor = 0.0;
    EXPECT_STATUS(ilsp_clip_l2(v, 2, 1.0, &factor), ILSP_OK);
    EXPECT(v[0] * v[0] + v[1] * v[1] <= 1.0 && factor < 0.21);
    EXPECT_STATUS(ilsp_clip_l1(v, 2, 0.5, &factor), ILSP_OK);
    EXPECT(fabs(v[0]) + fabs(v[1]) <= 0.5);
    EXPECT_STATUS(ilsp_clip_l1(v, 2, 0.0, &factor), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("bound must be finite and > 0, got 0");
    EXPECT_STATUS(ilsp_clip_l2(NULL, 2, 1.0, &factor), ILSP_ERR_NULL);
    EXPECT_STATUS(ilsp_clip_l2(v, 2, 1.0, NULL), ILSP_ERR_NULL);
    v[1] = INFINITY;
    EXPECT_STATUS(ilsp_clip_l2(v, 2, 1.0, &factor), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("values must be finite");

    return finish("mechanisms");
}
