/* Physical and logical lines of a Dockerfile, as BuildKit's parser.Parse reads them: a
 * byte-order mark dropped, parser directives at the top, comment lines collected for the
 * next instruction, line continuations with the escape character (comment and blank lines
 * inside a continuation skipped, the latter noted), line length limits. Internal. */
#ifndef KILN_FRONTEND_LEXER_H
#define KILN_FRONTEND_LEXER_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "directives.h"
#include "kiln/error.h"

struct lexer {
    const char *data;
    size_t len, pos;
    int line; /* physical lines read so far */
    char escape;
    struct directives dir;
    char *syntax, *check;
    char **comments; /* comments since the last instruction */
    size_t ncomments;
    int err_line; /* the line an error refers to */
};

struct lexer_line {
    struct buf text; /* the logical line */
    int start_line, end_line;
    char **comments; /* owned; NULL-terminated */
    size_t ncomments;
    bool empty_continuation; /* a blank line sat inside the continuation */
};

void lexer_init(struct lexer *lx, const char *data, size_t len);
void lexer_release(struct lexer *lx);
void lexer_line_release(struct lexer_line *ll);

/* The next logical line: 1, or 0 at the end, or -1 on an error (lx->err_line says where). */
int lexer_next(struct lexer *lx, struct lexer_line *out, kiln_error_t **err);
/* The next physical line, newline included (heredoc bodies): 1, 0 at the end, -1 on error. */
int lexer_raw_line(struct lexer *lx, const char **s, size_t *n, kiln_error_t **err);

/* Removes a line continuation (the escape character at the end, only blanks after it, not
 * itself escaped) from s[0..*n); true when there was one. */
bool lexer_trim_continuation(const char *s, size_t *n, char escape);

#endif
