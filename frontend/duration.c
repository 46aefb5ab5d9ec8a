#include <string.h>

#include "duration.h"
#include "unicode.h"
#include "util.h"

#define DURATION_LIMIT (1ull << 63)

/* The time package's own quote: non-ASCII and control bytes as \xNN. */
static char *time_quote(const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char *out = xmalloc(4 * n + 3), *o = out; /* a byte quotes to at most 4 */
    *o++ = '"';
    for (size_t i = 0, w; i < n; i += w) {
        uint32_t r = unicode_decode(s + i, n - i, &w);
        if (r >= 0x80 || r < ' ') {
            for (size_t j = 0; j < w; j++) {
                *o++ = '\\';
                *o++ = 'x';
                *o++ = hex[(unsigned char)s[i + j] >> 4];
                *o++ = hex[(unsigned char)s[i + j] & 0xF];
            }
            continue;
        }
        if (r == '"' || r == '\\')
            *o++ = '\\';
        *o++ = (char)r;
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

static int invalid(const char *orig, kiln_error_t **err)
{
    cleanup_free char *q = time_quote(orig, strlen(orig));
    return kiln_err(err, KILN_EINPUT, 0, "time: invalid duration %s", q);
}

static const struct {
    const char *name;
    uint64_t ns;
} units[] = {
    {"ns", 1},       {"us", 1000},         {"\xC2\xB5s", 1000},   {"\xCE\xBCs", 1000},
    {"ms", 1000000}, {"s", 1000000000ull}, {"m", 60000000000ull}, {"h", 3600000000000ull},
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* leadingInt: the digits at *p; -1 on overflow. */
static int leading_int(const char **p, uint64_t *v)
{
    for (*v = 0; is_digit(**p); (*p)++) {
        if (*v > DURATION_LIMIT / 10)
            return -1;
        *v = *v * 10 + (uint64_t)(**p - '0');
        if (*v > DURATION_LIMIT)
            return -1;
    }
    return 0;
}

/* leadingFraction: the digits at *p as f / scale, ignoring the ones past float precision. */
static void leading_fraction(const char **p, uint64_t *f, double *scale)
{
    bool overflow = false;
    for (*f = 0, *scale = 1; is_digit(**p); (*p)++) {
        uint64_t c = (uint64_t)(**p - '0');
        if (overflow || *f > (DURATION_LIMIT - 1) / 10 || *f * 10 + c > DURATION_LIMIT) {
            overflow = true;
            continue;
        }
        *f = *f * 10 + c;
        *scale *= 10;
    }
}

/* The unit at *p (up to the next digit or '.'): its nanoseconds, or an error. */
static int unit_at(const char *orig, const char **p, uint64_t *unit, kiln_error_t **err)
{
    const char *u = *p;
    while (**p && **p != '.' && !is_digit(**p))
        (*p)++;
    size_t len = (size_t)(*p - u);
    if (len == 0) {
        cleanup_free char *q = time_quote(orig, strlen(orig));
        return kiln_err(err, KILN_EINPUT, 0, "time: missing unit in duration %s", q);
    }
    for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
        if (strlen(units[i].name) == len && memcmp(units[i].name, u, len) == 0) {
            *unit = units[i].ns;
            return 0;
        }
    }
    cleanup_free char *qu = time_quote(u, len);
    cleanup_free char *q = time_quote(orig, strlen(orig));
    return kiln_err(err, KILN_EINPUT, 0, "time: unknown unit %s in duration %s", qu, q);
}

/* One "<number><unit>" element at *s, added to *d. */
static int element(const char *orig, const char **s, uint64_t *d, kiln_error_t **err)
{
    const char *p = *s, *start = p;
    uint64_t v, f = 0, unit = 1;
    double scale = 1;
    if (!(*p == '.' || is_digit(*p)) || leading_int(&p, &v) < 0)
        return invalid(orig, err);
    bool pre = p != start, post = false;
    if (*p == '.') {
        const char *fs = ++p;
        leading_fraction(&p, &f, &scale);
        post = p != fs;
    }
    if (!pre && !post)
        return invalid(orig, err);
    if (unit_at(orig, &p, &unit, err) < 0)
        return -1;
    if (v > DURATION_LIMIT / unit)
        return invalid(orig, err);
    v *= unit;
    if (f > 0) {
        v += (uint64_t)((double)f * ((double)unit / scale));
        if (v > DURATION_LIMIT)
            return invalid(orig, err);
    }
    *d += v;
    if (*d > DURATION_LIMIT)
        return invalid(orig, err);
    *s = p;
    return 0;
}

int duration_parse(const char *orig, int64_t *out, kiln_error_t **err)
{
    const char *s = orig;
    bool neg = false;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    if (strcmp(s, "0") == 0)
        return *out = 0, 0;
    if (!*s)
        return invalid(orig, err);
    uint64_t d = 0;
    while (*s)
        if (element(orig, &s, &d, err) < 0)
            return -1;
    if (neg) {
        *out = d == DURATION_LIMIT ? INT64_MIN : -(int64_t)d;
        return 0;
    }
    if (d > DURATION_LIMIT - 1)
        return invalid(orig, err);
    *out = (int64_t)d;
    return 0;
}
