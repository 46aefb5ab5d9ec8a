/* apk: the installed database lib/apk/db/installed ("K:value" lines, a blank line between
 * packages; see apk-tools' database format). */
#include <string.h>

#include "catalog.h"
#include "stanza.h"
#include "text.h"
#include "util.h"

#define APK_INSTALLED "/lib/apk/db/installed"

static const char *const apk_keys[] = {"P", "V", "A", "o", "m", "L", "U", NULL};

static void apk_stanza(struct catalog_ctx *c, const struct stanza *st)
{
    cleanup_pkg struct pkg *p = pkg_new(SBOM_PKG_APK);
    p->name = text_clean_str(stanza_get(st, "P"));
    p->version = text_clean_str(stanza_get(st, "V"));
    p->arch = text_clean_str(stanza_get(st, "A"));
    p->src_name = text_clean_str(stanza_get(st, "o"));
    p->supplier = pkg_supplier(stanza_get(st, "m"), false);
    p->license = text_clean_str(stanza_get(st, "L"));
    p->homepage = text_clean_str(stanza_get(st, "U"));
    p->location = xstrdup(APK_INSTALLED);
    if (!p->name || !p->version) {
        catalog_warn(c, "apk: '%s': a package without P: or V: skipped", APK_INSTALLED);
        return;
    }
    if (p->src_name && !strcmp(p->src_name, p->name)) {
        free(p->src_name);
        p->src_name = NULL;
    }
    catalog_add(c, steal_ptr(p));
}

static void apk_scan(struct catalog_ctx *c)
{
    cleanup_free char *data = NULL;
    size_t len = 0, pos = 0;
    if (catalog_read(c, APK_INSTALLED, CATALOG_MAX_APK_DB, "apk", true, &data, &len) < 0)
        return;
    cleanup_stanza struct stanza st;
    stanza_init(&st, STANZA_APK, apk_keys);
    while (stanza_next(&st, data, len, &pos))
        apk_stanza(c, &st);
}

const struct cataloger catalog_apk = {
    .name = "apk",
    .scan = apk_scan,
};
