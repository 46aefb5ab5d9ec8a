/* A JSON validator and string decoder with the behaviour of Go's encoding/json. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonargs.h"
#include "unicode.h"
#include "util.h"

struct jsonargs_scan {
    const char *s;
    size_t n, pos;
    bool overflow;  /* a number does not fit a float64: Unmarshal fails, not a syntax error */
    bool nonstring; /* a top-level element is not a string */
    struct df_bytes *out;
    size_t count, cap;
};

static void skip_ws(struct jsonargs_scan *j)
{
    while (j->pos < j->n && strchr(" \t\n\r", j->s[j->pos]) && j->s[j->pos])
        j->pos++;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static size_t digits(const struct jsonargs_scan *j, size_t p)
{
    while (p < j->n && is_digit(j->s[p]))
        p++;
    return p;
}

static int scan_number(struct jsonargs_scan *j)
{
    size_t p = j->pos, start = p;
    if (p < j->n && j->s[p] == '-')
        p++;
    if (p >= j->n || !is_digit(j->s[p]))
        return -1;
    p = j->s[p] == '0' ? p + 1 : digits(j, p);
    if (p < j->n && j->s[p] == '.') {
        if (p + 1 >= j->n || !is_digit(j->s[p + 1]))
            return -1;
        p = digits(j, p + 1);
    }
    if (p < j->n && (j->s[p] == 'e' || j->s[p] == 'E')) {
        p++;
        if (p < j->n && (j->s[p] == '+' || j->s[p] == '-'))
            p++;
        if (p >= j->n || !is_digit(j->s[p]))
            return -1;
        p = digits(j, p);
    }
    cleanup_free char *num = xstrndup(j->s + start, p - start);
    errno = 0;
    double d = strtod(num, NULL);
    if (errno == ERANGE && isinf(d))
        j->overflow = true;
    j->pos = p;
    return 0;
}

static int hex4(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        uint32_t d = is_digit(c)                              ? (uint32_t)(c - '0')
                     : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (uint32_t)((c | 0x20) - 'a' + 10)
                                                              : 16;
        if (d == 16)
            return -1;
        v = v * 16 + d;
    }
    *out = v;
    return 0;
}

/* Validates the string at j->pos (the opening quote); the content span is [*a, *b). */
static int scan_string(struct jsonargs_scan *j, size_t *a, size_t *b)
{
    size_t p = j->pos + 1;
    *a = p;
    while (p < j->n && j->s[p] != '"') {
        unsigned char c = (unsigned char)j->s[p];
        if (c < 0x20)
            return -1;
        if (c != '\\') {
            p++;
            continue;
        }
        if (p + 1 >= j->n)
            return -1;
        char e = j->s[p + 1];
        uint32_t u;
        if (e == 'u') {
            if (p + 6 > j->n || hex4(j->s + p + 2, &u) < 0)
                return -1;
            p += 6;
        } else if (strchr("\"\\/bfnrt", e) && e) {
            p += 2;
        } else {
            return -1;
        }
    }
    if (p >= j->n)
        return -1;
    *b = p;
    j->pos = p + 1;
    return 0;
}

static int scan_literal(struct jsonargs_scan *j)
{
    static const char *const lits[] = {"true", "false", "null"};
    for (size_t i = 0; i < ARRAY_SIZE(lits); i++) {
        size_t l = strlen(lits[i]);
        if (j->n - j->pos >= l && memcmp(j->s + j->pos, lits[i], l) == 0) {
            j->pos += l;
            return 0;
        }
    }
    return -1;
}

