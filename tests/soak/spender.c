/* A budget spender for the mixed-language soak test (budget_soak.py):
 * spends epsilon on an account, then releases a Laplace-noised value, until
 * refused; prints "<seq> <value>" (one write per line) only after each
 * release. Exit status: 0 when refused (budget exhausted), 3 on a ledger I/O
 * error (expected under a file-size limit), 2 on anything else. */
#include <stdio.h>
#include <stdlib.h>

#include "ilsprivacy.h"

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s <ledger> <account> <epsilon>\n", argv[0]);
        return 2;
    }
    double epsilon = strtod(argv[3], NULL);
    ilsp_budget *b = NULL;
    ilsp_status rc = ilsp_budget_open(argv[1], &b);
    if (rc != ILSP_OK) {
        fprintf(stderr, "open: %s\n", ilsp_last_error());
        return rc == ILSP_ERR_IO ? 3 : 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (;;) {
        uint64_t seq = 0;
        rc = ilsp_budget_spend(b, argv[2], epsilon, 0.0, &seq);
        if (rc != ILSP_OK) {
            break;
        }
        double out = 0.0;
        if (ilsp_laplace(100.0, 1.0, epsilon, &out) != ILSP_OK) {
            rc = ILSP_ERR_INTERNAL;
            break;
        }
        printf("%llu %.17g\n", (unsigned long long)seq, out);
    }
    if (rc != ILSP_ERR_BUDGET_EXHAUSTED) {
        fprintf(stderr, "spend: %s\n", ilsp_last_error());
    }
    ilsp_budget_free(b);
    return rc == ILSP_ERR_BUDGET_EXHAUSTED ? 0 : rc == ILSP_ERR_IO ? 3 : 2;
}
