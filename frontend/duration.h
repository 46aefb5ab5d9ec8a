/* Go's time.ParseDuration ("1h30m", "2.5s", "300ms"), with its error messages. Internal. */
#ifndef KILN_FRONTEND_DURATION_H
#define KILN_FRONTEND_DURATION_H

#include <stdint.h>

#include "kiln/error.h"

/* Nanoseconds in *out. Errors (KILN_EINPUT): time: invalid duration "x", time: missing unit
 * in duration "x", time: unknown unit "u" in duration "x". */
int duration_parse(const char *s, int64_t *out, kiln_error_t **err);

#endif
