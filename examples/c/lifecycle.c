/*
 * The data lifecycle through the C ABI: a retention policy evaluated on a
 * record across its window boundary, role masking with a FERPA directory
 * opt-out, and crypto-shredding: after an epoch is retired, the ring file
 * (and the previous file, reached through a hard link) holds no byte of its
 * key, and every token call on it returns ILSP_ERR_KEY.
 *
 *   scripts/install.sh --prefix "$PWD/target/prefix"
 *   export PKG_CONFIG_PATH="$PWD/target/prefix/lib/pkgconfig"
 *   cc -Wall -Wextra -Werror -std=c99 examples/c/lifecycle.c $(pkg-config --cflags --libs ilsprivacy) \
 *      -Wl,-rpath,"$PWD/target/prefix/lib" -o lifecycle
 *   ./lifecycle
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static const char POLICY[] =
    "[policy]\n"
    "name = \"school-library\"\n"
    "version = \"2026-08\"\n"
    "\n"
    "[[retention.rule]]\n"
    "class = \"circulation_history\"\n"
    "fields = [\"student_id\"]\n"
    "anchor = \"returned_on\"\n"
    "after = \"1 year\"\n"
    "action = \"pseudonymize\"\n"
    "\n"
    "[access]\n"
    "directory_information = [\"name\"]\n"
    "opt_out_field = \"directory_opt_out\"\n"
    "[access.roles.teacher]\n"
    "legitimate_interest = true\n"
    "show = [\"name\", \"student_id\"]\n"
    "[access.roles.vendor-analytics]\n"
    "show = [\"name\"]\n"
    "mask = { returned_on = \"date:month\" }\n";

static void retention_and_masking(void) {
    ilsp_policy *p = NULL;
    char out[1024];
    size_t len = 0;
    EXPECT_STATUS(ilsp_policy_new(POLICY, strlen(POLICY), &p), ILSP_OK);

    /* Returned on a leap day: one year later is 2025-02-28 (dates are civil dates in UTC). */
    const char *loan = "{\"student_id\": \"S-1001\", \"returned_on\": \"2024-02-29\"}";
    EXPECT_STATUS(ilsp_retention_evaluate(p, "circulation_history", "2025-02-27", loan, strlen(loan),
                                          out, sizeof out, &len), ILSP_OK);
    EXPECT(strstr(out, "\"student_id\":\"keep\"") != NULL);
    EXPECT_STATUS(ilsp_retention_evaluate(p, "circulation_history", "2025-02-28", loan, strlen(loan),
                                          out, sizeof out, &len), ILSP_OK);
    EXPECT(strstr(out, "\"student_id\":\"pseudonymize\"") != NULL);
    EXPECT(strstr(out, "\"version\":\"2026-08\"") != NULL);
    EXPECT(strstr(out, "S-1001") == NULL); /* the audit and actions hold no value */
    EXPECT_STATUS(ilsp_retention_evaluate(p, "circulation_history", "2025-02-28", loan, strlen(loan),
                                          out, 8, &len), ILSP_ERR_BUFFER_TOO_SMALL);
    EXPECT(len > 8);
    EXPECT_STATUS(ilsp_retention_evaluate(p, "loans", "2025-02-28", loan, strlen(loan),
                                          out, sizeof out, &len), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("is not a record class");
    EXPECT_STATUS(ilsp_retention_evaluate(NULL, "holds", "2025-02-28", loan, strlen(loan),
                                          out, sizeof out, &len), ILSP_ERR_NULL);

    const char *student = "{\"student_id\": \"S-1001\", \"name\": \"Ada\", \"returned_on\": \"2024-02-29\","
                          " \"directory_opt_out\": \"yes\"}";
    EXPECT_STATUS(ilsp_access_mask(p, "teacher", NULL, student, strlen(student), out, sizeof out, &len), ILSP_OK);
    EXPECT(strstr(out, "\"name\":\"Ada\"") != NULL); /* a school official */
    EXPECT_STATUS(ilsp_access_mask(p, "vendor-analytics", NULL, student, strlen(student), out, sizeof out, &len),
                  ILSP_OK);
    EXPECT(strstr(out, "Ada") == NULL && strstr(out, "S-1001") == NULL); /* opted out; deny by default */
    EXPECT(strstr(out, "\"returned_on\":\"2024-02\"") != NULL);
    EXPECT(strstr(out, "\"directory_opt_out\":true") != NULL);
    EXPECT_STATUS(ilsp_access_mask(p, "principal", NULL, student, strlen(student), out, sizeof out, &len),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("unknown role \"principal\"");
    ilsp_policy_free(p);
    ilsp_policy_free(NULL);

    const char *bad = "[policy]\nname = \"p\"\nversion = \"1\"\n\n[[retention.rule]]\nclass = \"holds\"\n"
                      "fields = [\"a\"]\nanchor = \"d\"\nafter = \"-7 days\"\naction = \"purge\"\n";
    p = NULL;
    EXPECT_STATUS(ilsp_policy_new(bad, strlen(bad), &p), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("retention.rule[0].after (line 5): window must not be negative");
    EXPECT(p == NULL);
}

/* Reads a whole small file into buf (NUL-terminated); returns its length. */
static size_t slurp(const char *path, char *buf, size_t cap) {
    FILE *f = fopen(path, "rb");
    size_t n = 0;
    if (f != NULL) {
        n = fread(buf, 1, cap - 1, f);
        fclose(f);
    }
    buf[n] = 0;
    return n;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* 1 if `hay` (n bytes) holds 8 consecutive bytes of `key` or 16 consecutive hex digits of `hex`. */
static int holds_key(const char *hay, size_t n, const unsigned char *key, const char *hex) {
    for (size_t i = 0; i + 8 <= 32; i++)
        for (size_t j = 0; j + 8 <= n; j++)
            if (memcmp(hay + j, key + i, 8) == 0) return 1;
    for (size_t i = 0; i + 16 <= 64; i++)
        for (size_t j = 0; j + 16 <= n; j++)
            if (memcmp(hay + j, hex + i, 16) == 0) return 1;
    return 0;
}

static void crypto_shredding(void) {
    char dir[] = "/tmp/ilsp-lifecycle-XXXXXX";
    char path[128], link_path[128], before[4096], after[4096], old[4096];
    char hex[65] = {0}, token2024[128], token2025[128], again[128];
    unsigned char key[32];
    const unsigned char root[32] = {0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
                                    0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
                                    0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a};
    const char *id = "21234000123456";
    ilsp_epoch_ring *ring = NULL;
    size_t len = 0;
    uint64_t retired_at = 0;
    int32_t matches = -1;

    EXPECT(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/patrons.ring", dir);
    snprintf(link_path, sizeof link_path, "%s/patrons.ring.link", dir);
    EXPECT_STATUS(ilsp_epoch_ring_create(path, &ring), ILSP_OK);
    EXPECT_STATUS(ilsp_epoch_ring_add(ring, "2024", root, sizeof root), ILSP_OK);
    EXPECT_STATUS(ilsp_epoch_ring_add(ring, "2025", root, sizeof root), ILSP_OK);
    EXPECT_STATUS(ilsp_epoch_ring_add(ring, "2026", NULL, 0), ILSP_OK); /* a random key */
    EXPECT_STATUS(ilsp_epoch_ring_add(ring, "2025", root, sizeof root), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_epoch_ring_add(ring, "2027", root, 16), ILSP_ERR_KEY);
    EXPECT_STATUS(ilsp_epoch_ring_tokenize(ring, "2024", id, strlen(id), token2024, sizeof token2024, &len), ILSP_OK);
    EXPECT(strncmp(token2024, "v1.2024.", 8) == 0);
    EXPECT_STATUS(ilsp_epoch_ring_tokenize(ring, "2025", id, strlen(id), token2025, sizeof token2025, &len), ILSP_OK);
    EXPECT_STATUS(ilsp_epoch_ring_verify(ring, token2024, strlen(token2024), id, strlen(id), &matches), ILSP_OK);
    EXPECT(matches == 1);
    EXPECT_STATUS(ilsp_epoch_ring_verify(ring, token2024, strlen(token2024), "other", 5, &matches), ILSP_OK);
    EXPECT(matches == 0);

    /* The 2024 key as the file holds it, and a second name of that file. */
    size_t n_before = slurp(path, before, sizeof before);
    const char *line = strstr(before, "\nepoch 2024 ");
    EXPECT(line != NULL);
    if (line != NULL) memcpy(hex, line + 12, 64);
    for (int i = 0; i < 32; i++) key[i] = (unsigned char)(hex_value(hex[2 * i]) * 16 + hex_value(hex[2 * i + 1]));
    EXPECT(holds_key(before, n_before, key, hex)); /* the scan finds a live key */
    EXPECT(link(path, link_path) == 0);

    EXPECT_STATUS(ilsp_epoch_ring_retire(ring, "2024", &retired_at), ILSP_OK);
    EXPECT(retired_at > 1700000000u);
    size_t n_after = slurp(path, after, sizeof after);
    EXPECT(!holds_key(after, n_after, key, hex));
    EXPECT(strstr(after, "retired 2024 ") != NULL);
    size_t n_old = slurp(link_path, old, sizeof old);
    EXPECT(n_old == n_before && !holds_key(old, n_old, key, hex));

    /* Every token call on the retired epoch is a key error, also after reopening. */
    for (int pass = 0; pass < 2; pass++) {
        EXPECT_STATUS(ilsp_epoch_ring_tokenize(ring, "2024", id, strlen(id), again, sizeof again, &len), ILSP_ERR_KEY);
        EXPECT_MESSAGE("was retired at");
        EXPECT_STATUS(ilsp_epoch_ring_verify(ring, token2024, strlen(token2024), id, strlen(id), &matches),
                      ILSP_ERR_KEY);
        EXPECT_STATUS(ilsp_epoch_ring_retire(ring, "2024", &retired_at), ILSP_ERR_KEY);
        EXPECT_STATUS(ilsp_epoch_ring_tokenize(ring, "2025", id, strlen(id), again, sizeof again, &len), ILSP_OK);
        EXPECT(strcmp(again, token2025) == 0);
        ilsp_epoch_ring_free(ring);
        ring = NULL;
        EXPECT_STATUS(ilsp_epoch_ring_open(path, &ring), ILSP_OK);
    }
    EXPECT_STATUS(ilsp_epoch_ring_add(ring, "2024", root, sizeof root), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("was retired");
    ilsp_epoch_ring_free(ring);
    ilsp_epoch_ring_free(NULL);
    EXPECT_STATUS(ilsp_epoch_ring_open(dir, &ring), ILSP_ERR_KEY); /* a directory */
    EXPECT_STATUS(ilsp_epoch_ring_create(path, &ring), ILSP_ERR_IO); /* exists */
    EXPECT_STATUS(ilsp_epoch_ring_open(NULL, &ring), ILSP_ERR_NULL);
    unlink(link_path);
    unlink(path);
    rmdir(dir);
}

int main(void) {
    retention_and_masking();
    crypto_shredding();
    return finish("lifecycle");
}
