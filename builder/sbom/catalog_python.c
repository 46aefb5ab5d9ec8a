/* Python: installed distributions directly under a site-packages or dist-packages directory,
 * from their core metadata (RFC 822 headers): NAME.dist-info/METADATA (wheels, pip),
 * NAME.egg-info/PKG-INFO and a NAME.egg-info file (setuptools, Debian's python3-* packages). */
#include <string.h>

#include "catalog.h"
#include "stanza.h"
#include "text.h"
#include "util.h"

#define PY_MAX_LICENSE_LINE 120 /* a longer License field is the license text, not its name */

static const char *const py_keys[] = {
    "Name",       "Version",          "License",   "License-Expression", "Author", "Author-email",
    "Maintainer", "Maintainer-email", "Home-page", "Classifier",         NULL};

static bool py_is_packages_dir(const char *d, size_t n)
{
    return text_eq_ci(d, n, "site-packages") || text_eq_ci(d, n, "dist-packages");
}

static bool py_has_suffix(const char *s, size_t n, const char *suffix)
{
    size_t l = strlen(suffix);
    return n > l && memcmp(s + n - l, suffix, l) == 0;
}

static bool py_match(const char *path, const char *base, const struct stat *st)
{
    (void)st;
    const char *par, *grand;
    size_t plen, glen;
    catalog_path_parents(path, &par, &plen, &grand, &glen);
    if (str_has_suffix(base, ".egg-info") && strlen(base) > 9)
        return py_is_packages_dir(par, plen);
    if (!py_is_packages_dir(grand, glen))
        return false;
    if (!strcmp(base, "METADATA"))
        return py_has_suffix(par, plen, ".dist-info");
    if (!strcmp(base, "PKG-INFO"))
        return py_has_suffix(par, plen, ".egg-info");
    return false;
}

/* Trove classifiers that name one license (an SPDX id, or text that becomes a LicenseRef). */
static const struct {
    const char *classifier;
    const char *spdx;
} py_trove[] = {
    {"License :: OSI Approved :: MIT License", "MIT"},
    {"License :: OSI Approved :: Apache Software License", "Apache-2.0"},
    {"License :: OSI Approved :: BSD License", "BSD-3-Clause"},
    {"License :: OSI Approved :: ISC License (ISCL)", "ISC"},
    {"License :: OSI Approved :: Python Software Foundation License", "PSF-2.0"},
    {"License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0"},
    {"License :: OSI Approved :: GNU General Public License v2 (GPLv2)", "GPL-2.0-only"},
    {"License :: OSI Approved :: GNU General Public License v3 (GPLv3)", "GPL-3.0-only"},
    {"License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)", "LGPL-3.0-only"},
    {"License :: OSI Approved :: The Unlicense (Unlicense)", "Unlicense"},
    {"License :: Public Domain", "Public Domain"},
};

static char *py_license_from_classifiers(const char *classifiers)
{
    if (!classifiers)
        return NULL;
    for (const char *line = classifiers; *line;) {
        size_t n = strcspn(line, "\n");
        for (size_t i = 0; i < ARRAY_SIZE(py_trove); i++)
            if (text_eq_ci(line, n, py_trove[i].classifier))
                return xstrdup(py_trove[i].spdx);
        line += n + (line[n] ? 1 : 0);
    }
    return NULL;
}

static char *py_license(const struct stanza *st)
{
    const char *expr = stanza_get(st, "License-Expression");
    if (expr)
        return text_clean_str(expr);
    const char *lic = stanza_get(st, "License");
    if (lic && !strchr(lic, '\n') && strlen(lic) <= PY_MAX_LICENSE_LINE &&
        strcasecmp(lic, "UNKNOWN") != 0 && *lic)
        return text_clean_str(lic);
    return py_license_from_classifiers(stanza_get(st, "Classifier"));
}

/* Author-email may hold "Name <email>" already; else join Author and Author-email. */
static char *py_supplier(const struct stanza *st)
{
    const char *who[][2] = {{"Author", "Author-email"}, {"Maintainer", "Maintainer-email"}};
    for (size_t i = 0; i < ARRAY_SIZE(who); i++) {
        const char *name = stanza_get(st, who[i][0]), *email = stanza_get(st, who[i][1]);
        if (email && strchr(email, '<'))
            return pkg_supplier(email, false);
        if (name && strcasecmp(name, "UNKNOWN") != 0 && *name) {
            cleanup_free char *contact = email ? xasprintf("%s <%s>", name, email) : xstrdup(name);
            return pkg_supplier(contact, false);
        }
        if (email && *email && strcasecmp(email, "UNKNOWN") != 0)
            return pkg_supplier(email, false);
    }
    return NULL;
}

static void py_parse(struct catalog_ctx *c, const char *path, const struct stat *st_)
{
    (void)st_;
    cleanup_free char *data = NULL;
    size_t len = 0, pos = 0;
    if (catalog_read(c, path, CATALOG_MAX_PY_METADATA, "python", false, &data, &len) < 0)
        return;
    cleanup_stanza struct stanza st;
    stanza_init(&st, STANZA_EMAIL, py_keys);
    if (!stanza_next(&st, data, len, &pos)) {
        catalog_warn(c, "python: '%s': no metadata headers: skipped", path);
        return;
    }
    cleanup_pkg struct pkg *p = pkg_new(SBOM_PKG_PYTHON);
    p->name = text_clean_str(stanza_get(&st, "Name"));
    p->version = text_clean_str(stanza_get(&st, "Version"));
    p->license = py_license(&st);
    p->supplier = py_supplier(&st);
    p->homepage = text_clean_str(stanza_get(&st, "Home-page"));
    p->location = xstrdup(path);
    if (!p->name || !p->version) {
        catalog_warn(c, "python: '%s': no Name or Version: skipped", path);
        return;
    }
    catalog_add(c, steal_ptr(p));
}

const struct cataloger catalog_python = {
    .name = "python",
    .match = py_match,
    .parse = py_parse,
};
