#include <string.h>

#include "unicode.h"
#include "util.h"

struct unicode_range {
    uint32_t lo, hi;
};
struct unicode_pair {
    uint32_t from, to;
};

#include "unicode_tables.inc"

uint32_t unicode_decode(const char *s, size_t n, size_t *width)
{
    const unsigned char *p = (const unsigned char *)s;
    *width = 1;
    if (p[0] < 0x80)
        return p[0];
    size_t len;
    uint32_t r, min;
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        len = 2, r = p[0] & 0x1Fu, min = 0x80;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        len = 3, r = p[0] & 0x0Fu, min = 0x800;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        len = 4, r = p[0] & 0x07u, min = 0x10000;
    } else {
        return UNICODE_ERROR;
    }
    if (n < len)
        return UNICODE_ERROR;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return UNICODE_ERROR;
        r = (r << 6) | (p[i] & 0x3Fu);
    }
    if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
        return UNICODE_ERROR;
    *width = len;
    return r;
}

size_t unicode_encode(uint32_t r, char out[4])
{
    if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
        r = UNICODE_ERROR;
    if (r < 0x80) {
        out[0] = (char)r;
        return 1;
    }
    if (r < 0x800) {
        out[0] = (char)(0xC0 | (r >> 6));
        out[1] = (char)(0x80 | (r & 0x3F));
        return 2;
    }
    if (r < 0x10000) {
        out[0] = (char)(0xE0 | (r >> 12));
        out[1] = (char)(0x80 | ((r >> 6) & 0x3F));
        out[2] = (char)(0x80 | (r & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (r >> 18));
    out[1] = (char)(0x80 | ((r >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((r >> 6) & 0x3F));
    out[3] = (char)(0x80 | (r & 0x3F));
    return 4;
}

int unicode_buf_add(struct buf *b, uint32_t r, kiln_error_t **err)
{
    char tmp[4];
    size_t n = unicode_encode(r, tmp);
    return buf_add(b, tmp, n, err);
}

static bool in_ranges(const struct unicode_range *t, size_t n, uint32_t r)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r < t[mid].lo)
            hi = mid;
        else if (r > t[mid].hi)
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

bool unicode_is_space(uint32_t r)
{
    switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
        return true;
    default:
        return r >= 0x2000 && r <= 0x200A;
    }
}

bool unicode_is_letter(uint32_t r)
{
    if (r < 0x80)
        return (r | 0x20) >= 'a' && (r | 0x20) <= 'z';
    return in_ranges(unicode_letters, ARRAY_SIZE(unicode_letters), r);
}

bool unicode_is_digit(uint32_t r)
{
    if (r < 0x80)
        return r >= '0' && r <= '9';
    return in_ranges(unicode_digits, ARRAY_SIZE(unicode_digits), r);
}

bool unicode_is_print(uint32_t r)
{
    if (r < 0x80)
        return r >= 0x20 && r < 0x7F;
    return in_ranges(unicode_print, ARRAY_SIZE(unicode_print), r);
}

uint32_t unicode_to_lower(uint32_t r)
{
    if (r < 0x80)
        return (r >= 'A' && r <= 'Z') ? r + 32 : r;
    size_t lo = 0, hi = ARRAY_SIZE(unicode_lower_map);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r < unicode_lower_map[mid].from)
            hi = mid;
        else if (r > unicode_lower_map[mid].from)
            lo = mid + 1;
        else
            return unicode_lower_map[mid].to;
    }
    return r;
}

uint32_t unicode_to_upper_ascii(uint32_t r)
{
    return (r >= 'a' && r <= 'z') ? r - 32 : r;
}

size_t unicode_space_len(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    size_t w;
    uint32_t r = unicode_decode(s, n, &w);
    if (r == UNICODE_ERROR && w == 1)
        return 0;
    return unicode_is_space(r) ? w : 0;
}

/* The start of the last rune of s[0..n) (utf8.DecodeLastRune). */
static size_t last_rune_start(const char *s, size_t n)
{
    size_t start = n - 1;
    size_t lim = n >= 4 ? n - 4 : 0;
    while (start > lim && ((unsigned char)s[start] & 0xC0) == 0x80)
        start--;
    size_t w;
    unicode_decode(s + start, n - start, &w);
    return start + w == n ? start : n - 1;
}

void unicode_trim_space(const char *s, size_t n, size_t *start, size_t *len)
{
    size_t a = 0, w;
    while (a < n && (w = unicode_space_len(s + a, n - a)) > 0)
        a += w;
    size_t b = n;
    while (b > a) {
        size_t st = last_rune_start(s + a, b - a) + a;
        if (unicode_space_len(s + st, b - st) != b - st)
            break;
        b = st;
    }
    *start = a;
    *len = b - a;
}

char *unicode_lower(const char *s)
{
    size_t n = strlen(s);
    char *out = xmalloc(n * 3 + 1); /* an invalid byte grows to 3 bytes, nothing else grows */
    size_t o = 0;
    for (size_t i = 0, w; i < n; i += w) {
        uint32_t r = unicode_decode(s + i, n - i, &w);
        o += unicode_encode(unicode_to_lower(r), out + o);
    }
    out[o] = '\0';
    return out;
}

static int quote_escaped(struct buf *b, uint32_t r, kiln_error_t **err)
{
    static const char hex[] = "0123456789abcdef";
    static const char *const named[] = {
        ['\a'] = "\\a", ['\b'] = "\\b", ['\f'] = "\\f", ['\n'] = "\\n",
        ['\r'] = "\\r", ['\t'] = "\\t", ['\v'] = "\\v"};
    if (r < ARRAY_SIZE(named) && named[r])
        return buf_addstr(b, named[r], err);
    if (r < ' ' || r == 0x7F)
        return buf_addf(b, err, "\\x%c%c", hex[r >> 4], hex[r & 0xF]);
    if (r < 0x10000)
        return buf_addf(b, err, "\\u%04x", (unsigned)r);
    return buf_addf(b, err, "\\U%08x", (unsigned)r);
}

int unicode_quote(struct buf *b, const char *s, size_t n, kiln_error_t **err)
{
    static const char hex[] = "0123456789abcdef";
    if (buf_addch(b, '"', err) < 0)
        return -1;
    for (size_t i = 0, w; i < n; i += w) {
        uint32_t r = unicode_decode(s + i, n - i, &w);
        int rc;
        if (r == UNICODE_ERROR && w == 1) {
            unsigned char c = (unsigned char)s[i];
            rc = buf_addf(b, err, "\\x%c%c", hex[c >> 4], hex[c & 0xF]);
        } else if (r == '"' || r == '\\') {
            char esc[2] = {'\\', (char)r};
            rc = buf_add(b, esc, 2, err);
        } else if (unicode_is_print(r)) {
            rc = buf_add(b, s + i, w, err);
        } else {
            rc = quote_escaped(b, r, err);
        }
        if (rc < 0)
            return -1;
    }
    return buf_addch(b, '"', err);
}

char *unicode_quoted(const char *s, size_t n)
{
    /* a byte quotes to at most 4 ("\\xff"; "\\U0010ffff" is 10 for 4), plus the quotes */
    cleanup_buf struct buf b = BUF_INIT(4 * n + 2);
    if (unicode_quote(&b, s, n, NULL) < 0)
        return xstrdup("\"...\""); /* cannot happen within the bound above */
    return buf_detach(&b);
}
