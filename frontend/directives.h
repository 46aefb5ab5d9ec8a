/* Parser directives ("# syntax=", "# escape=", "# check=") with the quirks of BuildKit's
 * DirectiveParser: only at the top of the file, each at most once, and the first line that
 * is not a directive (a blank line included) ends them. Internal to the frontend. */
#ifndef KILN_FRONTEND_DIRECTIVES_H
#define KILN_FRONTEND_DIRECTIVES_H

#include <stdbool.h>
#include <stddef.h>

#include "kiln/error.h"

struct directives {
    const char *prefix; /* "#" for a Dockerfile, "" for a lint comment */
    bool done;
    bool seen_syntax, seen_escape, seen_check;
};

struct directive {
    char *name; /* lowercased: "syntax", "escape" or "check" */
    char *value;
};

/* Looks at one line (newline removed, leading spaces removed). Returns 1 and fills *out
 * (free with directive_release) for a directive, 0 for none, -1 on a repeated directive
 * ("only one escape parser directive can be used"). */
int directives_parse_line(struct directives *d, const char *line, size_t n, struct directive *out,
                          kiln_error_t **err);
void directive_release(struct directive *dv);

#endif
