#include <string.h>
#include <strings.h>

#include "buf.h"
#include "license.h"
#include "digest/digest.h"
#include "util.h"

#define LICENSE_MAX_EXPR  (64u * 1024)
#define LICENSE_MAX_VALUE 1024 /* a longer declaration is license text: one LicenseRef */

/* Debian copyright-format short names and common spellings that are not SPDX ids. */
static const struct {
    const char *alias;
    const char *spdx;
} license_aliases[] = {
    {"2-Clause BSD License", "BSD-2-Clause"},
    {"3-Clause BSD License", "BSD-3-Clause"},
    {"AGPL-3", "AGPL-3.0-only"},
    {"AGPL-3+", "AGPL-3.0-or-later"},
    {"Apache 2.0", "Apache-2.0"},
    {"Apache License", "Apache-2.0"},
    {"Apache License 2.0", "Apache-2.0"},
    {"Apache License Version 2.0", "Apache-2.0"},
    {"Apache License, Version 2.0", "Apache-2.0"},
    {"Apache Software License", "Apache-2.0"},
    {"Apache-2", "Apache-2.0"},
    {"Apache2", "Apache-2.0"},
    {"Artistic", "Artistic-1.0-Perl"},
    {"BSD 2-Clause", "BSD-2-Clause"},
    {"BSD 3-Clause", "BSD-3-Clause"},
    {"BSD-2", "BSD-2-Clause"},
    {"BSD-3", "BSD-3-Clause"},
    {"CC0", "CC0-1.0"},
    {"Expat", "MIT"},
    {"GFDL-1.2", "GFDL-1.2-only"},
    {"GFDL-1.2+", "GFDL-1.2-or-later"},
    {"GFDL-1.3", "GFDL-1.3-only"},
    {"GFDL-1.3+", "GFDL-1.3-or-later"},
    {"GPL-1", "GPL-1.0-only"},
    {"GPL-1+", "GPL-1.0-or-later"},
    {"GPL-2", "GPL-2.0-only"},
    {"GPL-2+", "GPL-2.0-or-later"},
    {"GPL-3", "GPL-3.0-only"},
    {"GPL-3+", "GPL-3.0-or-later"},
    {"GPLv2", "GPL-2.0-only"},
    {"GPLv2+", "GPL-2.0-or-later"},
    {"GPLv3", "GPL-3.0-only"},
    {"GPLv3+", "GPL-3.0-or-later"},
    {"ISC License", "ISC"},
    {"ISC License (ISCL)", "ISC"},
    {"LGPL-2", "LGPL-2.0-only"},
    {"LGPL-2+", "LGPL-2.0-or-later"},
    {"LGPL-2.1", "LGPL-2.1-only"},
    {"LGPL-2.1+", "LGPL-2.1-or-later"},
    {"LGPL-3", "LGPL-3.0-only"},
    {"LGPL-3+", "LGPL-3.0-or-later"},
    {"MIT License", "MIT"},
    {"MIT-0", "MIT-0"},
    {"Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0"},
    {"MPL-2", "MPL-2.0"},
    {"PSF", "PSF-2.0"},
    {"PSF License", "PSF-2.0"},
    {"PSF-2", "PSF-2.0"},
    {"Python", "Python-2.0"},
    {"Python Software Foundation License", "PSF-2.0"},
    {"The MIT License", "MIT"},
    {"The Unlicense", "Unlicense"},
    {"ZPL-2.1", "ZPL-2.1"},
};

static int id_cmp(const void *key, const void *elem)
{
    const char *k = key, *e = *(const char *const *)elem;
    return strcasecmp(k, e);
}

const char *license_id_lookup(const char *s, size_t n)
{
    if (n == 0 || n > 128)
        return NULL;
    char key[129];
    memcpy(key, s, n);
    key[n] = '\0';
    const char *const *hit =
        bsearch(key, license_ids, license_ids_count, sizeof(*license_ids), id_cmp);
    return hit ? *hit : NULL;
}

