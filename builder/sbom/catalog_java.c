/* Java: archives (*.jar, *.war, *.ear) read with libarchive, never extracted. Each
 * META-INF/maven/GROUP/ARTIFACT/pom.properties is a package; an archive without one is a package
 * named from META-INF/MANIFEST.MF and its file name. Archives inside an archive (Spring Boot's
 * BOOT-INF/lib, WEB-INF/lib, an ear's modules) are read one level deep, from memory. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "tar/handles.h"
#include "tar/tarname.h"
#include "stanza.h"
#include "text.h"
#include "util.h"

#define JAR_MAX_DEPTH 1 /* nested archives are read this many levels deep */

static inline void cleanup_mdp(EVP_MD_CTX **m)
{
    EVP_MD_CTX_free(*m);
}
#define cleanup_md __attribute__((cleanup(cleanup_mdp)))

struct jar {
    struct catalog_ctx *c;
    const char *location; /* where it is, for the packages: "/app/x.jar" or "/a.war!/lib/y.jar" */
    const char *file;     /* its file name, for the fallback name and version */
    unsigned depth;
    size_t *entries; /* entries read so far, nested archives included */
    char *manifest;
    size_t manifest_len;
    struct pkg **poms;
    size_t npoms, cap;
    char sha1[41];
};

static bool jar_is_archive(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && (!strcasecmp(name + n - 4, ".jar") || !strcasecmp(name + n - 4, ".war") ||
                     !strcasecmp(name + n - 4, ".ear"));
}

static bool java_match(const char *path, const char *base, const struct stat *st)
{
    (void)path;
    return st->st_size > 0 && jar_is_archive(base);
}

static void sha1_hex(EVP_MD_CTX *md, char out[41])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(md, raw, &len);
    for (unsigned i = 0; i < 20 && i < len; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[40] = '\0';
}

/* sha1 of a whole file or buffer: what Maven Central indexes a jar by. */
static bool jar_sha1(int fd, const void *mem, size_t len, char out[41])
{
    cleanup_md EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha1(), NULL) != 1)
        return false;
    bool ok = true;
    if (mem) {
        EVP_DigestUpdate(md, mem, len);
    } else {
        char chunk[1 << 16];
        ssize_t n;
        off_t off = 0;
        while ((n = pread(fd, chunk, sizeof(chunk), off)) > 0) {
            EVP_DigestUpdate(md, chunk, (size_t)n);
            off += n;
        }
        ok = n == 0;
    }
    sha1_hex(md, out);
    return ok;
}

/* Reads the current entry's data, at most max bytes; -1 when larger or unreadable. */
static int jar_entry_data(struct archive *a, size_t max, char **out, size_t *len)
{
    size_t cap = 0, n = 0;
    cleanup_free char *buf = NULL;
    for (;;) {
        xgrow(&buf, &cap, n + 65536 + 1, 1);
        la_ssize_t r = archive_read_data(a, buf + n, cap - n - 1);
        if (r < 0 || (size_t)r > max - n)
            return -1;
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *out = steal_ptr(buf);
    *len = n;
    return 0;
}

static void jar_add_pom(struct jar *j, struct pkg *p)
{
    xgrow(&j->poms, &j->cap, j->npoms + 1, sizeof(*j->poms));
    j->poms[j->npoms++] = p;
}

/* pom.properties: "key=value" lines (java.util.Properties, without escapes). */
static char *props_get(const char *text, size_t len, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < len;) {
        const char *line = text + i;
        const char *nl = memchr(line, '\n', len - i);
        size_t n = nl ? (size_t)(nl - line) : len - i;
        while (n && (*line == ' ' || *line == '\t'))
            line++, n--;
        if (n > kl && !memcmp(line, key, kl)) {
            const char *v = line + kl;
            while (v < line + n && (*v == ' ' || *v == '\t'))
                v++;
            if (v < line + n && (*v == '=' || *v == ':'))
                return text_clean(v + 1, (size_t)(line + n - v - 1));
        }
        i += (size_t)(line - (text + i)) + n + 1;
    }
    return NULL;
}

static void jar_pom(struct jar *j, const char *data, size_t len, const char *entry)
{
    cleanup_pkg struct pkg *p = pkg_new(SBOM_PKG_MAVEN);
    p->group = props_get(data, len, "groupId");
    p->name = props_get(data, len, "artifactId");
    p->version = props_get(data, len, "version");
    p->location = xstrdup(j->location);
    if (!p->group || !p->name || !p->version) {
        catalog_warn(j->c, "java: '%s': '%s' lacks groupId, artifactId or version: skipped",
                     j->location, entry);
        return;
    }
    jar_add_pom(j, steal_ptr(p));
}

