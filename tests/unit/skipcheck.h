/* A check of a unit test that cannot run on this machine while the rest of the test can: it is
 * printed and appended to $KILN_SKIP_LOG, which scripts/test lists among the skipped checks
 * (a whole test that cannot run uses cr_skip_test: ctest then reports the program as skipped). */
#ifndef KILN_TEST_SKIPCHECK_H
#define KILN_TEST_SKIPCHECK_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

static inline void test_skip_check(const char *what, const char *why)
{
    fprintf(stderr, "skipped check: %s (%s)\n", what, why);
    const char *log = getenv("KILN_SKIP_LOG");
    FILE *f = log && *log ? fopen(log, "a") : NULL;
    if (f) {
        fprintf(f, "%s::%s: skipped check: %s (%s)\n", criterion_current_suite->name,
                criterion_current_test->name, what, why);
        fclose(f);
    }
}

#endif
