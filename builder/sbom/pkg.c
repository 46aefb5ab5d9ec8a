#include <string.h>
#include <strings.h>

#include "pkg.h"
#include "text.h"
#include "util.h"

struct pkg *pkg_new(enum sbom_pkg_type type)
{
    struct pkg *p = xcalloc(1, sizeof(*p));
    p->type = type;
    return p;
}

void pkg_free(struct pkg *p)
{
    if (!p)
        return;
    char **fields[] = {&p->name,     &p->version,     &p->group,    &p->arch,
                       &p->src_name, &p->src_version, &p->supplier, &p->license,
                       &p->location, &p->sha1,        &p->homepage, &p->purl};
    for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
        free(*fields[i]);
    free(p);
}

bool pkg_list_add(struct pkg_list *l, struct pkg *p)
{
    if (!p->name || (l->max && l->n >= l->max)) {
        if (p->name)
            l->dropped++;
        pkg_free(p);
        return false;
    }
    xgrow(&l->v, &l->cap, l->n + 1, sizeof(*l->v));
    l->v[l->n++] = p;
    return true;
}

static int cmp_opt(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

/* Identity of a package: what makes two records the same package. */
static int pkg_cmp_key(const struct pkg *a, const struct pkg *b)
{
    int r;
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    if ((r = cmp_opt(a->group, b->group)) || (r = strcmp(a->name, b->name)) ||
        (r = cmp_opt(a->version, b->version)))
        return r;
    return cmp_opt(a->arch, b->arch);
}

static int pkg_cmp(const void *x, const void *y)
{
    const struct pkg *a = *(struct pkg *const *)x, *b = *(struct pkg *const *)y;
    int r = pkg_cmp_key(a, b);
    return r ? r : cmp_opt(a->location, b->location);
}

void pkg_list_finish(struct pkg_list *l)
{
    if (l->n < 2)
        return;
    qsort(l->v, l->n, sizeof(*l->v), pkg_cmp);
    size_t o = 1;
    for (size_t i = 1; i < l->n; i++) {
        if (pkg_cmp_key(l->v[o - 1], l->v[i]) == 0) {
            pkg_free(l->v[i]);
            continue;
        }
        l->v[o++] = l->v[i];
    }
    l->n = o;
}

void pkg_list_release(struct pkg_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        pkg_free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static bool looks_like_org(const char *name, const char *email)
{
    static const char *const words[] = {
        "team",       "maintainers", "group",  "project", "developers",   "packagers", "community",
        "foundation", "debian",      "ubuntu", "alpine",  "contributors", "authors",   "inc.",
        "ltd",        "llc",         "corp",   "gmbh",    "software",     "org"};
    static const char *const mail[] = {"lists.",        "@lists",  "team+", "pkg-",
                                       "-maintainers@", "-devel@", "-team@"};
    cleanup_free char *low = xstrdup(name);
    str_lower(low);
    for (size_t i = 0; i < ARRAY_SIZE(words); i++)
        if (strstr(low, words[i]))
            return true;
    for (size_t i = 0; email && i < ARRAY_SIZE(mail); i++)
        if (strcasestr(email, mail[i]))
            return true;
    return false;
}

char *pkg_supplier(const char *contact, bool organization)
{
    if (!contact)
        return NULL;
    const char *lt = strchr(contact, '<');
    const char *gt = lt ? strchr(lt, '>') : NULL;
    cleanup_free char *name = text_clean(contact, lt ? (size_t)(lt - contact) : strlen(contact));
    cleanup_free char *email = gt ? text_clean(lt + 1, (size_t)(gt - lt - 1)) : NULL;
    if (!name && email)
        name = xstrdup(email);
    if (!name)
        return NULL;
    /* the SPDX form puts the email in parentheses: keep them out of the name */
    for (char *c = name; *c; c++)
        if (*c == '(' || *c == ')')
            *c = ' ';
    const char *kind = organization || looks_like_org(name, email) ? "Organization" : "Person";
    if (email && !strchr(email, '(') && !strchr(email, ')'))
        return xasprintf("%s: %s (%s)", kind, name, email);
    return xasprintf("%s: %s", kind, name);
}