static bool jar_is_pom(const char *name)
{
    return str_has_prefix(name, "META-INF/maven/") && str_has_suffix(name, "/pom.properties");
}

static bool jar_scan(struct jar *j, struct archive *a);
static void jar_finish(struct jar *j);

/* An archive inside the archive: read into memory, hashed, scanned one level deeper. */
static void jar_nested(struct jar *j, struct archive *outer, const char *entry)
{
    cleanup_free char *data = NULL;
    size_t len = 0;
    if (jar_entry_data(outer, CATALOG_MAX_NESTED_JAR, &data, &len) < 0) {
        catalog_warn(j->c, "java: '%s': nested '%s' is unreadable or over %u bytes: skipped",
                     j->location, entry, CATALOG_MAX_NESTED_JAR);
        return;
    }
    cleanup_free char *loc = xasprintf("%s!/%s", j->location, entry);
    const char *slash = strrchr(entry, '/');
    struct jar sub = {.c = j->c,
                      .location = loc,
                      .file = slash ? slash + 1 : entry,
                      .depth = j->depth + 1,
                      .entries = j->entries};
    if (!jar_sha1(-1, data, len, sub.sha1))
        sub.sha1[0] = '\0';
    cleanup_archive_read struct archive *a = archive_read_new();
    archive_read_support_format_zip(a);
    if (archive_read_open_memory(a, data, len) != ARCHIVE_OK)
        catalog_warn(j->c, "java: '%s': %s: skipped", loc, archive_error_string(a));
    else if (jar_scan(&sub, a))
        jar_finish(&sub);
}

static void jar_entry(struct jar *j, struct archive *a, const char *name)
{
    cleanup_free char *data = NULL;
    size_t len = 0;
    bool manifest = !strcasecmp(name, "META-INF/MANIFEST.MF") && !j->manifest;
    if (manifest || jar_is_pom(name)) {
        if (jar_entry_data(a, CATALOG_MAX_JAR_META, &data, &len) < 0) {
            catalog_warn(j->c, "java: '%s': '%s' is unreadable or over %u bytes: skipped",
                         j->location, name, CATALOG_MAX_JAR_META);
            return;
        }
        if (manifest) {
            j->manifest = steal_ptr(data);
            j->manifest_len = len;
        } else {
            jar_pom(j, data, len, name);
        }
    } else if (j->depth < JAR_MAX_DEPTH && jar_is_archive(name)) {
        jar_nested(j, a, name);
    }
}

/* Reads the entries; returns false when the archive is not a readable zip at all. */
static bool jar_scan(struct jar *j, struct archive *a)
{
    struct archive_entry *e;
    int r;
    size_t seen = 0;
    while ((r = tar_read_next(a, &e)) == ARCHIVE_OK) { /* names as bytes (layer/tarname.h) */
        seen++;
        if (++*j->entries > CATALOG_MAX_JAR_ENTRIES) {
            catalog_warn(j->c, "java: '%s': more than %u entries: the rest is not read",
                         j->location, CATALOG_MAX_JAR_ENTRIES);
            break;
        }
        const char *name = archive_entry_pathname(e);
        if (name && archive_entry_filetype(e) == AE_IFREG)
            jar_entry(j, a, name);
    }
    if (r != ARCHIVE_OK && r != ARCHIVE_EOF && *j->entries <= CATALOG_MAX_JAR_ENTRIES)
        catalog_warn(j->c, "java: '%s': %s%s", j->location, archive_error_string(a),
                     seen ? ": the rest is not read" : ": skipped");
    return seen > 0;
}

/* "commons-lang3-3.12.0.jar" -> name "commons-lang3", version "3.12.0". */
static void jar_file_name(const char *file, char **name, char **version)
{
    size_t n = strlen(file);
    if (n > 4 && file[n - 4] == '.')
        n -= 4;
    for (size_t i = n; i-- > 1;) {
        if (file[i - 1] == '-' && file[i] >= '0' && file[i] <= '9') {
            *name = text_clean(file, i - 1);
            *version = text_clean(file + i, n - i);
            return;
        }
    }
    *name = text_clean(file, n);
    *version = NULL;
}

static const char *const mf_keys[] = {"Implementation-Title",  "Implementation-Version",
                                      "Implementation-Vendor", "Implementation-Vendor-Id",
                                      "Bundle-SymbolicName",   "Bundle-Version",
                                      "Bundle-Vendor",         "Bundle-License",
                                      "Specification-Version", NULL};

