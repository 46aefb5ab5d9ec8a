#include <string.h>

#include "buf.h"
#include "csv.h"
#include "util.h"
#include "vec.h"

static int parse_error(size_t pos, const char *what, kiln_error_t **err)
{
    return kiln_err(err, KILN_EINPUT, 0, "parse error on line 1, column %zu: %s", pos + 1, what);
}

/* A quoted field starting after its opening quote at *pos. 1: the record ended. */
static int quoted_field(const char *s, size_t n, size_t *pos, struct buf *f, kiln_error_t **err)
{
    for (;;) {
        const char *q = memchr(s + *pos, '"', n - *pos);
        if (!q)
            return parse_error(*pos, "extraneous or missing \" in quoted-field", err);
        if (buf_add(f, s + *pos, (size_t)(q - (s + *pos)), err) < 0)
            return -1;
        *pos = (size_t)(q - s) + 1;
        if (*pos < n && s[*pos] == '"') {
            (*pos)++;
            if (buf_addch(f, '"', err) < 0)
                return -1;
        } else if (*pos < n && s[*pos] == ',') {
            (*pos)++;
            return 0;
        } else if (*pos == n) {
            return 1;
        } else {
            return parse_error(*pos - 1, "extraneous or missing \" in quoted-field", err);
        }
    }
}

int csv_fields(const char *line, char ***out, size_t *n, kiln_error_t **err)
{
    size_t len = strlen(line), pos = 0;
    if (len > 0 && line[len - 1] == '\n')
        len -= (len > 1 && line[len - 2] == '\r') ? 2 : 1;
    if (len == 0)
        return kiln_err(err, KILN_EINPUT, 0, "EOF");
    cleanup_strv char **v = NULL;
    size_t count = 0;
    for (;;) {
        cleanup_buf struct buf f = BUF_INIT(len + 1);
        if (pos >= len || line[pos] != '"') {
            const char *comma = memchr(line + pos, ',', len - pos);
            size_t end = comma ? (size_t)(comma - line) : len;
            const char *bare = memchr(line + pos, '"', end - pos);
            if (bare)
                return parse_error((size_t)(bare - line), "bare \" in non-quoted-field", err);
            strv_add(&v, &count, xstrndup(line + pos, end - pos));
            if (!comma)
                break;
            pos = end + 1;
            continue;
        }
        pos++;
        int r = quoted_field(line, len, &pos, &f, err);
        if (r < 0)
            return -1;
        strv_add(&v, &count, buf_detach(&f));
        if (r == 1)
            break;
    }
    *out = steal_ptr(v);
    *n = count;
    return 0;
}
