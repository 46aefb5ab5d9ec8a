/* The operating system: /etc/os-release (else /usr/lib/os-release, as os-release(5) says),
 * /etc/debian_version, and /etc/alpine-release when os-release is missing. */
#include <stddef.h>
#include <string.h>

#include "catalog.h"
#include "text.h"
#include "util.h"

/* One value of os-release(5): shell-like, optionally in double or single quotes, with
 * backslash escapes inside double quotes. */
static char *osrelease_value(const char *v, size_t n)
{
    if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
        char q = v[0];
        cleanup_free char *out = xmalloc(n);
        size_t o = 0;
        for (size_t i = 1; i < n - 1; i++) {
            if (q == '"' && v[i] == '\\' && i + 1 < n - 1)
                i++;
            out[o++] = v[i];
        }
        return text_clean(out, o);
    }
    return text_clean(v, n);
}

static void osrelease_line(struct catalog_os *os, const char *p, size_t n)
{
    static const struct {
        const char *key;
        size_t off;
    } keys[] = {
        {"ID", offsetof(struct catalog_os, id)},
        {"VERSION_ID", offsetof(struct catalog_os, version_id)},
        {"VERSION_CODENAME", offsetof(struct catalog_os, version_codename)},
        {"NAME", offsetof(struct catalog_os, name)},
        {"PRETTY_NAME", offsetof(struct catalog_os, pretty_name)},
    };
    const char *eq = memchr(p, '=', n);
    if (!eq)
        return;
    size_t klen = (size_t)(eq - p);
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        if (strlen(keys[i].key) != klen || memcmp(keys[i].key, p, klen) != 0)
            continue;
        char **field = (char **)((char *)os + keys[i].off);
        free(*field);
        *field = osrelease_value(eq + 1, n - klen - 1);
    }
}

static bool osrelease_parse(struct catalog_ctx *c, const char *path)
{
    cleanup_free char *data = NULL;
    size_t len = 0;
    if (catalog_read(c, path, CATALOG_MAX_OS_RELEASE, "os-release", true, &data, &len) < 0)
        return false;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (data + i)) : len - i;
        if (n && data[i] != '#')
            osrelease_line(&c->os, data + i, n);
        i += n + 1;
    }
    return true;
}

/* A one-line release file: its first line, cleaned. */
static char *osrelease_first_line(struct catalog_ctx *c, const char *path)
{
    cleanup_free char *data = NULL;
    size_t len = 0;
    if (catalog_read(c, path, CATALOG_MAX_OS_RELEASE, "os-release", true, &data, &len) < 0)
        return NULL;
    const char *nl = memchr(data, '\n', len);
    return text_clean(data, nl ? (size_t)(nl - data) : len);
}

static void osrelease_scan(struct catalog_ctx *c)
{
    if (!osrelease_parse(c, "/etc/os-release"))
        osrelease_parse(c, "/usr/lib/os-release");
    struct catalog_os *os = &c->os;
    os->debian_version = osrelease_first_line(c, "/etc/debian_version");
    if (!os->id && os->debian_version) {
        os->id = xstrdup("debian");
        os->version_id = xstrndup(os->debian_version, strcspn(os->debian_version, "./"));
    }
    if (!os->id) {
        char *alpine = osrelease_first_line(c, "/etc/alpine-release");
        if (alpine) {
            os->id = xstrdup("alpine");
            os->version_id = alpine;
        }
    }
    if (os->id)
        str_lower(os->id);
}

const struct cataloger catalog_osrelease = {
    .name = "os-release",
    .scan = osrelease_scan,
};
