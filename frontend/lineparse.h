/* From one logical line to a syntax-tree node: BuildKit's splitCommand, extractBuilderFlags
 * and the per-instruction line parsers (line_parsers.go), byte for byte. Internal. */
#ifndef KILN_FRONTEND_LINEPARSE_H
#define KILN_FRONTEND_LINEPARSE_H

#include <stddef.h>

#include "ast.h"
#include "kiln/error.h"

#define LINEPARSE_MAX_DEPTH 64 /* ONBUILD nesting the parser follows */

/* Fills node (zeroed by the caller) from line: value, flags, args, json, sub. Errors are
 * BuildKit's parser errors (KILN_EINPUT), without a location. */
int lineparse_node(struct df_node *node, const char *line, char escape, int depth,
                   kiln_error_t **err);

/* parseWords: whitespace-separated words, quotes and escapes kept. *n words, NULL-terminated. */
char **lineparse_words(const char *s, size_t len, char escape, size_t *n);

/* The instruction lookup BuildKit's dispatch does: the command for a word (any case), or -1. */
int lineparse_cmd(const char *word);

#endif
