/*
 * Streaming aggregation through the C ABI: checkouts per branch with
 * per-patron contribution bounds, two shards merged through their serialized
 * state, L∞ chosen privately from the data, and the error paths. Build and run (from the repository root):
 *
 *   scripts/install.sh --prefix "$PWD/target/prefix"
 *   export PKG_CONFIG_PATH="$PWD/target/prefix/lib/pkgconfig"
 *   cc -Wall -Wextra -Werror -std=c99 examples/c/aggregate.c $(pkg-config --cflags --libs ilsprivacy) \
 *      -Wl,-rpath,"$PWD/target/prefix/lib" -o aggregate
 *   ./aggregate
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* The library's branches: a public list, released zero-filled. */
static const char BRANCHES[] = "CENTRALEASTWEST";
static const size_t BRANCH_OFFSETS[] = {0, 7, 11, 15};

/* Adds `n` checkouts of `patron` at `branch` one by one. */
static void add_checkouts(ilsp_aggregator *agg, const char *patron, const char *branch, int n) {
    for (int i = 0; i < n; i++) {
        EXPECT_STATUS(ilsp_aggregator_add(agg, (const uint8_t *)patron, strlen(patron),
                                          (const uint8_t *)branch, strlen(branch), 1, 14),
                      ILSP_OK);
    }
}

