/* BuildKit's Node.Dump(): "(value ["flag" ...] "arg" ...)" lines. */
#include <string.h>

#include "ast.h"
#include "buf.h"
#include "unicode.h"
#include "util.h"

/* Output is bounded by the input: every byte quotes to at most 10. */
#define DUMP_LIMIT (16u * DF_MAX_FILE_SIZE)

static int dump_node(struct buf *b, const struct df_node *nd);

static int dump_flags(struct buf *b, const struct df_node *nd)
{
    if (nd->nflags == 0)
        return 0;
    if (buf_addstr(b, " [", NULL) < 0)
        return -1;
    for (size_t i = 0; i < nd->nflags; i++) {
        if ((i > 0 && buf_addch(b, ' ', NULL) < 0) ||
            unicode_quote(b, nd->flags[i], strlen(nd->flags[i]), NULL) < 0)
            return -1;
    }
    return buf_addch(b, ']', NULL);
}

/* strings.TrimSpace of what was written since start. */
static void trim_from(struct buf *b, size_t start)
{
    size_t a, len;
    unicode_trim_space(b->data + start, b->len - start, &a, &len);
    memmove(b->data + start, b->data + start + a, len);
    b->len = start + len;
    b->data[b->len] = '\0';
}

static int dump_node(struct buf *b, const struct df_node *nd)
{
    size_t start = b->len;
    cleanup_free char *lower = unicode_lower(nd->value);
    if (buf_addstr(b, lower, NULL) < 0 || dump_flags(b, nd) < 0)
        return -1;
    for (size_t i = 0; i < nd->nargs; i++) {
        if (buf_addch(b, ' ', NULL) < 0 ||
            unicode_quote(b, nd->args[i].s, nd->args[i].len, NULL) < 0)
            return -1;
    }
    if (nd->sub) {
        /* the holder node: "(" + the trigger's dump + ")\n", trimmed */
        size_t hold = b->len + 1;
        if (buf_addstr(b, " (", NULL) < 0 || dump_node(b, nd->sub) < 0 ||
            buf_addstr(b, ")\n", NULL) < 0)
            return -1;
        trim_from(b, hold);
    }
    if (b->len > start)
        trim_from(b, start);
    return 0;
}

char *df_node_dump(const struct df_node *n, kiln_error_t **err)
{
    cleanup_buf struct buf b = BUF_INIT(DUMP_LIMIT);
    if (dump_node(&b, n) < 0)
        return kiln_err(err, KILN_ELIMIT, 0, "dump is over %u bytes", DUMP_LIMIT), NULL;
    return buf_detach(&b);
}

char *df_ast_dump(const struct df_ast *a, kiln_error_t **err)
{
    cleanup_buf struct buf b = BUF_INIT(DUMP_LIMIT);
    for (size_t i = 0; i < a->nnodes; i++) {
        if (buf_addch(&b, '(', NULL) < 0 || dump_node(&b, &a->nodes[i]) < 0 ||
            buf_addstr(&b, ")\n", NULL) < 0)
            return kiln_err(err, KILN_ELIMIT, 0, "dump is over %u bytes", DUMP_LIMIT), NULL;
    }
    if (b.len)
        trim_from(&b, 0);
    return buf_detach(&b);
}
