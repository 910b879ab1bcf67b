/*
 * Budget governance from C: pre-approved query templates, suspending an
 * account, a dry run against the ledger, correlation IDs, a burn-rate plan
 * and the Prometheus metrics text. Every refusal leaves the ledger file
 * byte-identical and releases nothing.
 * Build and run (from the repository root):
 *
 *   scripts/install.sh --prefix "$PWD/target/prefix"
 *   export PKG_CONFIG_PATH="$PWD/target/prefix/lib/pkgconfig"
 *   cc -Wall -Wextra -Werror -std=c99 examples/c/governance.c $(pkg-config --cflags --libs ilsprivacy) \
 *      -Wl,-rpath,"$PWD/target/prefix/lib" -o governance
 *   ./governance
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define LEDGER "governance-example.ledger"
#define ACCOUNT "branch-7/loans"

/* The ledger's bytes (caller frees), or NULL. */
static char *read_ledger(long *len) {
    FILE *f = fopen(LEDGER, "rb");
    char *bytes = NULL;
    if (f == NULL) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (*len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        bytes = malloc((size_t)*len + 1);
        if (bytes != NULL && fread(bytes, 1, (size_t)*len, f) != (size_t)*len) {
            free(bytes);
            bytes = NULL;
        }
    }
    fclose(f);
    return bytes;
}

/* Fails unless the ledger still holds exactly `before` (`len` bytes). */
static void expect_unchanged(const char *before, long len) {
    long now_len = -1;
    char *now = read_ledger(&now_len);
    EXPECT(now != NULL && now_len == len && memcmp(now, before, (size_t)len) == 0);
    free(now);
}

static void templates_and_suspension(ilsp_budget *b) {
    EXPECT_STATUS(ilsp_budget_set_limit_with_reason(b, ACCOUNT, 1.0, 0.0, "2026 plan"), ILSP_OK);
    EXPECT_STATUS(ilsp_budget_set_template(
                      b, ACCOUNT,
                      "{\"name\":\"monthly-loans\",\"mechanism\":\"laplace\","
                      "\"max_sensitivity\":1.001,\"epsilon\":[0.05,0.25]}",
                      "approved by the privacy board"),
                  ILSP_OK);
    EXPECT_STATUS(ilsp_budget_set_template(b, ACCOUNT, "{\"name\":\"bad name\"}", NULL),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_budget_set_templates_only(b, ACCOUNT, 1, "templated spends only"), ILSP_OK);

    long len = 0;
    char *before = read_ledger(&len);
    EXPECT(before != NULL);
    double out = -1.0;
    /* epsilon 0.5 is outside the template's range: refused, nothing recorded or released. */
    EXPECT_STATUS(ilsp_budget_laplace(b, ACCOUNT, 120.0, 1.0, 0.5, &out), ILSP_ERR_TEMPLATE_MISMATCH);
    EXPECT_MESSAGE("epsilon 0.5 is above its maximum 0.25");
    /* A plain spend names no mechanism, so it cannot match a Laplace template. */
    uint64_t seq = 0;
    EXPECT_STATUS(ilsp_budget_spend(b, ACCOUNT, 0.1, 0.0, &seq), ILSP_ERR_TEMPLATE_MISMATCH);
    EXPECT(out == -1.0);
    expect_unchanged(before, len);
    free(before);
    EXPECT_STATUS(ilsp_budget_laplace(b, ACCOUNT, 120.0, 1.0, 0.2, &out), ILSP_OK);
    printf("templated release: %.1f (noisy)\n", out);

    EXPECT_STATUS(ilsp_budget_suspend(b, ACCOUNT, "incident 42: export under review"), ILSP_OK);
    before = read_ledger(&len);
    out = -1.0;
    EXPECT_STATUS(ilsp_budget_laplace(b, ACCOUNT, 120.0, 1.0, 0.2, &out), ILSP_ERR_ACCOUNT_SUSPENDED);
    EXPECT_MESSAGE("incident 42");
    EXPECT(out == -1.0);
    expect_unchanged(before, len);
    free(before);
    int32_t suspended = 0, templates_only = 0, burn_alerted = 1;
    uint64_t burn_alerts = 9;
    EXPECT_STATUS(ilsp_budget_governance_status(b, ACCOUNT, &suspended, &templates_only,
                                                &burn_alerted, &burn_alerts),
                  ILSP_OK);
    EXPECT(suspended == 1 && templates_only == 1 && burn_alerted == 0 && burn_alerts == 0);
    EXPECT_STATUS(ilsp_budget_resume(b, ACCOUNT, "review closed"), ILSP_OK);
    EXPECT_STATUS(ilsp_budget_remove_template(b, ACCOUNT, "monthly-loans", "retired"), ILSP_OK);
    EXPECT_STATUS(ilsp_budget_set_templates_only(b, ACCOUNT, 0, "open again"), ILSP_OK);
}