/* Decodes the string content s[a..b) as Go's unquote. */
static void decode_string(const char *s, size_t a, size_t b, struct df_bytes *out)
{
    /* Only an invalid byte grows (to the 3 bytes of U+FFFD); escapes shrink. */
    struct buf d = BUF_INIT(3 * (b - a) + 1);
    for (size_t p = a, w; p < b; p += w) {
        uint32_t r = unicode_decode(s + p, b - p, &w), lo;
        if (s[p] == '\\' && s[p + 1] == 'u') {
            hex4(s + p + 2, &r);
            w = 6;
            if (r >= 0xD800 && r < 0xDC00 && p + 12 <= b && s[p + 6] == '\\' && s[p + 7] == 'u' &&
                hex4(s + p + 8, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
                r = 0x10000 + ((r - 0xD800) << 10) + (lo - 0xDC00);
                w = 12;
            } else if (r >= 0xD800 && r < 0xE000) {
                r = UNICODE_ERROR;
            }
        } else if (s[p] == '\\') {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            r = (unsigned char)to[strchr(from, s[p + 1]) - from];
            w = 2;
        }
        unicode_buf_add(&d, r, NULL);
    }
    out->len = d.len;
    out->s = buf_detach(&d);
}

static void add_element(struct jsonargs_scan *j, size_t a, size_t b)
{
    xgrow(&j->out, &j->cap, j->count + 1, sizeof(*j->out));
    decode_string(j->s, a, b, &j->out[j->count++]);
}

/* After a value inside a container: ',' continues it, the closer ends it. Returns 1 when the
 * container closed, 0 to read the next element or member, -1 on a syntax error. */
static int scan_after_value(struct jsonargs_scan *j, char closer)
{
    skip_ws(j);
    if (j->pos >= j->n)
        return -1;
    char c = j->s[j->pos++];
    if (c == closer)
        return 1;
    return c == ',' ? 0 : -1;
}

static int scan_member_key(struct jsonargs_scan *j)
{
    size_t a, b;
    skip_ws(j);
    if (j->pos >= j->n || j->s[j->pos] != '"' || scan_string(j, &a, &b) < 0)
        return -1;
    skip_ws(j);
    if (j->pos >= j->n || j->s[j->pos] != ':')
        return -1;
    j->pos++;
    return 0;
}

/* One scalar value, or the opening of a container pushed on the stack. */
static int scan_value(struct jsonargs_scan *j, char *stack, size_t *depth, bool top)
{
    size_t a, b;
    skip_ws(j);
    if (j->pos >= j->n)
        return -1;
    char c = j->s[j->pos];
    if (c == '[' || c == '{') {
        if (*depth >= JSONARGS_MAX_DEPTH)
            return -1;
        stack[(*depth)++] = c == '[' ? ']' : '}';
        j->pos++;
        return 1;
    }
    if (c == '"') {
        if (scan_string(j, &a, &b) < 0)
            return -1;
        if (top)
            add_element(j, a, b);
        return 0;
    }
    return (c == '-' || is_digit(c)) ? scan_number(j) : scan_literal(j);
}

/* The element loop of a just-opened container; 1 when it was empty. */
static int open_container(struct jsonargs_scan *j, char closer)
{
    skip_ws(j);
    if (j->pos < j->n && j->s[j->pos] == closer) {
        j->pos++;
        return 1;
    }
    return closer == '}' ? scan_member_key(j) : 0;
}

static int scan_document(struct jsonargs_scan *j, char *stack)
{
    size_t depth = 1;
    stack[0] = ']';
    j->pos++;
    int r = open_container(j, ']');
    while (r >= 0 && depth > 0) {
        if (r == 1) { /* the container at stack[depth - 1] closed */
            if (--depth == 0)
                break;
            r = scan_after_value(j, stack[depth - 1]);
        } else {
            bool top = depth == 1;
            size_t before = depth;
            r = scan_value(j, stack, &depth, top);
            if (r == 0 && top && j->s[j->pos - 1] != '"')
                j->nonstring = true;
            if (r == 1) {
                j->nonstring |= top;
                r = open_container(j, stack[before]);
                continue;
            }
            if (r == 0)
                r = scan_after_value(j, stack[depth - 1]);
        }
        if (r == 0 && stack[depth - 1] == '}')
            r = scan_member_key(j);
    }
    if (r < 0)
        return -1;
    skip_ws(j);
    return j->pos == j->n ? 0 : -1;
}

enum jsonargs_result jsonargs_parse(const char *s, size_t n, struct df_bytes **out, size_t *count)
{
    struct jsonargs_scan j = {s, n, 0, false, false, NULL, 0, 0};
    cleanup_free char *stack = xmalloc(JSONARGS_MAX_DEPTH + 1);
    int r = scan_document(&j, stack);
    enum jsonargs_result res = r < 0 || j.overflow ? JSONARGS_NOT_JSON
                               : j.nonstring       ? JSONARGS_NOT_STRINGS
                                                   : JSONARGS_OK;
    if (res != JSONARGS_OK) {
        for (size_t i = 0; i < j.count; i++)
            free(j.out[i].s);
        free(j.out);
        return res;
    }
    *out = j.out;
    *count = j.count;
    return JSONARGS_OK;
}
