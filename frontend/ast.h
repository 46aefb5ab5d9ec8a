/* The parser-level syntax tree of a Dockerfile: BuildKit's parser.Node, before any
 * instruction is validated. df_parse() (dockerfile.h) builds on it; `kiln parse --dump` and
 * the conformance tests print it with df_ast_dump(), which writes BuildKit's Node.Dump().
 *
 * At this level unknown instructions and bad flags are still accepted (BuildKit's parser
 * accepts them too; its instruction layer refuses them). What is refused here is what
 * BuildKit's parser refuses: a bad parser directive, an ENV/LABEL without a value or '=',
 * a JSON array with a non-string element, an unterminated heredoc, a line over the limit,
 * and a file without instructions.
 *
 * Ownership: everything belongs to the struct df_ast and is freed by df_ast_free().
 */
#ifndef KILN_FRONTEND_AST_H
#define KILN_FRONTEND_AST_H

#include <stdbool.h>
#include <stddef.h>

#include "dockerfile.h"
#include "kiln/error.h"

/* A string that may hold NUL bytes (a JSON "\u0000"); s is also NUL-terminated. */
struct df_bytes {
    char *s;
    size_t len;
};

struct df_node {
    char *value;    /* the instruction word as written, e.g. "copy" */
    char *original; /* the logical line, continuations joined (Node.Original) */
    char **flags;   /* the "--name[=value]" words before the arguments, unquoted */
    size_t nflags;
    struct df_bytes *args; /* Node.Next values: see dockerfile.h for the layout per command */
    size_t nargs;
    struct df_node *sub;         /* ONBUILD: the trigger instruction, or NULL */
    bool json;                   /* the arguments were a JSON array */
    struct df_heredoc *heredocs; /* bodies as written (tabs not stripped; chomp says <<-) */
    size_t nheredocs;
    int start_line, end_line;
    char **comments; /* the comment lines right above, '#' and spaces removed (PrevComment) */
    size_t ncomments;
};

struct df_ast {
    struct df_node *nodes;
    size_t nnodes;
    char escape;  /* '\\' or '`' */
    char *syntax; /* parser directives, or NULL */
    char *check;
    int start_line, end_line;
    struct df_warning *warnings;
    size_t nwarnings;
};

/* Parses data (len bytes; NUL bytes are refused). name is the file name used in errors:
 * "Dockerfile:LINE: <what>" (KILN_EINPUT), KILN_ELIMIT over a limit of dockerfile.h. */
int df_ast_parse(const char *name, const char *data, size_t len, struct df_ast **out,
                 kiln_error_t **err);
void df_ast_free(struct df_ast *a);
static inline void cleanup_df_astp(struct df_ast **a)
{
    df_ast_free(*a);
}
#define cleanup_df_ast __attribute__((cleanup(cleanup_df_astp)))

/* BuildKit's Node.Dump() of the root (without the final newline): one "(instr ...)" per
 * line. Newly allocated; NULL with a KILN_ELIMIT error over 16 times DF_MAX_FILE_SIZE (an AST
 * parsed from at most DF_MAX_FILE_SIZE bytes stays under it). */
char *df_ast_dump(const struct df_ast *a, kiln_error_t **err);
/* The dump of one node, "(" and ")" not included. Newly allocated, or NULL as above. */
char *df_node_dump(const struct df_node *n, kiln_error_t **err);

#endif
