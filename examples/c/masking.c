/*
 * Export masking through the C ABI: e-mail redaction, date coarsening, age
 * bands, postcode truncation, small-cell suppression of a count table, and
 * export schemas that mask records or quarantine them with reasons that name
 * fields, never values.
 *
 *   scripts/install.sh --prefix "$PWD/target/prefix"
 *   export PKG_CONFIG_PATH="$PWD/target/prefix/lib/pkgconfig"
 *   cc -Wall -Wextra -Werror -std=c99 examples/c/masking.c $(pkg-config --cflags --libs ilsprivacy) \
 *      -Wl,-rpath,"$PWD/target/prefix/lib" -o masking
 *   ./masking
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define EXPECT_NO_LEAK(secret) EXPECT(strstr(ilsp_last_error(), (secret)) == NULL)

static void helpers(void) {
    char out[64];
    size_t len = 0;

    EXPECT_STATUS(ilsp_mask_email("Jane.Doe@Example.org", 1, out, sizeof out, &len), ILSP_OK);
    EXPECT(strcmp(out, "J***@example.org") == 0 && len == 16);
    EXPECT_STATUS(ilsp_mask_email("Jane.Doe@Example.org", 0, out, sizeof out, &len), ILSP_OK);
    EXPECT(strcmp(out, "J***@***.org") == 0);
    EXPECT_STATUS(ilsp_mask_email("jane.doe.secret", 0, out, sizeof out, &len), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("email is not an address: no '@'");
    EXPECT_NO_LEAK("secret");
    EXPECT_STATUS(ilsp_mask_email("a@b.org", 2, out, sizeof out, &len), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_mask_email("Jane.Doe@Example.org", 1, out, 8, &len), ILSP_ERR_BUFFER_TOO_SMALL);
    EXPECT(len == 17);
    EXPECT_STATUS(ilsp_mask_email(NULL, 1, out, sizeof out, &len), ILSP_ERR_NULL);
    EXPECT_STATUS(ilsp_mask_email("bad \xff@x.org", 1, out, sizeof out, &len), ILSP_ERR_ENCODING);

    EXPECT_STATUS(ilsp_mask_date("2026-03-14T18:22:05Z", ILSP_DATE_DAY, out, sizeof out, &len), ILSP_OK);
    EXPECT(strcmp(out, "2026-03-14") == 0);
    EXPECT_STATUS(ilsp_mask_date("2027-01-01", ILSP_DATE_ISO_WEEK, out, sizeof out, &len), ILSP_OK);
    EXPECT(strcmp(out, "2026-W53") == 0);
    EXPECT_STATUS(ilsp_mask_date("2026-03-14", ILSP_DATE_MONTH, out, sizeof out, &len), ILSP_OK);
    EXPECT(strcmp(out, "2026-03") == 0);
    EXPECT_STATUS(ilsp_mask_date("2026-02-30", ILSP_DATE_DAY, out, sizeof out, &len), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("date is not a calendar date");
    EXPECT_STATUS(ilsp_mask_date("2026-03-14", 3, out, sizeof out, &len), ILSP_ERR_INVALID_ARGUMENT);

    EXPECT_STATUS(ilsp_mask_age_band(34, 10, 90, out, sizeof out, &len), ILSP_OK);
    EXPECT(strcmp(out, "30-39") == 0);
    EXPECT_STATUS(ilsp_mask_age_band(93, 10, 90, out, sizeof out, &len), ILSP_OK);
    EXPECT(strcmp(out, "90+") == 0);
    EXPECT_STATUS(ilsp_mask_age_band(34, 10, 85, out, sizeof out, &len), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("top must be a positive multiple of width (10)");
    EXPECT_STATUS(ilsp_mask_age_band(200, 10, 90, out, sizeof out, &len), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("age must be at most 150");

    EXPECT_STATUS(ilsp_mask_postcode("SW1A 1AA", 4, out, sizeof out, &len), ILSP_OK);
    EXPECT(strcmp(out, "SW1A") == 0);
    EXPECT_STATUS(ilsp_mask_postcode("12345-6789", 3, out, sizeof out, &len), ILSP_OK);
    EXPECT(strcmp(out, "123") == 0);
    EXPECT_STATUS(ilsp_mask_postcode("123", 3, out, sizeof out, &len), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("would not mask it");
}

static void suppression(void) {
    /* Checkouts by branch (rows) and age band (columns); one cell below k = 5. */
    const uint64_t counts[] = {20, 30, 25, 15, 2, 40, 33, 27, 50};
    uint64_t values[16];
    uint8_t status[16];
    size_t len = 0;
    EXPECT_STATUS(ilsp_suppress_small_cells(counts, 3, 3, 5, values, status, 4, &len), ILSP_ERR_BUFFER_TOO_SMALL);
    EXPECT(len == 16);
    EXPECT_STATUS(ilsp_suppress_small_cells(counts, 3, 3, 5, values, status, 16, &len), ILSP_OK);
    EXPECT(len == 16);
    /* The 2 is hidden, and three more cells so it cannot be recomputed from the totals. */
    EXPECT(status[1 * 4 + 1] == ILSP_CELL_PRIMARY && values[1 * 4 + 1] == 0);
    size_t complementary = 0;
    for (size_t i = 0; i < 16; i++) complementary += status[i] == ILSP_CELL_COMPLEMENTARY;
    EXPECT(complementary == 3);
    EXPECT(status[3 * 4 + 3] == ILSP_CELL_PUBLISHED && values[3 * 4 + 3] == 242);
    EXPECT_STATUS(ilsp_suppress_small_cells(counts, 3, 3, 0, values, status, 16, &len), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(ilsp_suppress_small_cells(NULL, 3, 3, 5, values, status, 16, &len), ILSP_ERR_NULL);
    /* A shape over the 250,000-cell cap is refused before `counts` is read
       (it holds 9 values here) and before anything is allocated. */
    len = 7;
    EXPECT_STATUS(ilsp_suppress_small_cells(counts, (size_t)1 << 20, (size_t)1 << 20, 5, NULL, NULL, 0, &len),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("at most 250000 cells");
    EXPECT_STATUS(ilsp_suppress_small_cells(counts, SIZE_MAX, 2, 5, NULL, NULL, 0, &len), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT(len == 7);

    /* A long table, one small count in three (the old quadratic passes took
       half a minute on 2 x 20,000; see tests/suppress_reference.rs for the
       timed tables at the cap). */
    enum { LONG = 20000 };
    uint64_t *many = malloc(2 * LONG * sizeof *many);
    uint64_t *many_values = malloc(3 * (LONG + 1) * sizeof *many_values);
    uint8_t *many_status = malloc(3 * (LONG + 1));
    EXPECT(many && many_values && many_status);
    if (many && many_values && many_status) {
        for (size_t i = 0; i < 2 * LONG; i++) many[i] = i % 3 == 0 ? 1 + i % 4 : 10 + i % 97;
        EXPECT_STATUS(ilsp_suppress_small_cells(many, 2, LONG, 5, many_values, many_status, 3 * (LONG + 1), &len),
                      ILSP_OK);
        size_t hidden = 0;
        for (size_t i = 0; i < len; i++) hidden += many_status[i] != ILSP_CELL_PUBLISHED;
        EXPECT(hidden > LONG / 2);
    }
    free(many);
    free(many_values);
    free(many_status);
}

static void export_schema(void) {
    const char *schema_json =
        "{\"unknown_fields\": \"reject\", \"pii_fields\": \"strip\", \"fields\": {"
        " \"patron_id\": {\"rule\": \"tokenize\", \"normalize\": [\"trim\", \"strip_separators\"], \"required\": true},"
        " \"email\": {\"rule\": \"email\"},"
        " \"checkout\": {\"rule\": \"date\", \"granularity\": \"iso_week\"},"
        " \"age\": {\"rule\": \"age_band\", \"width\": 10, \"top\": 90},"
        " \"branch\": {\"rule\": \"keep\", \"type\": \"string\"},"
        " \"name\": {\"rule\": \"pii\"}}}";
    ilsp_export_schema *schema = NULL;
    EXPECT_STATUS(ilsp_export_schema_new(schema_json, &schema), ILSP_OK);
    ilsp_export_schema *bad = NULL;
    EXPECT_STATUS(ilsp_export_schema_new("{\"fields\": {\"a\": {\"rule\": \"nope\"}}}", &bad),
                  ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("schema is not a valid export schema");

    ilsp_tokenizer *t = NULL;
    EXPECT_STATUS(ilsp_tokenizer_new((const uint8_t *)"library-pipeline-key-0123456789!", 32, &t), ILSP_OK);

    char out[512];
    size_t len = 0;
    int32_t quarantined = -1;
    const char *record =
        "{\"patron_id\": \" 21234-000123456 \", \"email\": \"jane.doe@example.org\", \"checkout\": \"2026-03-14\","
        " \"age\": 37, \"branch\": \"Central\", \"name\": \"Jane Doe\"}";
    EXPECT_STATUS(ilsp_export_record(schema, t, record, strlen(record), out, sizeof out, &len, &quarantined), ILSP_OK);
    EXPECT(quarantined == 0);
    EXPECT(strstr(out, "\"patron_id\":\"v1.k1.qyhwmumgr5qp4dovv5mrp7doie\"") != NULL);
    EXPECT(strstr(out, "\"email\":\"j***@***.org\"") != NULL);
    EXPECT(strstr(out, "\"checkout\":\"2026-W11\"") != NULL);
    EXPECT(strstr(out, "Jane") == NULL && strstr(out, "name") == NULL);

    const char *broken = "{\"patron_id\": \"P-1\", \"email\": \"jane-secret\", \"ssn\": \"078-05-1120\"}";
    EXPECT_STATUS(ilsp_export_record(schema, t, broken, strlen(broken), out, sizeof out, &len, &quarantined), ILSP_OK);
    EXPECT(quarantined == 1);
    EXPECT(strstr(out, "\"field\":\"email\"") != NULL && strstr(out, "\"reason\":\"malformed\"") != NULL);
    EXPECT(strstr(out, "\"field\":\"ssn\",\"reason\":\"unknown_field\"") != NULL);
    EXPECT(strstr(out, "secret") == NULL && strstr(out, "078-05") == NULL);

    EXPECT_STATUS(ilsp_export_record(schema, t, "[1]", 3, out, 4, &len, &quarantined), ILSP_ERR_BUFFER_TOO_SMALL);
    EXPECT(quarantined == 1 && len > 4);
    EXPECT_STATUS(ilsp_export_record(schema, NULL, "{}", 2, out, sizeof out, &len, &quarantined), ILSP_ERR_NULL);

    ilsp_tokenizer_free(t);
    ilsp_export_schema_free(schema);
    ilsp_export_schema_free(NULL);
}

int main(void) {
    helpers();
    suppression();
    export_schema();
    return finish("masking");
}
