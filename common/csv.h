/* One CSV record, as github.com/tonistiigi/go-csvvalue parses RUN --mount and --device
 * values (and buildx the --output flag): ',' separated, '"' quoted fields with "" for a
 * quote. */
#ifndef KILN_CSV_H
#define KILN_CSV_H

#include <stddef.h>

#include "kiln/error.h"

/* The fields of line; errors as Go's csv.ParseError ("parse error on line 1, column 3: bare \"
 * in non-quoted-field") or "EOF" for an empty line. */
int csv_fields(const char *line, char ***out, size_t *n, kiln_error_t **err);

#endif
