/*
 * Patron-ID tokenization through the C ABI: keys, compatibility tokens
 * (identical to Python's hmac.new(key, id, hashlib.sha256).hexdigest()),
 * versioned tokens, batches, rotation, verification, and the error paths.
 *
 * With ILSP_TOKEN_VECTORS naming a file written by
 * tests/vectors/token_vectors.py, every ID in it (10,000, including the empty
 * ID and a 1 MiB one) is also tokenized one by one and in one batch, and
 * compared with the token CPython's hmac produced.
 *
 *   scripts/install.sh --prefix "$PWD/target/prefix"
 *   export PKG_CONFIG_PATH="$PWD/target/prefix/lib/pkgconfig"
 *   cc -Wall -Wextra -Werror -std=c99 examples/c/tokenize.c $(pkg-config --cflags --libs ilsprivacy) \
 *      -Wl,-rpath,"$PWD/target/prefix/lib" -o tokenize
 *   python3 tests/vectors/token_vectors.py vectors.txt
 *   ILSP_TOKEN_VECTORS=vectors.txt ./tokenize
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static const char KEY[] = "library-pipeline-key-0123456789!"; /* 32 bytes */

/* Fails unless the last error message does not contain `secret`. */
#define EXPECT_NO_LEAK(secret) EXPECT(strstr(ilsp_last_error(), (secret)) == NULL)

static void compat_tokens(void) {
    ilsp_tokenizer *t = NULL;
    EXPECT_STATUS(ilsp_tokenizer_new((const uint8_t *)KEY, strlen(KEY), &t), ILSP_OK);

    /* Known answers from CPython: hmac.new(KEY, id.encode(), hashlib.sha256).hexdigest() */
    char out[ILSP_COMPAT_TOKEN_LEN + 1];
    size_t len = 0;
    const char *id = "21234000123456";
    EXPECT_STATUS(ilsp_tokenize(t, id, strlen(id), out, sizeof out, &len), ILSP_OK);
    EXPECT(len == 64);
    EXPECT(strcmp(out, "8e958a5f766f725d28789aa9dc0b0f5af3d4aa0abcbfd6941ff4be74ba67ef24") == 0);

    const char *unicode = "\xc3\x86\xc3\x98\xc3\x85-patron"; /* "ÆØÅ-patron" */
    EXPECT_STATUS(ilsp_tokenize(t, unicode, strlen(unicode), out, sizeof out, &len), ILSP_OK);
    EXPECT(strcmp(out, "23450ef69e2fde4ebbe8ea77588c318088b197d50d77d2cdf15f5e35d24ce856") == 0);

    /* The empty ID has a compatibility token, as in Python. */
    EXPECT_STATUS(ilsp_tokenize(t, NULL, 0, out, sizeof out, &len), ILSP_OK);
    EXPECT(strcmp(out, "65f2f7beb4e9943dea32fdc4a97c94a2f691adb1246e4e8a82a5cbafc8f27501") == 0);

    /* Too small: the needed capacity (64 + NUL) is reported, nothing written. */
    char small[64];
    memset(small, 'x', sizeof small);
    EXPECT_STATUS(ilsp_tokenize(t, id, strlen(id), small, sizeof small, &len), ILSP_ERR_BUFFER_TOO_SMALL);
    EXPECT(len == 65);
    EXPECT(small[0] == 'x');
    EXPECT_MESSAGE("out is too small: 65 bytes needed, 64 given");
    EXPECT_STATUS(ilsp_tokenize(t, id, strlen(id), NULL, 0, &len), ILSP_ERR_BUFFER_TOO_SMALL);
    EXPECT(len == 65);

    /* Invalid UTF-8: the offset is reported, never the bytes. */
    const char bad[] = "patron-secret-\xff\xfe";
    EXPECT_STATUS(ilsp_tokenize(t, bad, sizeof bad - 1, out, sizeof out, &len), ILSP_ERR_ENCODING);
    EXPECT_MESSAGE("id is not valid UTF-8 (first invalid byte at offset 14)");
    EXPECT_NO_LEAK("secret");

    EXPECT_STATUS(ilsp_tokenize(NULL, id, strlen(id), out, sizeof out, &len), ILSP_ERR_NULL);
    EXPECT_MESSAGE("t must not be NULL");
    EXPECT_STATUS(ilsp_tokenize(t, NULL, 3, out, sizeof out, &len), ILSP_ERR_NULL);
    EXPECT_STATUS(ilsp_tokenize(t, id, strlen(id), out, sizeof out, NULL), ILSP_ERR_NULL);

    ilsp_tokenizer_free(t);
    ilsp_tokenizer_free(NULL);

    /* Keys shorter than 32 bytes are refused; the message gives the length only. */
    t = NULL;
    EXPECT_STATUS(ilsp_tokenizer_new((const uint8_t *)"hunter2-secret", 14, &t), ILSP_ERR_KEY);
    EXPECT_MESSAGE("key must be at least 32 bytes, got 14");
    EXPECT_NO_LEAK("hunter2");
    EXPECT(t == NULL);
}

