/* Tiny assertion helpers shared by the C example programs. */
#ifndef ILSP_EXAMPLE_CHECK_H
#define ILSP_EXAMPLE_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ilsprivacy.h"

static int check_failures = 0;

/* Fails the program (at exit) unless `status` equals `expected`. */
#define EXPECT_STATUS(call, expected)                                          \
    do {                                                                       \
        ilsp_status got_ = (call);                                             \
        if (got_ != (expected)) {                                              \
            fprintf(stderr, "%s:%d: %s returned %d, expected %d (%s)\n",      \
                    __FILE__, __LINE__, #call, (int)got_, (int)(expected),     \
                    ilsp_last_error());                                        \
            check_failures++;                                                  \
        }                                                                      \
    } while (0)

/* Fails the program (at exit) unless `cond` holds. */
#define EXPECT(cond)                                                           \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond);\
            check_failures++;                                                  \
        }                                                                      \
    } while (0)

/* Fails unless the last error message contains `needle`. */
#define EXPECT_MESSAGE(needle)                                                 \
    do {                                                                       \
        const char *msg_ = ilsp_last_error();                                  \
        if (msg_ == NULL || strstr(msg_, (needle)) == NULL) {                  \
            fprintf(stderr, "%s:%d: last error \"%s\" lacks \"%s\"\n",         \
                    __FILE__, __LINE__, msg_ ? msg_ : "(null)", (needle));     \
            check_failures++;                                                  \
        }                                                                      \
    } while (0)

static int finish(const char *name) {
    if (check_failures) {
        fprintf(stderr, "%s: %d check(s) failed\n", name, check_failures);
        return EXIT_FAILURE;
    }
    printf("%s: all checks passed\n", name);
    return EXIT_SUCCESS;
}

#endif
