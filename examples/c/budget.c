/*
 * The privacy budget from C: accounts with exact limits, spends that are
 * recorded before anything is released, a zCDP account, alerts, period
 * policies, and a tamper-evident ledger file shared by handles and processes.
 * Build and run (from the repository root):
 *
 *   scripts/install.sh --prefix "$PWD/target/prefix"
 *   export PKG_CONFIG_PATH="$PWD/target/prefix/lib/pkgconfig"
 *   cc -Wall -Wextra -Werror -std=c99 examples/c/budget.c $(pkg-config --cflags --libs ilsprivacy) \
 *      -Wl,-rpath,"$PWD/target/prefix/lib" -o budget
 *   ./budget
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define LEDGER "budget-example.ledger"

/* Exact limits: 0.1 + 0.2 fits a limit of 0.3 exactly; 1e-12 more does not. */
static void exact_limits(void) {
    ilsp_budget *b = NULL;
    EXPECT_STATUS(ilsp_budget_open(NULL, &b), ILSP_OK); /* in memory only */
    EXPECT_STATUS(ilsp_budget_set_limit(b, "branch-7/loans", 0.3, 0.0), ILSP_OK);

    uint64_t seq = 0;
    EXPECT_STATUS(ilsp_budget_spend(b, "branch-7/loans", 0.1, 0.0, &seq), ILSP_OK);
    EXPECT_STATUS(ilsp_budget_spend(b, "branch-7/loans", 0.2, 0.0, &seq), ILSP_OK);
    EXPECT(seq == 3);
    seq = 42;
    EXPECT_STATUS(ilsp_budget_spend(b, "branch-7/loans", 1e-12, 0.0, &seq),
                  ILSP_ERR_BUDGET_EXHAUSTED);
    EXPECT_MESSAGE("spent epsilon 0.3 of 0.3");
    EXPECT(seq == 42); /* outputs are written only on success */

    double eps = -1.0, delta = -1.0, rho = -1.0;
    EXPECT_STATUS(ilsp_budget_spent(b, "branch-7/loans", &eps, &delta), ILSP_OK);
    EXPECT(eps == 0.3 && delta == 0.0);
    EXPECT_STATUS(ilsp_budget_remaining(b, "branch-7/loans", &eps, &delta, &rho), ILSP_OK);
    EXPECT(eps == 0.0 && delta == 0.0 && rho == 0.0);

    /* 0.3 of 0.3 is past the default 80% alert threshold. */
    int32_t alerted = 0;
    double used = 0.0;
    EXPECT_STATUS(ilsp_budget_alert_status(b, "branch-7/loans", &alerted, &used), ILSP_OK);
    EXPECT(alerted == 1 && used == 1.0);

    /* Spend, then release: the mechanism and the value are checked, the spend
       is recorded, and only then is noise drawn. */
    double noisy = -1.0;
    EXPECT_STATUS(ilsp_budget_set_limit(b, "branch-7/visits", 1.0, 1e-6), ILSP_OK);
    EXPECT_STATUS(ilsp_budget_laplace(b, "branch-7/visits", 1234.0, 1.0, 0.5, &noisy), ILSP_OK);
    EXPECT(isfinite(noisy));
    EXPECT_STATUS(ilsp_budget_gaussian(b, "branch-7/visits", 1234.0, 1.0, 0.5, 1e-6, &noisy), ILSP_OK);
    EXPECT(isfinite(noisy));
    noisy = 42.0;
    EXPECT_STATUS(ilsp_budget_laplace(b, "branch-7/visits", 1234.0, 1.0, 0.01, &noisy),
                  ILSP_ERR_BUDGET_EXHAUSTED);
    EXPECT(noisy == 42.0); /* refused: nothing released */
    /* Bad parameters are refused before anything is spent. */
    EXPECT_STATUS(ilsp_budget_set_limit(b, "branch-8/visits", 1.0, 1e-6), ILSP_OK);
    EXPECT_STATUS(ilsp_budget_laplace(b, "branch-8/visits", 1.0, 1.0, NAN, &noisy),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("epsilon must be finite");
    EXPECT_STATUS(ilsp_budget_gaussian(b, "branch-8/visits", 1.0, 1.0, 0.5, 0.0, &noisy),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_budget_laplace(b, "branch-8/visits", 1.0, 1.0, 0.5, NULL), ILSP_ERR_NULL);
    EXPECT_STATUS(ilsp_budget_spent(b, "branch-8/visits", &eps, &delta), ILSP_OK);
    EXPECT(eps == 0.0 && delta == 0.0);
    /* A value outside the mechanism's domain is never refused (a refusal
       would depend on the data): NaN is released as 0 plus noise, charged. */
    EXPECT_STATUS(ilsp_budget_laplace(b, "branch-8/visits", NAN, 1.0, 0.5, &noisy), ILSP_OK);
    EXPECT(isfinite(noisy));
    EXPECT_STATUS(ilsp_budget_spent(b, "branch-8/visits", &eps, &delta), ILSP_OK);
    EXPECT(eps == 0.5);

    /* An account nobody configured has no limit and refuses every spend. */
    EXPECT_STATUS(ilsp_budget_spend(b, "typo/loans", 0.1, 0.0, &seq), ILSP_ERR_BUDGET_EXHAUSTED);
    EXPECT_STATUS(ilsp_budget_spent(b, "typo/loans", &eps, &delta), ILSP_ERR_INVALID_ARGUMENT);

    /* The ring of recent events (telemetry): JSON lines, never values. */
    size_t len = 0;
    EXPECT_STATUS(ilsp_budget_recent_events(b, NULL, 0, &len), ILSP_ERR_BUFFER_TOO_SMALL);
    char *events = malloc(len); /* len: the capacity needed, NUL included */
    EXPECT(events != NULL);
    if (events != NULL) {
        EXPECT_STATUS(ilsp_budget_recent_events(b, events, len, &len), ILSP_OK);
        EXPECT(strstr(events, "\"kind\":\"refused\"") != NULL);
        free(events);
    }
    /* An in-memory budget has no ledger to export. */
    EXPECT_STATUS(ilsp_budget_ledger_export(b, NULL, 0, &len), ILSP_ERR_INVALID_ARGUMENT);
    ilsp_budget_free(b);
}

/* Bad input: documented status codes, never a crash. */
static void bad_input(void) {
    ilsp_budget *b = NULL;
    uint64_t seq = 0;
    double eps = 0.0, delta = 0.0;
    EXPECT_STATUS(ilsp_budget_open(NULL, &b), ILSP_OK);
    EXPECT_STATUS(ilsp_budget_set_limit(NULL, "a", 1.0, 0.0), ILSP_ERR_NULL);
    EXPECT_MESSAGE("budget must not be NULL");
    EXPECT_STATUS(ilsp_budget_set_limit(b, NULL, 1.0, 0.0), ILSP_ERR_NULL);
    EXPECT_STATUS(ilsp_budget_set_limit(b, "a", NAN, 0.0), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("epsilon must be finite and >= 0, got NaN");
    EXPECT_STATUS(ilsp_budget_set_limit(b, "a", -0.5, 0.0), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_budget_set_limit(b, "a", 1.0, 1.0), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("delta must be in [0, 1), got 1");
    EXPECT_STATUS(ilsp_budget_set_limit(b, "bad\xff", 1.0, 0.0), ILSP_ERR_ENCODING);
    EXPECT_STATUS(ilsp_budget_set_limit(b, "", 1.0, 0.0), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_budget_set_limit_with_reason(b, "a", 1.0, 0.0, "tab\tok, bell\a not"),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_budget_set_limit(b, "a", 1.0, 0.0), ILSP_OK);
    EXPECT_STATUS(ilsp_budget_spend(b, "a", INFINITY, 0.0, &seq), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_budget_spend(b, "a", 0.1, 0.0, NULL), ILSP_ERR_NULL);
    EXPECT_STATUS(ilsp_budget_spent(b, "a", NULL, &delta), ILSP_ERR_NULL);
    EXPECT_STATUS(ilsp_budget_spent_rho(b, "a", &eps), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_budget_set_composition(b, "a", 99), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_budget_set_period(b, "a", 99), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_budget_set_alert_threshold(b, "a", 0.0), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_budget_set_limit_rho(b, "a", 0.5, NULL), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("zCDP");
    ilsp_budget_free(b);
    ilsp_budget_free(NULL); /* a no-op */

    /* A ledger in a directory that does not exist. */
    ilsp_budget *none = NULL;
    EXPECT_STATUS(ilsp_budget_open("/nonexistent/ilsprivacy/ledger", &none), ILSP_ERR_IO);
    EXPECT(none == NULL);
    EXPECT_STATUS(ilsp_budget_open(NULL, NULL), ILSP_ERR_NULL);
}

/* A ledger file, a zCDP account, adjustments with reasons, a second handle. */
static void ledger_file(void) {
    remove(LEDGER);
    ilsp_budget *b = NULL;
    EXPECT_STATUS(ilsp_budget_open(LEDGER, &b), ILSP_OK);

    /* Gaussian-heavy work: zCDP composition, enforced for (eps, delta) = (1, 1e-6)
       through the largest rho the CKS20 bound allows. */
    EXPECT_STATUS(ilsp_budget_set_composition(b, "tenant/gaussian", ILSP_COMPOSITION_ZCDP), ILSP_OK);
    EXPECT_STATUS(ilsp_budget_set_limit_with_reason(b, "tenant/gaussian", 1.0, 1e-6,
                                                    "2026 analytics plan"),
                  ILSP_OK);
    uint64_t seq = 0;
    EXPECT_STATUS(ilsp_budget_spend_rho(b, "tenant/gaussian", 0.01, &seq), ILSP_OK);
    EXPECT_STATUS(ilsp_budget_spend(b, "tenant/gaussian", 0.1, 1e-9, &seq),
                  ILSP_ERR_INVALID_ARGUMENT); /* an (eps, delta) charge has no rho */
    double rho = 0.0, eps = 0.0, delta = 0.0;
    EXPECT_STATUS(ilsp_budget_spent_rho(b, "tenant/gaussian", &rho), ILSP_OK);
    EXPECT(rho == 0.01);
    EXPECT_STATUS(ilsp_budget_spent(b, "tenant/gaussian", &eps, &delta), ILSP_OK);
    EXPECT(eps > 0.6216 && eps < 0.6218 && delta == 1e-6); /* CKS20: 0.62169... */
    EXPECT_STATUS(ilsp_budget_set_composition(b, "tenant/gaussian", ILSP_COMPOSITION_BASIC),
                  ILSP_ERR_INVALID_ARGUMENT); /* not after a spend */

    /* A zCDP account may also take its limit as rho. */
    EXPECT_STATUS(ilsp_budget_set_composition(b, "tenant/rho", ILSP_COMPOSITION_ZCDP), ILSP_OK);
    EXPECT_STATUS(ilsp_budget_set_limit_rho(b, "tenant/rho", 0.5, "rho plan"), ILSP_OK);

    /* A yearly account with an early alert. */
    EXPECT_STATUS(ilsp_budget_set_limit(b, "tenant/yearly", 1.0, 0.0), ILSP_OK);
    EXPECT_STATUS(ilsp_budget_set_period(b, "tenant/yearly", ILSP_PERIOD_CALENDAR_YEAR), ILSP_OK);
    EXPECT_STATUS(ilsp_budget_set_alert_threshold(b, "tenant/yearly", 0.5), ILSP_OK);
    EXPECT_STATUS(ilsp_budget_spend(b, "tenant/yearly", 0.6, 0.0, &seq), ILSP_OK);
    int32_t alerted = 0;
    double used = 0.0;
    EXPECT_STATUS(ilsp_budget_alert_status(b, "tenant/yearly", &alerted, &used), ILSP_OK);
    EXPECT(alerted == 1 && fabs(used - 0.6) < 1e-12);
    /* Raising the limit is an adjustment with a reason; history is kept. */
    EXPECT_STATUS(ilsp_budget_set_limit_with_reason(b, "tenant/yearly", 2.0, 0.0,
                                                    "board decision 2026-14"),
                  ILSP_OK);
    EXPECT_STATUS(ilsp_budget_alert_status(b, "tenant/yearly", &alerted, &used), ILSP_OK);
    EXPECT(alerted == 0);

    /* A second handle (as another process would) sees and respects every spend. */
    ilsp_budget *other = NULL;
    EXPECT_STATUS(ilsp_budget_open_with_timeout(LEDGER, 2000, &other), ILSP_OK);
    EXPECT_STATUS(ilsp_budget_spend(other, "tenant/yearly", 1.4, 0.0, &seq), ILSP_OK);
    EXPECT_STATUS(ilsp_budget_spend(b, "tenant/yearly", 0.01, 0.0, &seq), ILSP_ERR_BUDGET_EXHAUSTED);
    ilsp_budget_free(other);

    /* Export (ask for the length, then fetch) and verify. */
    size_t len = 0;
    EXPECT_STATUS(ilsp_budget_ledger_export(b, NULL, 0, &len), ILSP_ERR_BUFFER_TOO_SMALL);
    char *text = malloc(len); /* len: the capacity needed, NUL included */
    EXPECT(text != NULL);
    if (text != NULL) {
        EXPECT_STATUS(ilsp_budget_ledger_export(b, text, len, &len), ILSP_OK);
        EXPECT(strstr(text, "\"reason\":\"board decision 2026-14\"") != NULL);
        EXPECT(strlen(text) == len);
        free(text);
    }
    ilsp_budget_free(b);

    uint64_t entries = 0;
    char head[65];
    size_t head_len = 0;
    EXPECT_STATUS(ilsp_budget_ledger_verify(LEDGER, &entries, head, sizeof head, &head_len), ILSP_OK);
    EXPECT(entries == 14 && head_len == 64);
    printf("ledger: %lu entries, head %s\n", (unsigned long)entries, head);
    EXPECT_STATUS(ilsp_budget_ledger_verify(LEDGER, &entries, head, 10, &head_len),
                  ILSP_ERR_BUFFER_TOO_SMALL);

    /* A crash in the middle of a write leaves an unfinished line: verify
       accepts the ledger, check reports the line's length, and the next
       open repairs it and charges it (here: all the account had left). */
    static const char cut[] = "{\"v\":1,\"kind\":\"spend\",\"account\":\"tenant/yearly\",\"eps";
    FILE *tail = fopen(LEDGER, "ab");
    EXPECT(tail != NULL);
    if (tail != NULL) {
        fputs(cut, tail);
        fclose(tail);
    }
    uint64_t accounts = 0, torn_bytes = 0;
    EXPECT_STATUS(ilsp_budget_ledger_check(LEDGER, &entries, &accounts, &torn_bytes, head,
                                           sizeof head, &head_len),
                  ILSP_OK);
    EXPECT(entries == 14 && accounts == 3 && torn_bytes == sizeof cut - 1);
    printf("ledger: %lu accounts, an unfinished write of %lu bytes\n", (unsigned long)accounts,
           (unsigned long)torn_bytes);

    /* Reopening replays the same state (and repairs the cut line). */
    EXPECT_STATUS(ilsp_budget_open(LEDGER, &b), ILSP_OK);
    EXPECT_STATUS(ilsp_budget_spent(b, "tenant/yearly", &eps, &delta), ILSP_OK);
    EXPECT(eps == 2.0);
    ilsp_budget_free(b);
    EXPECT_STATUS(ilsp_budget_ledger_check(LEDGER, &entries, &accounts, &torn_bytes, head,
                                           sizeof head, &head_len),
                  ILSP_OK);
    EXPECT(entries == 15 && torn_bytes == 0);

    /* Changing one byte of the closed ledger is detected on open. */
    FILE *f = fopen(LEDGER, "r+b");
    EXPECT(f != NULL);
    if (f != NULL) {
        fseek(f, 200, SEEK_SET);
        int byte = fgetc(f);
        fseek(f, 200, SEEK_SET);
        fputc(byte ^ 1, f);
        fclose(f);
    }
    b = NULL;
    EXPECT_STATUS(ilsp_budget_open(LEDGER, &b), ILSP_ERR_LEDGER_INTEGRITY);
    EXPECT(b == NULL);
    EXPECT_STATUS(ilsp_budget_ledger_verify(LEDGER, &entries, head, sizeof head, &head_len),
                  ILSP_ERR_LEDGER_INTEGRITY);
    remove(LEDGER);
}

int main(void) {
    exact_limits();
    bad_input();
    ledger_file();
    return finish("budget");
}
