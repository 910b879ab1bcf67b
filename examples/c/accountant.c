/*
 * Privacy accounting and planning through the C ABI: the total (epsilon,
 * delta) of a sequence of releases under each composition method, the
 * number of releases that fit a target, and the noise scale for a target.
 * Build and run (from the repository root):
 *
 *   scripts/install.sh --prefix "$PWD/target/prefix"
 *   export PKG_CONFIG_PATH="$PWD/target/prefix/lib/pkgconfig"
 *   cc -Wall -Wextra -Werror -std=c99 examples/c/accountant.c $(pkg-config --cflags --libs ilsprivacy) \
 *      -lm -Wl,-rpath,"$PWD/target/prefix/lib" -o accountant
 *   ./accountant
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"

int main(void) {
    /* 100 Laplace releases at epsilon = 0.1 (sensitivity 1, scale 10). */
    double basic = 0.0, advanced = 0.0, pld = 0.0, best = 0.0;
    EXPECT_STATUS(ilsp_plan_epsilon(ILSP_NOISE_LAPLACE, 1.0, 10.0, 100, 1e-6,
                                    ILSP_ACCOUNTING_BASIC, &basic), ILSP_OK);
    EXPECT_STATUS(ilsp_plan_epsilon(ILSP_NOISE_LAPLACE, 1.0, 10.0, 100, 1e-6,
                                    ILSP_ACCOUNTING_ADVANCED, &advanced), ILSP_OK);
    EXPECT_STATUS(ilsp_plan_epsilon(ILSP_NOISE_LAPLACE, 1.0, 10.0, 100, 1e-6,
                                    ILSP_ACCOUNTING_PLD, &pld), ILSP_OK);
    EXPECT_STATUS(ilsp_plan_epsilon(ILSP_NOISE_LAPLACE, 1.0, 10.0, 100, 1e-6,
                                    ILSP_ACCOUNTING_BEST, &best), ILSP_OK);
    printf("100 x Laplace(eps 0.1), delta 1e-6: basic %.4f, advanced %.4f, PLD %.4f, best %.4f\n",
           basic, advanced, pld, best);
    EXPECT(basic >= 10.0 && basic < 10.0 + 1e-12);
    EXPECT(advanced > 6.308 && advanced < 6.309);
    EXPECT(pld > 4.69 && pld < 4.74);
    EXPECT(best == pld);

    double delta = 0.0;
    EXPECT_STATUS(ilsp_plan_delta(ILSP_NOISE_GAUSSIAN, 1.0, 10.0, 1000, 10.0,
                                  ILSP_ACCOUNTING_ZCDP, &delta), ILSP_OK);
    EXPECT(delta > 0.0337 && delta < 0.0339);

    /* Scale 8 gives epsilon = 0.125 exactly: 8 releases fit in epsilon = 1. (With
       scale 10 only 9 fit: the double nearest 0.1 is slightly above 1/10, and
       this float accountant never rounds a loss down; exact decimal budgets
       are the budget module's job.) */
    uint64_t releases = 0;
    EXPECT_STATUS(ilsp_plan_max_releases(ILSP_NOISE_LAPLACE, 1.0, 8.0, 1.0, 1e-6,
                                         ILSP_ACCOUNTING_BASIC, &releases), ILSP_OK);
    EXPECT(releases == 8);
    /* Tight accounting admits many more releases than basic composition. */
    EXPECT_STATUS(ilsp_plan_max_releases(ILSP_NOISE_LAPLACE, 1.0, 10.0, 4.7, 1e-6,
                                         ILSP_ACCOUNTING_PLD, &releases), ILSP_OK);
    EXPECT(releases >= 95 && releases <= 101);

    double sigma = 0.0;
    EXPECT_STATUS(ilsp_plan_noise_scale(ILSP_NOISE_GAUSSIAN, 1.0, 1000, 19.4236564771063,
                                        1e-6, ILSP_ACCOUNTING_BEST, &sigma), ILSP_OK);
    printf("sigma for 1000 Gaussian releases within (19.42, 1e-6): %.6f\n", sigma);
    EXPECT(sigma > 9.999 && sigma < 10.001);

    /* A mixed sequence through an accountant handle. */
    ilsp_accountant *acc = NULL;
    EXPECT_STATUS(ilsp_accountant_new(&acc), ILSP_OK);
    EXPECT_STATUS(ilsp_accountant_add_noise(acc, ILSP_NOISE_GAUSSIAN, 1.0, 10.0, 500), ILSP_OK);
    EXPECT_STATUS(ilsp_accountant_add_pure_dp(acc, 0.1, 10), ILSP_OK);
    EXPECT_STATUS(ilsp_accountant_add_approximate_dp(acc, 0.5, 1e-8, 2), ILSP_OK);
    EXPECT_STATUS(ilsp_accountant_add_zcdp(acc, 0.01, 3), ILSP_OK);
    double rdp = 0.0, zcdp = 0.0;
    EXPECT_STATUS(ilsp_accountant_epsilon(acc, 1e-6, ILSP_ACCOUNTING_RDP, &rdp), ILSP_OK);
    EXPECT(rdp > 0.0 && isfinite(rdp));
    /* zCDP cannot take the (epsilon, delta > 0) releases; PLD cannot take zCDP ones. */
    EXPECT_STATUS(ilsp_accountant_epsilon(acc, 1e-6, ILSP_ACCOUNTING_ZCDP, &zcdp),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("method zcdp composition does not apply");
    EXPECT_STATUS(ilsp_accountant_epsilon(acc, 1e-6, ILSP_ACCOUNTING_PLD, &zcdp),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_accountant_epsilon(acc, 1e-6, ILSP_ACCOUNTING_BEST, &best), ILSP_OK);
    EXPECT(best <= rdp);
    double d = 0.0;
    EXPECT_STATUS(ilsp_accountant_delta(acc, rdp, ILSP_ACCOUNTING_RDP, &d), ILSP_OK);
    EXPECT(d <= 1e-6 * (1.0 + 1e-6));

    /* Error paths: each names the parameter; outputs stay untouched. */
    double untouched = 42.0;
    EXPECT_STATUS(ilsp_plan_epsilon(ILSP_NOISE_GAUSSIAN, 1.0, NAN, 10, 1e-6,
                                    ILSP_ACCOUNTING_PLD, &untouched), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("scale must be finite and > 0, got NaN");
    EXPECT(untouched == 42.0);
    EXPECT_STATUS(ilsp_plan_epsilon(ILSP_NOISE_GAUSSIAN, 1.0, 1.0, 0, 1e-6,
                                    ILSP_ACCOUNTING_PLD, &untouched), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("releases must be >= 1, got 0");
    EXPECT_STATUS(ilsp_plan_delta(ILSP_NOISE_LAPLACE, 1.0, 1.0, 1, -1.0,
                                  ILSP_ACCOUNTING_BASIC, &untouched), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("epsilon must be finite and >= 0, got -1");
    EXPECT_STATUS(ilsp_plan_max_releases(ILSP_NOISE_LAPLACE, 1.0, 1.0, 1.0, 1.5,
                                         ILSP_ACCOUNTING_BASIC, &releases), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("delta must be in (0, 1), got 1.5");
    EXPECT_STATUS(ilsp_plan_noise_scale(ILSP_NOISE_DISCRETE_LAPLACE, 1.0, 1, 1.0, 1e-6,
                                        ILSP_ACCOUNTING_BASIC, &untouched), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("noise must be");
    EXPECT_STATUS(ilsp_plan_noise_scale(ILSP_NOISE_GAUSSIAN, 1.0, 10, 1.0, 1e-6, 99, &untouched),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("method must be 0..=6, got 99");
    EXPECT(untouched == 42.0);
    EXPECT_STATUS(ilsp_plan_noise_scale(ILSP_NOISE_GAUSSIAN, 1.0, 10, 1.0, 1e-6,
                                        ILSP_ACCOUNTING_BASIC, NULL), ILSP_ERR_NULL);
    EXPECT_STATUS(ilsp_accountant_add_noise(acc, 7, 1.0, 1.0, 1), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_accountant_add_pure_dp(NULL, 1.0, 1), ILSP_ERR_NULL);
    EXPECT_MESSAGE("accountant must not be NULL");
    EXPECT_STATUS(ilsp_accountant_add_approximate_dp(acc, 1.0, 1.0, 1), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_accountant_add_zcdp(acc, 0.01, 0), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_accountant_epsilon(acc, 0.0, ILSP_ACCOUNTING_RDP, &untouched),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_accountant_delta(acc, 1.0, ILSP_ACCOUNTING_RDP, NULL), ILSP_ERR_NULL);
    EXPECT_STATUS(ilsp_accountant_new(NULL), ILSP_ERR_NULL);
    ilsp_accountant_free(acc);
    ilsp_accountant_free(NULL);

    return finish("accountant");
}
