/* npm: the package.json of every package installed directly under a node_modules directory
 * (node_modules/NAME/package.json, node_modules/@SCOPE/NAME/package.json), nested ones
 * included. */
#include <string.h>

#include "catalog.h"
#include "json.h"
#include "text.h"
#include "util.h"

static bool npm_match(const char *path, const char *base, const struct stat *st)
{
    (void)st;
    if (strcmp(base, "package.json") != 0)
        return false;
    const char *par, *grand;
    size_t plen, glen;
    catalog_path_parents(path, &par, &plen, &grand, &glen);
    if (!plen || par[0] == '.' || !glen)
        return false;
    if (text_eq_ci(grand, glen, "node_modules"))
        return true;
    if (grand[0] != '@' || grand - path < 2)
        return false;
    /* node_modules/@scope/name: the component before the scope */
    const char *end = grand - 1, *g = end;
    while (g > path && g[-1] != '/')
        g--;
    return (size_t)(end - g) == strlen("node_modules") && !memcmp(g, "node_modules", 12);
}

/* "license": "MIT" | {"type": "MIT"}; legacy "licenses": [{"type": "MIT"}, ...]. */
static char *npm_license(json_t *root)
{
    json_t *l = json_object_get(root, "license");
    if (json_is_object(l))
        l = json_object_get(l, "type");
    if (json_is_string(l))
        return text_clean_str(json_string_value(l));
    json_t *ls = json_object_get(root, "licenses");
    if (!json_is_array(ls) || json_array_size(ls) == 0)
        return NULL;
    char *expr = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(ls, i, e)
    {
        json_t *t = json_is_object(e) ? json_object_get(e, "type") : e;
        cleanup_free char *id = json_is_string(t) ? text_clean_str(json_string_value(t)) : NULL;
        if (!id || i >= 16)
            continue;
        char *next = expr ? xasprintf("%s OR %s", expr, id) : xstrdup(id);
        free(expr);
        expr = next;
    }
    return expr;
}

/* "author": "Name <email> (url)" | {"name": ..., "email": ...}. */
static char *npm_supplier(json_t *root)
{
    json_t *a = json_object_get(root, "author");
    if (json_is_string(a)) {
        const char *s = json_string_value(a);
        cleanup_free char *contact = xstrndup(s, strcspn(s, "("));
        return pkg_supplier(contact, false);
    }
    if (!json_is_object(a) || !json_is_string(json_object_get(a, "name")))
        return NULL;
    const char *name = json_string_value(json_object_get(a, "name"));
    json_t *email = json_object_get(a, "email");
    cleanup_free char *contact = json_is_string(email)
                                     ? xasprintf("%s <%s>", name, json_string_value(email))
                                     : xstrdup(name);
    return pkg_supplier(contact, false);
}

static char *npm_str(json_t *root, const char *key)
{
    json_t *v = json_object_get(root, key);
    return json_is_string(v) ? text_clean_str(json_string_value(v)) : NULL;
}

static void npm_parse(struct catalog_ctx *c, const char *path, const struct stat *st)
{
    (void)st;
    cleanup_free char *data = NULL;
    size_t len = 0;
    if (catalog_read(c, path, CATALOG_MAX_NPM_JSON, "npm", false, &data, &len) < 0)
        return;
    json_error_t jerr;
    cleanup_json json_t *root = json_loadb(data, len, 0, &jerr);
    if (!json_is_object(root)) {
        catalog_warn(c, "npm: '%s': not a JSON object (line %d: %s): skipped", path, jerr.line,
                     root ? "not an object" : jerr.text);
        return;
    }
    cleanup_pkg struct pkg *p = pkg_new(SBOM_PKG_NPM);
    p->name = npm_str(root, "name");
    p->version = npm_str(root, "version");
    p->license = npm_license(root);
    p->supplier = npm_supplier(root);
    p->homepage = npm_str(root, "homepage");
    p->location = xstrdup(path);
    if (!p->name || !p->version) {
        catalog_warn(c, "npm: '%s': no name or version: skipped", path);
        return;
    }
    catalog_add(c, steal_ptr(p));
}

const struct cataloger catalog_npm = {
    .name = "npm",
    .match = npm_match,
    .parse = npm_parse,
};
