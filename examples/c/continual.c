/*
 * Continual release of a running count and amplification by sampling
 * through the C ABI: a weekly loan counter charged once for the whole year,
 * its error bound, and the accounting and planning of Gaussian releases on
 * Poisson samples. Build and run (from the repository root):
 *
 *   scripts/install.sh --prefix "$PWD/target/prefix"
 *   export PKG_CONFIG_PATH="$PWD/target/prefix/lib/pkgconfig"
 *   cc -Wall -Wextra -Werror -std=c99 examples/c/continual.c $(pkg-config --cflags --libs ilsprivacy) \
 *      -lm -Wl,-rpath,"$PWD/target/prefix/lib" -o continual
 *   ./continual
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"

int main(void) {
    ilsp_budget *budget = NULL;
    EXPECT_STATUS(ilsp_budget_open(NULL, &budget), ILSP_OK);
    EXPECT_STATUS(ilsp_budget_set_limit(budget, "circulation", 1.0, 0.0), ILSP_OK);

    /* 52 weeks; a patron's loans add at most 4 to the whole year; epsilon 0.5. */
    ilsp_counter *weekly = NULL;
    EXPECT_STATUS(ilsp_counter_new_laplace(52, 4, 0.5, &weekly), ILSP_OK);
    double bound = 0.0;
    EXPECT_STATUS(ilsp_counter_error_bound(weekly, 0.05, &bound), ILSP_OK);
    EXPECT(bound > 0.0 && isfinite(bound));
    /* One charge for all 52 weeks, before the first one is released. */
    EXPECT_STATUS(ilsp_budget_start_counter(budget, "circulation", weekly), ILSP_OK);
    double spent_eps = 0.0, spent_delta = 0.0;
    EXPECT_STATUS(ilsp_budget_spent(budget, "circulation", &spent_eps, &spent_delta), ILSP_OK);
    EXPECT(spent_eps == 0.5 && spent_delta == 0.0);
    int64_t total = 0;
    for (int week = 0; week < 52; week++) {
        EXPECT_STATUS(ilsp_counter_push(weekly, 100 + week % 7, &total), ILSP_OK);
    }
    /* Published: noisy running totals and parameters only. */
    printf("running total after 52 weeks (noisy): %lld; 95%% error bound over the year: %.0f\n",
           (long long)total, bound);
    EXPECT_STATUS(ilsp_counter_push(weekly, 1, &total), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("periods");
    /* Charging after release is refused; nothing more is spent. */
    EXPECT_STATUS(ilsp_budget_start_counter(budget, "circulation", weekly), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_budget_spent(budget, "circulation", &spent_eps, &spent_delta), ILSP_OK);
    EXPECT(spent_eps == 0.5);
    ilsp_counter_free(weekly);
    ilsp_counter_free(NULL);

    /* A zCDP counter on a basic account is refused (no (epsilon, delta)). */
    ilsp_counter *monthly = NULL;
    EXPECT_STATUS(ilsp_counter_new_gaussian(120, 1, 0.05, &monthly), ILSP_OK);
    EXPECT_STATUS(ilsp_budget_start_counter(budget, "circulation", monthly), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_counter_push(monthly, 3, &total), ILSP_OK);
    EXPECT_STATUS(ilsp_counter_push(NULL, 3, &total), ILSP_ERR_NULL);
    EXPECT_STATUS(ilsp_counter_push(monthly, 3, NULL), ILSP_ERR_NULL);
    ilsp_counter_free(monthly);
    EXPECT_STATUS(ilsp_counter_new_laplace(0, 1, 1.0, &monthly), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_counter_new_gaussian(10, 1, -1.0, &monthly), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_counter_new_laplace(10, 1, 1.0, NULL), ILSP_ERR_NULL);
    ilsp_budget_free(budget);

    /* 1000 Gaussian releases (sigma 1) on 1% Poisson samples: RDP credits the sampling. */
    ilsp_accountant *acc = NULL;
    EXPECT_STATUS(ilsp_accountant_new(&acc), ILSP_OK);
    EXPECT_STATUS(ilsp_accountant_add_sampled_noise(acc, ILSP_NOISE_GAUSSIAN, 1.0, 1.0, 0.01, 1000),
                  ILSP_OK);
    double eps = 0.0;
    EXPECT_STATUS(ilsp_accountant_epsilon(acc, 1e-5, ILSP_ACCOUNTING_RDP, &eps), ILSP_OK);
    printf("1000 x Gaussian(sigma 1) on 1%% samples, delta 1e-5: RDP epsilon %.4f\n", eps);
    EXPECT(eps > 2.10 && eps < 2.13); /* dp_accounting: 2.1014 */
    EXPECT_STATUS(ilsp_accountant_add_sampled_noise(acc, ILSP_NOISE_GAUSSIAN, 1.0, 1.0, 1.5, 1),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("rate");
    EXPECT_STATUS(ilsp_accountant_add_sampled_noise(acc, ILSP_NOISE_DISCRETE_LAPLACE, 1.0, 1.0, 0.5, 1),
                  ILSP_ERR_INVALID_ARGUMENT);
    ilsp_accountant_free(acc);

    double sigma = 0.0, scale = 0.0;
    EXPECT_STATUS(ilsp_plan_sampled_noise_scale(ILSP_NOISE_GAUSSIAN, 1.0, 0.01, 1000, 2.0, 1e-5,
                                                ILSP_ACCOUNTING_BEST, &sigma), ILSP_OK);
    printf("sigma for epsilon 2 over 1000 releases on 1%% samples: %.4f\n", sigma);
    EXPECT(sigma > 0.9 && sigma < 1.1);
    EXPECT_STATUS(ilsp_plan_sampled_noise_scale(ILSP_NOISE_LAPLACE, 1.0, 0.01, 1000, 2.0, 1e-5,
                                                ILSP_ACCOUNTING_BEST, &scale), ILSP_OK);
    printf("Laplace scale for the same target: %.4f\n", scale);
    EXPECT(scale > 0.0 && scale < 100.0);
    EXPECT_STATUS(ilsp_plan_sampled_noise_scale(ILSP_NOISE_GAUSSIAN, 1.0, 0.01, 1000, 2.0, 1e-5,
                                                ILSP_ACCOUNTING_PLD, &sigma), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_plan_sampled_noise_scale(ILSP_NOISE_DISCRETE_LAPLACE, 1.0, 0.01, 1000, 2.0,
                                                1e-5, ILSP_ACCOUNTING_RDP, &sigma),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_plan_sampled_noise_scale(ILSP_NOISE_GAUSSIAN, 1.0, 0.01, 1000, 2.0, 1e-5,
                                                ILSP_ACCOUNTING_RDP, NULL), ILSP_ERR_NULL);
    return finish("continual");
}
