/* Heredocs in RUN, COPY and ADD (<<EOF, <<-EOF, <<"EOF", 3<<EOF), found as BuildKit finds
 * them: the line is split into words with the shell lexer (quotes and escapes kept), and a
 * word matching ^(\d*)<<(-?)\s*([^<]*)$ whose rest is a single shell word names one. */
#ifndef KILN_FRONTEND_HEREDOC_H
#define KILN_FRONTEND_HEREDOC_H

#include <stddef.h>

#include "dockerfile.h"
#include "kiln/error.h"

/* BuildKit's ParseHeredoc: 1 and *out (name, expand, chomp, fd; content NULL) when word is a
 * heredoc, 0 when not, -1 on a lexing error of the delimiter. */
int heredoc_parse_word(const char *word, struct df_heredoc *out, kiln_error_t **err);
/* Every heredoc named on a line, in order. */
int heredoc_from_line(const char *line, struct df_heredoc **out, size_t *n, kiln_error_t **err);
/* Removes the leading tabs of every line (for <<-). Newly allocated. */
char *heredoc_chomp(const char *content);
void heredoc_release(struct df_heredoc *h);

#endif