int main(void) {
    ilsp_aggregator *agg = NULL;
    /* L0 = 2 branches per patron; also sum loan days clamped to [0, 60]. */
    EXPECT_STATUS(ilsp_aggregator_new(2, 1, 0, 60, (const uint8_t *)BRANCHES, BRANCH_OFFSETS, 3,
                                      &agg),
                  ILSP_OK);

    /* A second shard of the same job (same selection key), e.g. another thread. */
    ilsp_aggregator *shard = NULL;
    EXPECT_STATUS(ilsp_aggregator_new_shard(agg, &shard), ILSP_OK);

    add_checkouts(agg, "tok-ann", "CENTRAL", 3);
    add_checkouts(shard, "tok-ann", "EAST", 2);
    add_checkouts(shard, "tok-bob", "WEST", 1);

    /* A batch in the packed layout: concatenated keys plus n + 1 offsets. */
    const char units[] = "tok-carltok-dinatok-carl";
    const size_t unit_offsets[] = {0, 8, 16, 24};
    const char parts[] = "WESTWESTNORTH"; /* NORTH is not public: dropped */
    const size_t part_offsets[] = {0, 4, 8, 13};
    const uint64_t counts[] = {2, 1, 1};
    const int64_t loan_days[] = {21, 90, 7};
    EXPECT_STATUS(ilsp_aggregator_add_batch(shard, 3, (const uint8_t *)units, unit_offsets,
                                            (const uint8_t *)parts, part_offsets, counts,
                                            loan_days),
                  ILSP_OK);

    /* Ship the shard's state (e.g. to another process) and merge it. */
    size_t len = 0;
    EXPECT_STATUS(ilsp_aggregator_serialize(shard, NULL, 0, &len), ILSP_ERR_BUFFER_TOO_SMALL);
    uint8_t *state = malloc(len);
    EXPECT(state != NULL);
    EXPECT_STATUS(ilsp_aggregator_serialize(shard, state, len, &len), ILSP_OK);
    ilsp_aggregator *received = NULL;
    EXPECT_STATUS(ilsp_aggregator_deserialize(state, len, &received), ILSP_OK);
    EXPECT_STATUS(ilsp_aggregator_merge(agg, received), ILSP_OK);
    free(state);

    uint64_t events = 0, outside = 0, units_seen = 0, partitions = 0;
    EXPECT_STATUS(ilsp_aggregator_stats(agg, &events, &outside, &units_seen, &partitions), ILSP_OK);
    /* Exact figures are for the operator (standard error, labelled), never
       printed with the published tables. */
    fprintf(stderr,
            "[operator diagnostic, exact, not for publication] events %llu (outside the public "
            "list %llu), patrons %llu, branches %llu\n",
            (unsigned long long)events, (unsigned long long)outside,
            (unsigned long long)units_seen, (unsigned long long)partitions);
    EXPECT(events == 9 && outside == 1 && units_seen == 4 && partitions == 3);

    /* The one noisy release: counts (ε = 0.5) and loan-day sums (ε = 0.5),
       at most 20 checkouts per patron and branch, charged once to an
       in-memory budget (pass a path to ilsp_budget_open for a ledger file). */
    ilsp_budget *budget = NULL;
    EXPECT_STATUS(ilsp_budget_open(NULL, &budget), ILSP_OK);
    EXPECT_STATUS(ilsp_budget_set_limit(budget, "reports", 1.5, 1e-5), ILSP_OK);
    ilsp_table *table = NULL;
    EXPECT_STATUS(ilsp_aggregator_release(agg, budget, "reports", 20, ILSP_TABLE_NOISE_LAPLACE, 0.5,
                                          0.5, 0.0, 0.0, 0, &table),
                  ILSP_OK);
    EXPECT(ilsp_table_rows(table) == 3);
    for (size_t i = 0; i < ilsp_table_rows(table); i++) {
        uint8_t key[32];
        size_t key_len = 0;
        int64_t count = 0, sum = 0;
        uint32_t flags = 0;
        EXPECT_STATUS(ilsp_table_row(table, i, key, sizeof key, &key_len, &count, &sum, &flags),
                      ILSP_OK);
        EXPECT((flags & ILSP_ROW_HAS_SUM) && !(flags & ILSP_ROW_SUPPRESSED) && count >= 0);
        printf("  %-8.*s checkouts %6lld  loan days %7lld\n", (int)key_len, (const char *)key,
               (long long)count, (long long)sum);
    }
    double epsilon = 0, delta = 1, rho = 0, count_scale = 0, sum_scale = 0;
    uint32_t l0 = 0, l_inf = 0;
    int64_t threshold = 0;
    EXPECT_STATUS(ilsp_table_cost(table, &epsilon, &delta, &rho), ILSP_OK);
    EXPECT(epsilon == 1.0 && delta == 0.0 && rho == 0.5);
    EXPECT_STATUS(ilsp_table_noise(table, &count_scale, &sum_scale, &l0, &l_inf, &threshold),
                  ILSP_OK);
    /* L1 sensitivities: L0 * L∞ = 40 for counts, times 60 days for sums. */
    EXPECT(count_scale >= 80.0 && count_scale < 80.001 && sum_scale >= 4800.0);
    EXPECT(l0 == 2 && l_inf == 20 && threshold == -1);
    printf("released at ε = %g (noise scale %g on counts, %g on sums)\n", epsilon, count_scale,
           sum_scale);

    /* A key longer than the buffer: the needed length is reported. */
    uint8_t tiny[2];
    size_t needed = 0;
    uint32_t flags = 0;
    EXPECT_STATUS(ilsp_table_row(table, 0, tiny, sizeof tiny, &needed, NULL, NULL, &flags),
                  ILSP_ERR_BUFFER_TOO_SMALL);
    EXPECT(needed == 7); /* "CENTRAL" */
    EXPECT_STATUS(ilsp_table_row(table, 3, tiny, sizeof tiny, &needed, NULL, NULL, &flags),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("i must be < 3");
    ilsp_table_free(table);
    ilsp_table_free(NULL);
    EXPECT(ilsp_table_rows(NULL) == 0);

    /* The budget has 0.5 left: a second release of ε = 1 is refused and
       nothing is released. */
    table = NULL;
    EXPECT_STATUS(ilsp_aggregator_release(agg, budget, "reports", 20, ILSP_TABLE_NOISE_LAPLACE, 0.5,
                                          0.5, 0.0, 0.0, 0, &table),
                  ILSP_ERR_BUDGET_EXHAUSTED);
    EXPECT(table == NULL);

    /* Partitions from the data need private partition selection (ε, δ). */
    ilsp_aggregator *formats = NULL;
    EXPECT_STATUS(ilsp_aggregator_new(1, 0, 0, 0, NULL, NULL, 0, &formats), ILSP_OK);
    for (int p = 0; p < 300; p++) {
        char patron[16];
        int n = snprintf(patron, sizeof patron, "tok-%d", p);
        EXPECT_STATUS(ilsp_aggregator_add(formats, (const uint8_t *)patron, (size_t)n,
                                          (const uint8_t *)"book", 4, 1, 0),
                      ILSP_OK);
    }
    EXPECT_STATUS(ilsp_aggregator_add(formats, (const uint8_t *)"tok-x", 5,
                                      (const uint8_t *)"microfilm", 9, 1, 0),
                  ILSP_OK);
    EXPECT_STATUS(ilsp_aggregator_release(formats, budget, "reports", 5, ILSP_TABLE_NOISE_LAPLACE,
                                          0.2, 0.0, 0.0, 0.0, 0, &table),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("needs partition selection");
    EXPECT_STATUS(ilsp_aggregator_release(formats, budget, "reports", 5, ILSP_TABLE_NOISE_LAPLACE,
                                          0.2, 0.0, 0.2, 1e-6, 0, &table),
                  ILSP_OK);
    EXPECT_STATUS(ilsp_table_noise(table, NULL, NULL, NULL, NULL, &threshold), ILSP_OK);
    printf("formats released: %zu (threshold %lld patrons)\n", ilsp_table_rows(table),
           (long long)threshold);
    EXPECT(threshold > 1 && ilsp_table_rows(table) <= 2);
    ilsp_table_free(table);
    ilsp_aggregator_free(formats);

    /* L∞ chosen privately: the 0.9-quantile of the patrons' largest
       per-branch counts, searched in [1, 100], at ε = 1, charged with the
       counts' ε = 0.5 as one ε = 1.5. 400 patrons borrow 1 to 20 times at
       CENTRAL; edge 19 has 360 of them below it (0.9 · 400), so the choice is
       18, 19 or 20 except with probability about 2e-7. */
    ilsp_aggregator *loans = NULL;
    EXPECT_STATUS(ilsp_aggregator_new(1, 0, 0, 0, (const uint8_t *)BRANCHES, BRANCH_OFFSETS, 3,
                                      &loans),
                  ILSP_OK);
    for (int p = 0; p < 400; p++) {
        char patron[16];
        int n = snprintf(patron, sizeof patron, "tok-%d", p);
        EXPECT_STATUS(ilsp_aggregator_add(loans, (const uint8_t *)patron, (size_t)n,
                                          (const uint8_t *)"CENTRAL", 7, (uint64_t)(1 + p % 20), 0),
                      ILSP_OK);
    }
    EXPECT_STATUS(ilsp_budget_set_limit(budget, "bounds", 2.0, 0.0), ILSP_OK);
    table = NULL;
    EXPECT_STATUS(ilsp_aggregator_release_private_bound(loans, budget, "bounds", 100,
                                                        ILSP_TABLE_NOISE_LAPLACE, 0.5, 0.0, 0.0,
                                                        0.0, 0, 0.9, 1.0, &table),
                  ILSP_OK);
    EXPECT_STATUS(ilsp_table_noise(table, &count_scale, NULL, &l0, &l_inf, NULL), ILSP_OK);
    EXPECT_STATUS(ilsp_table_cost(table, &epsilon, &delta, NULL), ILSP_OK);
    printf("L-infinity chosen privately: %u (noise scale %g), released at ε = %g\n", l_inf,
           count_scale, epsilon);
    EXPECT(l_inf >= 18 && l_inf <= 20 && epsilon == 1.5 && delta == 0.0);
    /* Counts are calibrated at the chosen L∞ (L0 = 1, ε = 0.5). */
    EXPECT(count_scale >= 2.0 * l_inf && count_scale < 2.0 * l_inf + 0.001);
    ilsp_table_free(table);
    /* Bad bound parameters are refused before anything is charged. */
    table = NULL;
    EXPECT_STATUS(ilsp_aggregator_release_private_bound(loans, budget, "bounds", 100,
                                                        ILSP_TABLE_NOISE_LAPLACE, 0.1, 0.0, 0.0,
                                                        0.0, 0, 1.5, 0.1, &table),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("bound_quantile must be in [0, 1], got 1.5");
    EXPECT_STATUS(ilsp_aggregator_release_private_bound(loans, budget, "bounds", 100,
                                                        ILSP_TABLE_NOISE_LAPLACE, 0.1, 0.0, 0.0,
                                                        0.0, 0, 0.5, NAN, &table),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("bound_epsilon must be finite and > 0, got NaN");
    EXPECT(table == NULL);
    EXPECT_STATUS(ilsp_budget_spent(budget, "bounds", &epsilon, &delta), ILSP_OK);
    EXPECT(epsilon == 1.5);
    ilsp_aggregator_free(loans);
    ilsp_budget_free(budget);

    /* Error paths: the status, the message, nothing changed. */
    EXPECT_STATUS(ilsp_aggregator_add(agg, NULL, 0, (const uint8_t *)"EAST", 4, 1, 0),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("unit must not be empty");
    const size_t bad_offsets[] = {0, 8, 4, 24};
    EXPECT_STATUS(ilsp_aggregator_add_batch(agg, 3, (const uint8_t *)units, bad_offsets,
                                            (const uint8_t *)parts, part_offsets, NULL, NULL),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("unit_offsets must be non-decreasing");
    EXPECT_STATUS(ilsp_aggregator_new(0, 0, 0, 0, NULL, NULL, 0, &received),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("max_partitions_per_unit must be in [1, 65536], got 0");
    EXPECT_STATUS(ilsp_aggregator_new(1, 1, 5, 1, NULL, NULL, 0, &received),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("lo must be <= hi, got lo = 5 > hi = 1");
    EXPECT_STATUS(ilsp_aggregator_deserialize((const uint8_t *)"junk", 4, &received),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("state is not an aggregator state");
    ilsp_aggregator *other_job = NULL;
    EXPECT_STATUS(ilsp_aggregator_new(2, 0, 0, 0, NULL, NULL, 0, &other_job), ILSP_OK);
    EXPECT_STATUS(ilsp_aggregator_merge(agg, other_job), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("configured differently");
    EXPECT_STATUS(ilsp_aggregator_stats(NULL, NULL, NULL, NULL, NULL), ILSP_ERR_NULL);
    EXPECT_MESSAGE("a must not be NULL");

    ilsp_aggregator_free(other_job);
    ilsp_aggregator_free(received);
    ilsp_aggregator_free(shard);
    ilsp_aggregator_free(agg);
    ilsp_aggregator_free(NULL);
    return finish("aggregate");
}