static void keys(void) {
    ilsp_key *k = NULL;
    EXPECT_STATUS(ilsp_key_from_bytes((const uint8_t *)"short", 5, &k), ILSP_ERR_KEY);
    EXPECT(k == NULL);

    /* From a file (hex text) ... */
    char path[] = "/tmp/ilsp-key-XXXXXX";
    int fd = mkstemp(path);
    EXPECT(fd >= 0);
    const char *hex = "6c6962726172792d706970656c696e652d6b65792d3031323334353637383921\n";
    EXPECT(write(fd, hex, strlen(hex)) == (ssize_t)strlen(hex));
    close(fd);
    EXPECT_STATUS(ilsp_key_from_file(path, ILSP_KEY_HEX, &k), ILSP_OK);
    ilsp_tokenizer *t = NULL;
    EXPECT_STATUS(ilsp_tokenizer_new_with_key("2026a", k, &t), ILSP_OK);
    ilsp_key_free(k);
    k = NULL;
    /* ... read as raw bytes it is too long a key, but a valid one: 65 bytes. */
    EXPECT_STATUS(ilsp_key_from_file(path, ILSP_KEY_RAW, &k), ILSP_OK);
    ilsp_key_free(k);
    k = NULL;
    EXPECT_STATUS(ilsp_key_from_file(path, 9, &k), ILSP_ERR_INVALID_ARGUMENT);
    unlink(path);
    EXPECT_STATUS(ilsp_key_from_file(path, ILSP_KEY_HEX, &k), ILSP_ERR_IO);

    /* The hex above is KEY: the same token as from the bytes. */
    char a[ILSP_COMPAT_TOKEN_LEN + 1], b[ILSP_COMPAT_TOKEN_LEN + 1];
    size_t len;
    ilsp_tokenizer *t2 = NULL;
    EXPECT_STATUS(ilsp_tokenizer_new((const uint8_t *)KEY, 32, &t2), ILSP_OK);
    EXPECT_STATUS(ilsp_tokenize(t, "42", 2, a, sizeof a, &len), ILSP_OK);
    EXPECT_STATUS(ilsp_tokenize(t2, "42", 2, b, sizeof b, &len), ILSP_OK);
    EXPECT(strcmp(a, b) == 0);
    ilsp_tokenizer_free(t2);

    /* From an environment variable (raw: the value's bytes). */
    EXPECT(setenv("ILSP_EXAMPLE_KEY", KEY, 1) == 0);
    EXPECT_STATUS(ilsp_key_from_env("ILSP_EXAMPLE_KEY", ILSP_KEY_RAW, &k), ILSP_OK);
    EXPECT_STATUS(ilsp_tokenizer_add_key(t, "env", k), ILSP_OK);
    ilsp_key_free(k);
    k = NULL;
    EXPECT(unsetenv("ILSP_EXAMPLE_KEY") == 0);
    EXPECT_STATUS(ilsp_key_from_env("ILSP_EXAMPLE_KEY", ILSP_KEY_RAW, &k), ILSP_ERR_KEY);
    EXPECT_MESSAGE("environment variable ILSP_EXAMPLE_KEY is not set");

    /* Per-tenant keys: HKDF-SHA256 from a master key (known answer from Python). */
    ilsp_key *master = NULL, *tenant = NULL;
    EXPECT_STATUS(ilsp_key_from_bytes((const uint8_t *)KEY, 32, &master), ILSP_OK);
    EXPECT_STATUS(ilsp_key_derive(master, "branch-7", "patron_id", &tenant), ILSP_OK);
    EXPECT_STATUS(ilsp_key_derive(master, "", "patron_id", &k), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("tenant must be 1 to 255 bytes of UTF-8, got 0 bytes");
    ilsp_tokenizer *tt = NULL;
    EXPECT_STATUS(ilsp_tokenizer_new_with_key("t7", tenant, &tt), ILSP_OK);
    EXPECT_STATUS(ilsp_tokenize(tt, "21234000123456", 14, a, sizeof a, &len), ILSP_OK);
    EXPECT(strcmp(a, "9388a1aeee0484265f3a9da1482eeb6bba63cc4f185ee4fd152ecdc67e4db5c3") == 0);
    ilsp_tokenizer_free(tt);
    ilsp_key_free(tenant);
    ilsp_key_free(master);

    /* Key files that are not regular files are refused at once: /dev/zero
       (it reports size 0 and never ends), a FIFO with no writer (a plain open
       would block forever), a directory. */
    EXPECT_STATUS(ilsp_key_from_file("/dev/zero", ILSP_KEY_RAW, &k), ILSP_ERR_KEY);
    EXPECT_MESSAGE("is not a regular file (it is a character device)");
    char dir[] = "/tmp/ilsp-keydir-XXXXXX";
    EXPECT(mkdtemp(dir) != NULL);
    char fifo[sizeof dir + 16];
    snprintf(fifo, sizeof fifo, "%s/key.fifo", dir);
    EXPECT(mkfifo(fifo, 0600) == 0);
    EXPECT_STATUS(ilsp_key_from_file(fifo, ILSP_KEY_RAW, &k), ILSP_ERR_KEY);
    EXPECT_MESSAGE("is not a regular file (it is a FIFO)");
    EXPECT_STATUS(ilsp_key_from_file(dir, ILSP_KEY_RAW, &k), ILSP_ERR_KEY);
    EXPECT_MESSAGE("is not a regular file (it is a directory)");
    unlink(fifo);
    rmdir(dir);
    EXPECT(k == NULL);

    /* Generated keys: 32 to ILSP_MAX_KEY_LEN bytes. A huge length is a typed
       error (it once aborted the process on the allocation). */
    EXPECT_STATUS(ilsp_key_generate(16, &k), ILSP_ERR_KEY);
    EXPECT_STATUS(ilsp_key_generate(ILSP_MAX_KEY_LEN + 1, &k), ILSP_ERR_KEY);
    EXPECT_MESSAGE("key must be at most 65536 bytes");
    EXPECT_STATUS(ilsp_key_generate((size_t)1 << 62, &k), ILSP_ERR_KEY);
    EXPECT_STATUS(ilsp_key_generate(SIZE_MAX, &k), ILSP_ERR_KEY);
    EXPECT(k == NULL);
    /* The bytes behind a huge length are never read. */
    t2 = NULL;
    EXPECT_STATUS(ilsp_key_from_bytes((const uint8_t *)KEY, (size_t)1 << 62, &k), ILSP_ERR_KEY);
    EXPECT_STATUS(ilsp_tokenizer_new((const uint8_t *)KEY, SIZE_MAX, &t2), ILSP_ERR_KEY);
    EXPECT(k == NULL && t2 == NULL);
    EXPECT_STATUS(ilsp_key_generate(ILSP_MAX_KEY_LEN, &k), ILSP_OK);
    ilsp_key_free(k);
    k = NULL;
    EXPECT_STATUS(ilsp_key_generate(32, &k), ILSP_OK);
    EXPECT_STATUS(ilsp_tokenizer_new_with_key("gen", k, &t2), ILSP_OK);
    EXPECT_STATUS(ilsp_tokenize(t2, "42", 2, b, sizeof b, &len), ILSP_OK);
    EXPECT(strcmp(a, b) != 0);
    ilsp_tokenizer_free(t2);
    ilsp_key_free(k);
    ilsp_key_free(NULL);

    EXPECT_STATUS(ilsp_tokenizer_new_with_key("bad.id", NULL, &t2), ILSP_ERR_NULL);
    ilsp_tokenizer_free(t);
}

static void versioned_and_rotation(void) {
    ilsp_tokenizer *t = NULL;
    EXPECT_STATUS(ilsp_tokenizer_new((const uint8_t *)KEY, 32, &t), ILSP_OK);

    /* v1.<key id>.<body>: base32, 128 bits by default (known answer from Python). */
    char tok[128];
    size_t len = 0, w = 0;
    const char *id = "21234000123456";
    EXPECT_STATUS(ilsp_tokenize_with(t, NULL, ILSP_TOKEN_V1, ILSP_NORM_NONE, id, strlen(id), tok, sizeof tok, &len),
                  ILSP_OK);
    EXPECT(strcmp(tok, "v1.k1.qyhwmumgr5qp4dovv5mrp7doie") == 0);
    EXPECT_STATUS(ilsp_tokenizer_token_len(t, NULL, ILSP_TOKEN_V1, &w), ILSP_OK);
    EXPECT(w == len && w == 32);

    EXPECT_STATUS(ilsp_tokenizer_set_format(t, ILSP_BODY_HEX, 160), ILSP_OK);
    EXPECT_STATUS(ilsp_tokenize_with(t, "k1", ILSP_TOKEN_V1, 0, id, strlen(id), tok, sizeof tok, &len), ILSP_OK);
    EXPECT(strcmp(tok, "v1.k1.860f6651868f60fe0dd5af5917fc6e41539e184a") == 0);
    EXPECT_STATUS(ilsp_tokenizer_set_format(t, ILSP_BODY_HEX, 64), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("bits must be a multiple of 8 from 128 to 256, got 64");
    EXPECT_STATUS(ilsp_tokenizer_set_format(t, ILSP_BODY_BASE32, 128), ILSP_OK);

    /* Normalisation: barcode spellings converge. */
    char a[128], b[128];
    EXPECT_STATUS(ilsp_tokenize_with(t, NULL, ILSP_TOKEN_V1, ILSP_NORM_BARCODE, " 21234-00012-3456 ", 18, a, sizeof a,
                                     &len),
                  ILSP_OK);
    EXPECT_STATUS(ilsp_tokenize_with(t, NULL, ILSP_TOKEN_V1, ILSP_NORM_BARCODE, "21234000123456", 14, b, sizeof b, &len),
                  ILSP_OK);
    EXPECT(strcmp(a, b) == 0);

    /* Empty IDs are forbidden for versioned tokens (also after normalisation). */
    EXPECT_STATUS(ilsp_tokenize_with(t, NULL, ILSP_TOKEN_V1, 0, "", 0, tok, sizeof tok, &len),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("id must not be empty for a versioned token");
    EXPECT_STATUS(ilsp_tokenize_with(t, NULL, ILSP_TOKEN_V1, ILSP_NORM_BARCODE, " - ", 3, tok, sizeof tok, &len),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("(it is empty after normalization)");
    EXPECT_STATUS(ilsp_tokenize_with(t, "nope", ILSP_TOKEN_V1, 0, "patron-secret", 13, tok, sizeof tok, &len),
                  ILSP_ERR_KEY);
    EXPECT_MESSAGE("unknown key id: key_id (4 bytes) names no key in the ring");
    EXPECT_NO_LEAK("secret");
    /* A patron ID passed where a key id goes is never echoed. */
    EXPECT_STATUS(ilsp_tokenize_with(t, "21234000123456", ILSP_TOKEN_V1, 0, "x", 1, tok, sizeof tok, &len),
                  ILSP_ERR_KEY);
    EXPECT_NO_LEAK("21234000123456");
    EXPECT_STATUS(ilsp_tokenize_with(t, NULL, 5, 0, "x", 1, tok, sizeof tok, &len), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_tokenize_with(t, NULL, ILSP_TOKEN_V1, 64, "x", 1, tok, sizeof tok, &len),
                  ILSP_ERR_INVALID_ARGUMENT);

    /* Rotation: add a key (live, not active), transition window, bridge, activate, retire. */
    ilsp_key *next = NULL;
    EXPECT_STATUS(ilsp_key_generate(32, &next), ILSP_OK);
    EXPECT_STATUS(ilsp_tokenizer_add_key(t, "k2", next), ILSP_OK);
    EXPECT_STATUS(ilsp_tokenizer_add_key(t, "k2", next), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("key_id is already in the ring");
    ilsp_key_free(next);

    size_t count = 0;
    EXPECT_STATUS(ilsp_tokenizer_key_count(t, &count), ILSP_OK);
    EXPECT(count == 2);
    char kid[ILSP_COMPAT_TOKEN_LEN];
    EXPECT_STATUS(ilsp_tokenizer_key_id(t, 1, kid, sizeof kid, &len), ILSP_OK);
    EXPECT(strcmp(kid, "k2") == 0 && len == 2);
    EXPECT_STATUS(ilsp_tokenizer_key_id(t, 2, kid, sizeof kid, &len), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_tokenizer_active_key_id(t, kid, sizeof kid, &len), ILSP_OK);
    EXPECT(strcmp(kid, "k1") == 0);
    EXPECT_STATUS(ilsp_tokenizer_active_key_id(t, kid, 2, &len), ILSP_ERR_BUFFER_TOO_SMALL);
    EXPECT(len == 3);

    /* Transition window: an ID's token under every live key. */
    char old_v1[128], new_v1[128];
    for (size_t i = 0; i < count; i++) {
        EXPECT_STATUS(ilsp_tokenizer_key_id(t, i, kid, sizeof kid, &len), ILSP_OK);
        EXPECT_STATUS(ilsp_tokenize_with(t, kid, ILSP_TOKEN_V1, 0, id, strlen(id), i ? new_v1 : old_v1, 128, &len),
                      ILSP_OK);
    }
    EXPECT(strncmp(new_v1, "v1.k2.", 6) == 0);

    /* Bridge from the old compatibility tokens to the new versioned ones. */
    const char ids[] = "21234000123456P-7";
    size_t offsets[] = {0, 14, 17};
    char bridge[512];
    EXPECT_STATUS(ilsp_tokenize_bridge(t, "k1", ILSP_TOKEN_COMPAT, 0, "k2", ILSP_TOKEN_V1, 0, ids, strlen(ids), offsets,
                                       2, bridge, sizeof bridge, &len),
                  ILSP_OK);
    EXPECT(len == 2 * (64 + 1 + 32 + 1));
    EXPECT(strncmp(bridge, "8e958a5f766f725d28789aa9dc0b0f5af3d4aa0abcbfd6941ff4be74ba67ef24,", 65) == 0);
    EXPECT(strncmp(bridge + 65, new_v1, 32) == 0 && bridge[97] == '\n');
    EXPECT_STATUS(ilsp_tokenize_bridge(t, "k1", 9, 0, "k2", 1, 0, ids, strlen(ids), offsets, 2, bridge,
                                       sizeof bridge, &len),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("from_kind must be");

    EXPECT_STATUS(ilsp_tokenizer_activate(t, "k2"), ILSP_OK);
    EXPECT_STATUS(ilsp_tokenizer_activate(t, "k9"), ILSP_ERR_KEY);
    EXPECT_STATUS(ilsp_tokenize_with(t, NULL, ILSP_TOKEN_V1, 0, id, strlen(id), tok, sizeof tok, &len), ILSP_OK);
    EXPECT(strcmp(tok, new_v1) == 0);

    /* Verification in the window: both keys' tokens verify. */
    int32_t matches = -1;
    EXPECT_STATUS(ilsp_token_verify(t, old_v1, 0, id, strlen(id), &matches), ILSP_OK);
    EXPECT(matches == 1);
    EXPECT_STATUS(ilsp_token_verify(t, new_v1, 0, "P-7", 3, &matches), ILSP_OK);
    EXPECT(matches == 0);
    EXPECT_STATUS(ilsp_token_verify(t, "8e958a5f766f725d28789aa9dc0b0f5af3d4aa0abcbfd6941ff4be74ba67ef24", 0, id,
                                    strlen(id), &matches),
                  ILSP_OK);
    EXPECT(matches == 1);
    EXPECT_STATUS(ilsp_token_verify(t, "not-a-token", 0, id, strlen(id), &matches), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_NO_LEAK("not-a-token");

    /* Constant-time lookup among stored tokens (packed like batch IDs). */
    char stored[256];
    size_t so[4] = {0};
    strcpy(stored, "garbage");
    so[1] = strlen(stored);
    strcat(stored, new_v1);
    so[2] = strlen(stored);
    strcat(stored, old_v1);
    so[3] = strlen(stored);
    size_t index = 99;
    EXPECT_STATUS(ilsp_token_lookup(t, stored, so[3], so, 3, 0, id, strlen(id), &index), ILSP_OK);
    EXPECT(index == 1);
    EXPECT_STATUS(ilsp_token_lookup(t, stored, so[3], so, 3, 0, "P-7", 3, &index), ILSP_OK);
    EXPECT(index == 3);

    /* Retiring: not the active key; afterwards old tokens no longer verify. */
    EXPECT_STATUS(ilsp_tokenizer_retire(t, "k2"), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("is the active key");
    EXPECT_STATUS(ilsp_tokenizer_retire(t, "k1"), ILSP_OK);
    EXPECT_STATUS(ilsp_token_verify(t, old_v1, 0, id, strlen(id), &matches), ILSP_ERR_KEY);
    EXPECT_MESSAGE("unknown key id: token names a key (2 bytes) that is not in the ring");

    /* Address tokens: spellings of one address share a token. */
    EXPECT_STATUS(ilsp_tokenize_address(t, "12, Main Street  Apt. 4", a, sizeof a, &len), ILSP_OK);
    EXPECT_STATUS(ilsp_tokenize_address(t, "12 MAIN ST APT 4", b, sizeof b, &len), ILSP_OK);
    EXPECT(strcmp(a, b) == 0);
    EXPECT_STATUS(ilsp_tokenize_address(t, " ,, ", a, sizeof a, &len), ILSP_ERR_INVALID_ARGUMENT);

    ilsp_tokenizer_free(t);
}

static void batches(void) {
    ilsp_tokenizer *t = NULL;
    EXPECT_STATUS(ilsp_tokenizer_new((const uint8_t *)KEY, 32, &t), ILSP_OK);
    const char ids[] = "21234000123456" "" "\xc3\x86\xc3\x98\xc3\x85-patron";
    size_t offsets[] = {0, 14, 14, 14 + 13};
    char out[3 * 64 + 1];
    size_t len = 0;
    EXPECT_STATUS(ilsp_tokenize_batch(t, NULL, ILSP_TOKEN_COMPAT, 0, ids, strlen(ids), offsets, 3, out, sizeof out,
                                      &len),
                  ILSP_OK);
    EXPECT(len == 3 * 64 && out[len] == '\0');
    EXPECT(strncmp(out, "8e958a5f766f725d28789aa9dc0b0f5af3d4aa0abcbfd6941ff4be74ba67ef24", 64) == 0);
    EXPECT(strncmp(out + 64, "65f2f7beb4e9943dea32fdc4a97c94a2f691adb1246e4e8a82a5cbafc8f27501", 64) == 0);
    EXPECT(strncmp(out + 128, "23450ef69e2fde4ebbe8ea77588c318088b197d50d77d2cdf15f5e35d24ce856", 64) == 0);

    EXPECT_STATUS(ilsp_tokenize_batch(t, NULL, ILSP_TOKEN_COMPAT, 0, ids, strlen(ids), offsets, 3, out, 100, &len),
                  ILSP_ERR_BUFFER_TOO_SMALL);
    EXPECT(len == 3 * 64 + 1);
    /* The empty middle ID is refused for versioned tokens, by index. */
    EXPECT_STATUS(ilsp_tokenize_batch(t, NULL, ILSP_TOKEN_V1, 0, ids, strlen(ids), offsets, 3, out, sizeof out, &len),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("ids entry 1 must not be empty for a versioned token");
    size_t bad_offsets[] = {0, 14, 5, 27};
    EXPECT_STATUS(ilsp_tokenize_batch(t, NULL, 0, 0, ids, strlen(ids), bad_offsets, 3, out, sizeof out, &len),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("offsets must be non-decreasing");
    const char bad[] = "ok\xe2\x28\xa1";
    size_t bad_utf8[] = {0, 2, 5};
    EXPECT_STATUS(ilsp_tokenize_batch(t, NULL, 0, 0, bad, 5, bad_utf8, 2, out, sizeof out, &len), ILSP_ERR_ENCODING);
    EXPECT_MESSAGE("first invalid byte at offset 2");
    EXPECT_STATUS(ilsp_tokenize_batch(t, NULL, 0, 0, ids, strlen(ids), NULL, 3, out, sizeof out, &len), ILSP_ERR_NULL);
    ilsp_tokenizer_free(t);
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Decodes `n` hex digits at `src` into `dst`; returns the byte count or -1. */
static long unhex(const char *src, size_t n, unsigned char *dst) {
    if (n % 2) return -1;
    for (size_t i = 0; i < n; i += 2) {
        int hi = hexval(src[i]), lo = hexval(src[i + 1]);
        if (hi < 0 || lo < 0) return -1;
        dst[i / 2] = (unsigned char)(hi * 16 + lo);
    }
    return (long)(n / 2);
}

/* The vectors from CPython's hmac (tests/vectors/token_vectors.py). */
static void python_vectors(const char *path) {
    FILE *f = fopen(path, "rb");
    EXPECT(f != NULL);
    if (!f) return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    EXPECT(text && fread(text, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    text[size] = '\0';

    /* Pass 1: count lines and bytes; pass 2: decode into one packed buffer. */
    size_t n = 0;
    for (long i = 0; i < size; i++) n += text[i] == '\n';
    n -= 1; /* the key line */
    unsigned char *ids = malloc((size_t)size / 2 + 1);
    size_t *offsets = malloc((n + 1) * sizeof *offsets);
    char *expected = malloc(n * 64);
    unsigned char key[256];
    char *line = text, *nl = strchr(line, '\n');
    EXPECT(strncmp(line, "key ", 4) == 0);
    long key_len = unhex(line + 4, (size_t)(nl - line - 4), key);
    EXPECT(key_len >= 32);
    size_t pos = 0;
    offsets[0] = 0;
    for (size_t i = 0; i < n; i++) {
        line = nl + 1;
        nl = strchr(line, '\n');
        char *space = strchr(line, ' ');
        if (!(line[0] == '-' && space == line + 1)) {
            long got = unhex(line, (size_t)(space - line), ids + pos);
            EXPECT(got >= 0);
            pos += (size_t)got;
        }
        offsets[i + 1] = pos;
        memcpy(expected + i * 64, space + 1, 64);
    }

    ilsp_tokenizer *t = NULL;
    EXPECT_STATUS(ilsp_tokenizer_new(key, (size_t)key_len, &t), ILSP_OK);
    size_t mismatches = 0, len = 0;
    char token[ILSP_COMPAT_TOKEN_LEN + 1];
    for (size_t i = 0; i < n; i++) {
        ilsp_status rc = ilsp_tokenize(t, (const char *)ids + offsets[i], offsets[i + 1] - offsets[i], token,
                                       sizeof token, &len);
        if (rc != ILSP_OK || memcmp(token, expected + i * 64, 64) != 0) mismatches++;
    }
    size_t cap = n * 64 + 1;
    char *batch = malloc(cap);
    EXPECT_STATUS(ilsp_tokenize_batch(t, NULL, ILSP_TOKEN_COMPAT, 0, (const char *)ids, pos, offsets, n, batch, cap,
                                      &len),
                  ILSP_OK);
    EXPECT(len == n * 64);
    for (size_t i = 0; i < n; i++) {
        if (memcmp(batch + i * 64, expected + i * 64, 64) != 0) mismatches++;
    }
    printf("tokenize: %zu IDs from %s, %zu mismatches (single and batch)\n", n, path, mismatches);
    EXPECT(n == 10000);
    EXPECT(mismatches == 0);
    ilsp_tokenizer_free(t);
    free(batch);
    free(expected);
    free(offsets);
    free(ids);
    free(text);
}

int main(void) {
    compat_tokens();
    keys();
    versioned_and_rotation();
    batches();
    const char *vectors = getenv("ILSP_TOKEN_VECTORS");
    if (vectors && vectors[0]) {
        python_vectors(vectors);
    } else {
        printf("tokenize: ILSP_TOKEN_VECTORS not set, Python vector check skipped\n");
    }
    return finish("tokenize");
}