/* 0.1 + 0.2 against a limit of 0.3: fits exactly; 1e-12 more does not. */
static void dry_run(ilsp_budget *b) {
    EXPECT_STATUS(ilsp_budget_set_limit(b, "branch-7/holds", 0.3, 0.0), ILSP_OK);
    long len = 0;
    char *before = read_ledger(&len);
    const char *accounts[] = {"branch-7/holds", "branch-7/holds", "branch-7/holds"};
    const double epsilons[] = {0.1, 0.2, 1e-12};
    const double deltas[] = {0.0, 0.0, 0.0};
    int32_t statuses[3] = {-1, -1, -1};
    int32_t all_fit = -1;
    EXPECT_STATUS(ilsp_budget_check_spends(b, accounts, epsilons, deltas, 2, statuses, &all_fit), ILSP_OK);
    EXPECT(all_fit == 1 && statuses[0] == ILSP_OK && statuses[1] == ILSP_OK);
    EXPECT_STATUS(ilsp_budget_check_spends(b, accounts, epsilons, deltas, 3, statuses, &all_fit), ILSP_OK);
    EXPECT(all_fit == 0 && statuses[2] == ILSP_ERR_BUDGET_EXHAUSTED);
    expect_unchanged(before, len);
    free(before);
    printf("dry run: 0.1 + 0.2 fits 0.3; a third spend of 1e-12 would not\n");
}

static void correlation_burn_and_metrics(ilsp_budget *b) {
    uint64_t seq = 0;
    EXPECT_STATUS(ilsp_budget_spend_correlated(b, ACCOUNT, 0.01, 0.0, "ils-job:2026-12-03.7", &seq), ILSP_OK);
    EXPECT_STATUS(ilsp_budget_spend_correlated(b, ACCOUNT, 0.01, 0.0, "patron 12345", &seq),
                  ILSP_ERR_INVALID_ARGUMENT);
    /* 1.0 a year spread evenly is about 0.0028 a day; alert past 3x in a day. */
    EXPECT_STATUS(ilsp_budget_set_burn_plan(b, ACCOUNT, 1.0 / 365.0, 86400, 3.0), ILSP_OK);
    EXPECT_STATUS(ilsp_budget_spend(b, ACCOUNT, 0.01, 0.0, &seq), ILSP_OK);
    int32_t suspended = 1, templates_only = 1, burn_alerted = 0;
    uint64_t burn_alerts = 0;
    EXPECT_STATUS(ilsp_budget_governance_status(b, ACCOUNT, &suspended, &templates_only,
                                                &burn_alerted, &burn_alerts),
                  ILSP_OK);
    EXPECT(suspended == 0 && burn_alerted == 1 && burn_alerts == 1);

    size_t len = 0;
    EXPECT_STATUS(ilsp_budget_metrics(b, NULL, 0, &len), ILSP_ERR_BUFFER_TOO_SMALL);
    char *text = malloc(len);
    EXPECT(text != NULL);
    if (text != NULL) {
        EXPECT_STATUS(ilsp_budget_metrics(b, text, len, &len), ILSP_OK);
        EXPECT(strstr(text, "ilsprivacy_ledger_integrity_ok 1\n") != NULL);
        EXPECT(strstr(text, "ilsprivacy_budget_alerts_total{account=\"" ACCOUNT "\",kind=\"burn_rate\"} 1\n") != NULL);
        EXPECT(strstr(text, "ilsprivacy_budget_refusals_total{account=\"" ACCOUNT "\"} 3\n") != NULL);
        printf("metrics: %zu bytes of Prometheus text\n", len);
        free(text);
    }
}

int main(void) {
    remove(LEDGER);
    ilsp_budget *b = NULL;
    EXPECT_STATUS(ilsp_budget_open(LEDGER, &b), ILSP_OK);
    templates_and_suspension(b);
    dry_run(b);
    correlation_burn_and_metrics(b);
    ilsp_budget_free(b);
    remove(LEDGER);
    return finish("governance");
}