static const char *license_alias(const char *s, size_t n)
{
    for (size_t i = 0; i < ARRAY_SIZE(license_aliases); i++)
        if (strlen(license_aliases[i].alias) == n && !strncasecmp(license_aliases[i].alias, s, n))
            return license_aliases[i].spdx;
    return license_id_lookup(s, n);
}

static bool idstring_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
}

/* A LicenseRef- id for text: the text itself when it is a valid idstring, else a sanitized
 * prefix and a hash so two texts never share an id. */
static char *license_ref_id(const char *text, size_t n)
{
    bool clean = n <= 64;
    for (size_t i = 0; i < n && clean; i++)
        clean = idstring_char(text[i]);
    if (clean && n > 11 && !strncmp(text, "LicenseRef-", 11))
        return xstrndup(text, n);
    if (clean)
        return xasprintf("LicenseRef-%.*s", (int)n, text);
    char san[49];
    size_t o = 0;
    for (size_t i = 0; i < n && o < sizeof(san) - 1; i++) {
        char c = idstring_char(text[i]) ? text[i] : '-';
        if (c != '-' || (o && san[o - 1] != '-'))
            san[o++] = c;
    }
    while (o && san[o - 1] == '-')
        o--;
    san[o] = '\0';
    char d[DIGEST_STR_LEN + 1];
    sha256_buf(text, n, d);
    return xasprintf("LicenseRef-%s%s%.8s", san, o ? "-" : "", digest_hex(d));
}

enum tok_kind { TOK_ID, TOK_AND, TOK_OR, TOK_WITH, TOK_LP, TOK_RP };

struct tok {
    enum tok_kind k;
    const char *s;
    size_t n;
    bool spelled; /* "WITH Bison exception": the word "exception" was folded into this one */
};

/* Folds Debian's "WITH NAME exception" into one exception token. */
static size_t license_fold_exceptions(struct tok *t, size_t n)
{
    for (size_t i = 0; i + 2 < n; i++) {
        if (t[i].k != TOK_WITH || t[i + 1].k != TOK_ID || t[i + 2].k != TOK_ID || t[i + 2].n != 9 ||
            strncasecmp(t[i + 2].s, "exception", 9) != 0)
            continue;
        t[i + 1].spelled = true;
        memmove(&t[i + 2], &t[i + 3], (n - i - 3) * sizeof(*t));
        n--;
    }
    return n;
}

/* The SPDX id of an exception named loosely, as Debian does ("Bison exception" for
 * Bison-exception-2.2): the exact id, else the last list id that starts with "NAME-exception"
 * (the list is sorted, so the latest version, which is what current software carries). */
static const char *license_exception(const char *s, size_t n, bool spelled_out)
{
    const char *exact = license_id_lookup(s, n);
    if (exact || !spelled_out || n > 64)
        return exact;
    char prefix[80];
    snprintf(prefix, sizeof(prefix), "%.*s-exception", (int)n, s);
    const char *found = NULL;
    for (size_t i = 0; i < license_ids_count; i++)
        if (!strncasecmp(license_ids[i], prefix, strlen(prefix)))
            found = license_ids[i];
    return found;
}

/* Splits raw into tokens; returns the count, or 0 when empty or over LICENSE_MAX_TOKENS. */
static size_t license_tokenize(const char *raw, struct tok *t)
{
    size_t n = 0;
    for (const char *p = raw; *p;) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            p++;
            continue;
        }
        if (n == LICENSE_MAX_TOKENS)
            return 0;
        size_t len = (*p == '(' || *p == ')') ? 1 : strcspn(p, " \t\n\r()");
        struct tok k = {TOK_ID, p, len, false};
        if (*p == '(' || *p == ')')
            k.k = *p == '(' ? TOK_LP : TOK_RP;
        else if ((len == 3 && !strncasecmp(p, "and", 3)) || (len == 1 && *p == '&'))
            k.k = TOK_AND;
        else if ((len == 2 && !strncasecmp(p, "or", 2)) || (len == 1 && *p == '|'))
            k.k = TOK_OR;
        else if (len == 4 && !strncasecmp(p, "with", 4))
            k.k = TOK_WITH;
        t[n++] = k;
        p += len;
    }
    return license_fold_exceptions(t, n);
}

