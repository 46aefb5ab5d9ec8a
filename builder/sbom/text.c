#include <string.h>

#include "text.h"
#include "util.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (len > n)
        return 0;
    unsigned cp = c & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

char *text_clean(const char *s, size_t n)
{
    if (!s)
        return NULL;
    while (n && is_space(*s))
        s++, n--;
    while (n && is_space(s[n - 1]))
        n--;
    if (!n)
        return NULL;
    char *out = xmalloc(n < TEXT_MAX_FIELD ? n + 1 : TEXT_MAX_FIELD + 1);
    size_t o = 0;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_len(u + i, n - i);
        if (o + (l ? l : 1) > TEXT_MAX_FIELD)
            break;
        if (l == 0)
            out[o++] = '?', i++;
        else if (l == 1 && (u[i] < 0x20 || u[i] == 0x7f))
            out[o++] = ' ', i++;
        else
            memcpy(out + o, u + i, l), o += l, i += l;
    }
    while (o && out[o - 1] == ' ') /* control characters at the end became spaces */
        o--;
    out[o] = '\0';
    size_t lead = strspn(out, " ");
    if (lead)
        memmove(out, out + lead, o - lead + 1);
    if (!*out) {
        free(out);
        return NULL;
    }
    return out;
}

char *text_clean_str(const char *s)
{
    return s ? text_clean(s, strlen(s)) : NULL;
}

bool text_is_clean(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_len(u + i, n - i);
        if (l == 0 || (l == 1 && (u[i] < 0x20 || u[i] == 0x7f)))
            return false;
        i += l;
    }
    return true;
}

bool text_eq_ci(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp(s, word, n) == 0;
}
