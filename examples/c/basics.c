/*
 * The basics of the ilsprivacy C ABI: version, status codes, the last-error
 * message, and clamping. Build and run (from the repository root):
 *
 *   scripts/install.sh --prefix "$PWD/target/prefix"
 *   export PKG_CONFIG_PATH="$PWD/target/prefix/lib/pkgconfig"
 *   cc -Wall -Wextra -Werror -std=c99 examples/c/basics.c $(pkg-config --cflags --libs ilsprivacy) \
 *      -Wl,-rpath,"$PWD/target/prefix/lib" -o basics
 *   ./basics
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

int main(void) {
    /* The loaded library must match the header it was compiled against. */
    char header_version[32];
    snprintf(header_version, sizeof header_version, "%d.%d.%d", ILSP_VERSION_MAJOR,
             ILSP_VERSION_MINOR, ILSP_VERSION_PATCH);
    printf("ilsprivacy %s (header %s)\n", ilsp_version(), header_version);
    EXPECT(strcmp(ilsp_version(), header_version) == 0);

    /* No call yet on this thread: the message is empty, never NULL. */
    EXPECT(ilsp_last_error() != NULL && ilsp_last_error()[0] == '\0');

    double out = -1.0;
    EXPECT_STATUS(ilsp_clamp(12.5, 0.0, 10.0, &out), ILSP_OK);
    EXPECT(out == 10.0);
    EXPECT(ilsp_last_error()[0] == '\0');

    EXPECT_STATUS(ilsp_clamp(-INFINITY, 0.0, 10.0, &out), ILSP_OK);
    EXPECT(out == 0.0);

    /* Error paths: the code is documented, the message names the problem, and
       the output is left untouched. */
    out = 42.0;
    EXPECT_STATUS(ilsp_clamp(NAN, 0.0, 10.0, &out), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("value must not be NaN");
    EXPECT(out == 42.0);

    EXPECT_STATUS(ilsp_clamp(1.0, 5.0, 2.0, &out), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("lo must be <= hi, got lo = 5 > hi = 2");

    EXPECT_STATUS(ilsp_clamp(1.0, NAN, 2.0, &out), ILSP_ERR_INVALID_ARGUMENT);
    EXPECT_MESSAGE("lo must be finite, got NaN");

    EXPECT_STATUS(ilsp_clamp(1.0, 0.0, 2.0, NULL), ILSP_ERR_NULL);
    EXPECT_MESSAGE("out must not be NULL");

    /* A success clears the message. */
    EXPECT_STATUS(ilsp_clamp(1.0, 0.0, 2.0, &out), ILSP_OK);
    EXPECT(ilsp_last_error()[0] == '\0');

    return finish("basics");
}