/* Recursive descent over expr := term ((AND|OR) term)*, term := '(' expr ')' | ID [WITH ID].
 * Returns the index after the expression, or SIZE_MAX on a syntax error. */
static size_t license_check_expr(const struct tok *t, size_t n, size_t i, unsigned depth);

static size_t license_check_term(const struct tok *t, size_t n, size_t i, unsigned depth)
{
    if (i >= n)
        return SIZE_MAX;
    if (t[i].k == TOK_LP) {
        i = license_check_expr(t, n, i + 1, depth + 1);
        return i < n && t[i].k == TOK_RP ? i + 1 : SIZE_MAX;
    }
    if (t[i].k != TOK_ID)
        return SIZE_MAX;
    i++;
    if (i < n && t[i].k == TOK_WITH)
        return i + 1 < n && t[i + 1].k == TOK_ID ? i + 2 : SIZE_MAX;
    return i;
}

static size_t license_check_expr(const struct tok *t, size_t n, size_t i, unsigned depth)
{
    if (depth > 16)
        return SIZE_MAX;
    i = license_check_term(t, n, i, depth);
    while (i < n && (t[i].k == TOK_AND || t[i].k == TOK_OR))
        i = license_check_term(t, n, i + 1, depth);
    return i;
}

static const char *license_add_ref(struct license *l, const char *text, size_t n)
{
    char *id = license_ref_id(text, n);
    for (size_t i = 0; i < l->nrefs; i++) {
        if (!strcmp(l->refs[i].id, id)) {
            free(id);
            return l->refs[i].id;
        }
    }
    l->refs[l->nrefs].id = id;
    l->refs[l->nrefs].text = xstrndup(text, n);
    return l->refs[l->nrefs++].id;
}

static const char *license_add_ref_text(struct license *l, const char *id, const char *text)
{
    for (size_t i = 0; i < l->nrefs; i++)
        if (!strcmp(l->refs[i].id, id))
            return l->refs[i].id;
    l->refs[l->nrefs].id = xstrdup(id);
    l->refs[l->nrefs].text = xstrdup(text);
    return l->refs[l->nrefs++].id;
}

/* One license identifier of an expression, normalized; -1 when b is full. */
static int license_word(struct license *l, struct buf *b, const struct tok *w, bool *known)
{
    const char *id = license_alias(w->s, w->n);
    *known = id != NULL;
    if (id)
        return buf_addstr(b, id, NULL);
    if (w->n > 1 && w->s[w->n - 1] == '+' && (id = license_id_lookup(w->s, w->n - 1))) {
        *known = true;
        return buf_addf(b, NULL, "%s+", id);
    }
    return buf_addstr(b, license_add_ref(l, w->s, w->n), NULL);
}

/* Writes the normalized expression; false when an exception after WITH is unknown or the
 * expression does not fit in b (LICENSE_MAX_EXPR): then it is kept as free text. */
static bool license_emit(struct license *l, struct buf *b, const struct tok *t, size_t n,
                         size_t *known_ids)
{
    static const char *const ops[] = {[TOK_AND] = " AND ",
                                      [TOK_OR] = " OR ",
                                      [TOK_WITH] = " WITH ",
                                      [TOK_LP] = "(",
                                      [TOK_RP] = ")"};
    for (size_t i = 0; i < n; i++) {
        if (t[i].k != TOK_ID) {
            if (buf_addstr(b, ops[t[i].k], NULL) < 0)
                return false;
        } else if (i > 0 && t[i - 1].k == TOK_WITH) {
            const char *exc = license_exception(t[i].s, t[i].n, t[i].spelled);
            if (!exc || buf_addstr(b, exc, NULL) < 0)
                return false;
        } else {
            bool known;
            if (license_word(l, b, &t[i], &known) < 0)
                return false;
            *known_ids += known;
        }
    }
    return true;
}

