/* Terminal-safe text (see termsafe.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "termsafe.h"
#include "util.h"

/* The length of the well-formed UTF-8 sequence at s[0, n) (1 to 4) and its code point, or 0
 * when s does not start one (a lone continuation byte, an overlong form, a surrogate, a value
 * above U+10FFFF, or a sequence cut by n). */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len;
    uint32_t c, min;
    if (s[0] < 0x80)
        return *cp = s[0], 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2, c = s[0] & 0x1f, min = 0x80;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3, c = s[0] & 0x0f, min = 0x800;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4, c = s[0] & 0x07, min = 0x10000;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

/* Code points above ASCII that must not reach a terminal as they are. */
static bool dangerous(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

static bool plain_ascii(unsigned char c)
{
    return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n';
}

char *termsafe_escape(const char *in, size_t n)
{
    const unsigned char *s = (const unsigned char *)in;
    char *out = xmalloc(6 * n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp = 0;
        size_t len = s[i] < 0x80 ? 1 : utf8_seq(s + i, n - i, &cp);
        if (len == 1 && plain_ascii(s[i])) {
            out[o++] = (char)s[i++];
        } else if (len == 1 && s[i] == '\r') {
            memcpy(out + o, "\\r", 2), o += 2, i++;
        } else if (len == 1 || len == 0) {
            o += (size_t)snprintf(out + o, 5, "\\x%02x", s[i]), i++;
        } else if (dangerous(cp)) {
            o += (size_t)snprintf(out + o, 7, "\\u%04x", (unsigned)cp), i += len;
        } else {
            memcpy(out + o, s + i, len), o += len, i += len;
        }
    }
    out[o] = '\0';
    return out;
}

bool termsafe_is_clean(const char *in, size_t n)
{
    const unsigned char *s = (const unsigned char *)in;
    for (size_t i = 0; i < n;) {
        uint32_t cp = 0;
        if (s[i] < 0x80) {
            if (!plain_ascii(s[i]))
                return false;
            i++;
            continue;
        }
        size_t len = utf8_seq(s + i, n - i, &cp);
        if (len == 0 || dangerous(cp))
            return false;
        i += len;
    }
    return true;
}

size_t termsafe_complete(const char *in, size_t n)
{
    const unsigned char *s = (const unsigned char *)in;
    for (size_t k = 1; k <= 3 && k <= n; k++) {
        unsigned char b = s[n - k];
        if ((b & 0xc0) == 0x80)
            continue; /* a continuation byte: look further back for its lead */
        size_t need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
        return need > k ? n - k : n;
    }
    return n;
}
