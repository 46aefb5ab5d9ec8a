#include <string.h>

#include "stanza.h"
#include "util.h"

void stanza_init(struct stanza *st, enum stanza_mode mode, const char *const *keys)
{
    memset(st, 0, sizeof(*st));
    st->mode = mode;
    st->keys = keys;
}

void stanza_release(struct stanza *st)
{
    for (size_t i = 0; i < STANZA_MAX_KEYS; i++) {
        free(st->val[i]);
        st->val[i] = NULL;
        st->len[i] = 0;
    }
    st->any = false;
}

static int stanza_key_index(const struct stanza *st, const char *k, size_t n)
{
    for (int i = 0; i < STANZA_MAX_KEYS && st->keys[i]; i++) {
        const char *want = st->keys[i];
        if (strlen(want) != n)
            continue;
        if (st->mode == STANZA_APK ? memcmp(want, k, n) == 0 : strncasecmp(want, k, n) == 0)
            return i;
    }
    return -1;
}

static void stanza_append(struct stanza *st, int i, const char *sep, const char *p, size_t n)
{
    size_t s = st->val[i] ? strlen(sep) : 0;
    st->val[i] = xrealloc(st->val[i], st->len[i] + s + n + 1);
    memcpy(st->val[i] + st->len[i], sep, s);
    memcpy(st->val[i] + st->len[i] + s, p, n);
    st->len[i] += s + n;
    st->val[i][st->len[i]] = '\0';
}

static bool is_blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return false;
    return true;
}

/* One line (without its '\n'); `cur` is the index of the key the previous line set. */
static void stanza_line(struct stanza *st, const char *p, size_t n, int *cur)
{
    if (n && p[n - 1] == '\r')
        n--;
    if (p[0] == ' ' || p[0] == '\t') {
        if (*cur >= 0) {
            bool manifest = st->mode == STANZA_MANIFEST;
            stanza_append(st, *cur, manifest ? "" : "\n", p + 1, n - 1);
        }
        return;
    }
    const char *colon = memchr(p, ':', n);
    *cur = colon ? stanza_key_index(st, p, (size_t)(colon - p)) : -1;
    if (*cur < 0)
        return;
    const char *v = colon + 1, *end = p + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    stanza_append(st, *cur, "\n", v, (size_t)(end - v));
}

bool stanza_next(struct stanza *st, const char *text, size_t len, size_t *pos)
{
    stanza_release(st);
    int cur = -1;
    size_t i = *pos;
    /* skip blank lines before the stanza */
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
        if (!is_blank(text + i, n))
            break;
        i += n + (nl ? 1 : 0);
    }
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
        size_t next = i + n + (nl ? 1 : 0);
        if (is_blank(text + i, n)) {
            i = next;
            break;
        }
        st->any = true;
        stanza_line(st, text + i, n, &cur);
        i = next;
    }
    *pos = i;
    return st->any;
}

const char *stanza_get(const struct stanza *st, const char *key)
{
    for (int i = 0; i < STANZA_MAX_KEYS && st->keys[i]; i++)
        if (!strcmp(st->keys[i], key))
            return st->val[i];
    return NULL;
}
