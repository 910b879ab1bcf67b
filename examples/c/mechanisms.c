/*
 * Noise mechanisms through the C ABI: float Laplace and Gaussian (on a
 * power-of-two grid, float-safe), their integer forms, the batch form, and
 * every error path. Build and run (from the repository root):
 *
 *   cargo build --release
 *   cc -Wall -Wextra -Werror -std=c99 -Iinclude examples/c/mechanisms.c \
 *      -Ltarget/release -lilsprivacy -lm -Wl,-rpath,"$PWD/target/release" -o mechanisms
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

    return finish("mechanisms");
}