static char *mf_first(const struct stanza *st, const char *a, const char *b)
{
    const char *v = stanza_get(st, a);
    if (!v || !*v)
        v = b ? stanza_get(st, b) : NULL;
    /* Bundle-SymbolicName may carry directives: "org.foo.bar;singleton:=true" */
    return v ? text_clean(v, strcspn(v, ";")) : NULL;
}

/* A group for an archive without pom.properties: the vendor id, else the bundle's symbolic
 * name without its last segment, else the artifact name (as syft does). */
static char *mf_group(const struct stanza *st, const char *name)
{
    char *g = mf_first(st, "Implementation-Vendor-Id", NULL);
    if (g)
        return g;
    cleanup_free char *bsn = mf_first(st, "Bundle-SymbolicName", NULL);
    char *dot = bsn ? strrchr(bsn, '.') : NULL;
    if (dot && dot != bsn) {
        *dot = '\0';
        return steal_ptr(bsn);
    }
    return xstrdup(name);
}

static void jar_from_manifest(struct jar *j)
{
    cleanup_stanza struct stanza st;
    stanza_init(&st, STANZA_MANIFEST, mf_keys);
    size_t pos = 0;
    if (j->manifest)
        stanza_next(&st, j->manifest, j->manifest_len, &pos);
    cleanup_pkg struct pkg *p = pkg_new(SBOM_PKG_MAVEN);
    cleanup_free char *fversion = NULL;
    jar_file_name(j->file, &p->name, &fversion);
    cleanup_free char *title = mf_first(&st, "Implementation-Title", NULL);
    if (!fversion && title && !strchr(title, ' ')) {
        free(p->name);
        p->name = steal_ptr(title);
    }
    /* the file name's version is Maven's; Bundle-Version is OSGi's ("32.1.2.jre") */
    p->version = mf_first(&st, "Implementation-Version", NULL);
    if (!p->version)
        p->version = fversion ? steal_ptr(fversion) : mf_first(&st, "Bundle-Version", NULL);
    p->group = p->name ? mf_group(&st, p->name) : NULL;
    cleanup_free char *vendor = mf_first(&st, "Implementation-Vendor", "Bundle-Vendor");
    p->supplier = pkg_supplier(vendor, true);
    cleanup_free char *lic = mf_first(&st, "Bundle-License", NULL);
    if (lic && !strstr(lic, "://"))
        p->license = steal_ptr(lic);
    p->location = xstrdup(j->location);
    if (j->sha1[0])
        p->sha1 = xstrdup(j->sha1);
    catalog_add(j->c, steal_ptr(p));
}

/* Hands the packages found to the catalog; the archive's own sha1 goes to its main package:
 * the pom whose artifactId is the file's name, or the only pom. */
static void jar_finish(struct jar *j)
{
    if (j->npoms == 0) {
        jar_from_manifest(j);
    } else {
        cleanup_free char *fname = NULL, *fversion = NULL;
        jar_file_name(j->file, &fname, &fversion);
        for (size_t i = 0; i < j->npoms; i++) {
            struct pkg *p = j->poms[i];
            bool main = j->npoms == 1 || (fname && !strcmp(p->name, fname));
            if (main && j->sha1[0])
                p->sha1 = xstrdup(j->sha1);
            catalog_add(j->c, p);
        }
    }
    free(j->poms);
    free(j->manifest);
    j->poms = NULL;
    j->manifest = NULL;
}

static void java_parse(struct catalog_ctx *c, const char *path, const struct stat *st)
{
    if ((uint64_t)st->st_size > CATALOG_MAX_JAR) {
        catalog_warn(c, "java: '%s' is over the limit of %llu bytes: skipped", path,
                     (unsigned long long)CATALOG_MAX_JAR);
        return;
    }
    cleanup_close int fd = view_open(c->v, path);
    if (fd < 0) {
        catalog_warn(c, "java: cannot read '%s': %s", path, strerror(errno));
        return;
    }
    size_t entries = 0;
    const char *slash = strrchr(path, '/');
    struct jar j = {
        .c = c, .location = path, .file = slash ? slash + 1 : path, .entries = &entries};
    if (!jar_sha1(fd, NULL, 0, j.sha1))
        j.sha1[0] = '\0';
    cleanup_archive_read struct archive *a = archive_read_new();
    archive_read_support_format_zip(a);
    if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK)
        catalog_warn(c, "java: '%s': %s: skipped", path, archive_error_string(a));
    else if (jar_scan(&j, a))
        jar_finish(&j);
}

const struct cataloger catalog_java = {
    .name = "java",
    .match = java_match,
    .parse = java_parse,
};