static void license_free_text(struct license *l, const char *raw)
{
    license_release(l);
    l->expr = xstrdup(license_add_ref(l, raw, strlen(raw)));
    l->free_text = true;
}

/* One declaration (no '\n'). */
static bool license_parse_one(const char *raw, struct license *out)
{
    memset(out, 0, sizeof(*out));
    if (!raw || !*raw)
        return false;
    const char *whole = license_alias(raw, strlen(raw));
    if (whole) { /* every alias maps to an id of the list */
        out->expr = xstrdup(whole);
        out->single_id = xstrdup(whole);
        return true;
    }
    struct tok t[LICENSE_MAX_TOKENS];
    size_t n = strlen(raw) > LICENSE_MAX_VALUE ? 0 : license_tokenize(raw, t), known = 0;
    if (n == 0 || license_check_expr(t, n, 0, 0) != n) {
        license_free_text(out, raw);
        return true;
    }
    cleanup_buf struct buf b = BUF_INIT(LICENSE_MAX_EXPR);
    if (!license_emit(out, &b, t, n, &known) || (n == 1 && !known)) {
        license_free_text(out, raw);
        return true;
    }
    out->expr = buf_detach(&b);
    if (n == 1 && license_id_lookup(out->expr, strlen(out->expr)))
        out->single_id = xstrdup(out->expr);
    return true;
}

/* Adds one parsed declaration to the conjunction in out; false when its references do not fit
 * (it is left out whole, so the expression and the references stay consistent). */
static bool license_and(struct license *out, struct buf *b, struct license *one)
{
    size_t fresh = 0;
    for (size_t i = 0; i < one->nrefs; i++) {
        bool dup = false;
        for (size_t k = 0; k < out->nrefs && !dup; k++)
            dup = !strcmp(out->refs[k].id, one->refs[i].id);
        fresh += !dup;
    }
    if (out->nrefs + fresh > LICENSE_MAX_TOKENS)
        return false;
    bool compound = strchr(one->expr, ' ') != NULL;
    if (buf_addf(b, NULL, "%s%s%s%s", b->len ? " AND " : "", compound ? "(" : "", one->expr,
                 compound ? ")" : "") < 0)
        return false; /* over LICENSE_MAX_EXPR: left out whole */
    for (size_t i = 0; i < one->nrefs; i++) {
        const char *id = license_add_ref_text(out, one->refs[i].id, one->refs[i].text);
        (void)id;
    }
    return true;
}

bool license_parse(const char *raw, struct license *out)
{
    memset(out, 0, sizeof(*out));
    if (!raw || !strchr(raw, '\n'))
        return license_parse_one(raw, out);
    cleanup_buf struct buf b = BUF_INIT(LICENSE_MAX_EXPR);
    struct license first = {0};
    size_t values = 0;
    cleanup_strv char **seen = NULL; /* expressions already in the conjunction */
    size_t nseen = 0;
    for (const char *p = raw; *p && values < LICENSE_MAX_VALUES;) {
        size_t n = strcspn(p, "\n");
        cleanup_free char *v = xstrndup(p, n);
        p += n + (p[n] ? 1 : 0);
        struct license one;
        if (!license_parse_one(v, &one))
            continue;
        bool dup = false;
        for (size_t i = 0; i < nseen && !dup; i++)
            dup = !strcmp(seen[i], one.expr);
        if (!dup && license_and(out, &b, &one)) {
            strv_push(&seen, &nseen, xstrdup(one.expr));
            if (values++ == 0) {
                first = one;
                continue;
            }
        }
        license_release(&one);
    }
    if (values == 1) { /* a single declaration keeps its own form */
        license_release(out);
        *out = first;
        return true;
    }
    license_release(&first);
    out->expr = values ? buf_detach(&b) : NULL;
    return values > 0;
}

void license_release(struct license *l)
{
    free(l->expr);
    free(l->single_id);
    for (size_t i = 0; i < l->nrefs; i++) {
        free(l->refs[i].id);
        free(l->refs[i].text);
    }
    memset(l, 0, sizeof(*l));
}
