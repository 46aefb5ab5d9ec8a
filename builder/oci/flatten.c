/* An image's root filesystem as one tar stream (see flatten.h): pass 1 reads every layer's
 * headers from the top down and decides which entry of each path wins; pass 2 reads the layers
 * from the bottom up and hands the winners to the sink. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "oci/flatten.h"
#include "strset.h"
#include "tar/handles.h"
#include "util.h"

#define READ_BLOCK (128 * 1024)
#define SPOOL_BUF  (64 * 1024)

/* The entry of a path that wins, and what pass 2 did with it. */
struct node {
    char *path;
    uint32_t layer, ord;
    bool dir;
    bool emitted;
    bool materialize;             /* a hard link whose target a higher layer replaced */
    struct archive_entry *header; /* directories: given early when a child comes first */
};

struct map {
    struct node *slots;
    size_t cap, n;
};

/* The content a hard link had before a higher layer replaced its target. */
struct spool {
    char *path;
    int fd;
    struct archive_entry *header;
    char *given_as; /* the name its content was first given under, or NULL */
};

struct flat {
    struct store *s;
    const struct image_layer *layers;
    size_t nlayers;
    int tmpfd;
    int64_t epoch;
    struct map map;
    struct strset killed; /* deleted by a whiteout of a higher layer (with what is under it) */
    struct strset opaque; /* directories whose lower-layer content a higher layer hid */
    struct strset spool_paths;
    struct spool *spools;
    size_t nspools;
    const struct flatten_sink *sink;
    struct flatten_stats *stats;
};

/* ---- the path map ---- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static struct node *map_slot(struct map *m, const char *path)
{
    size_t i = (size_t)hash_str(path) & (m->cap - 1);
    while (m->slots[i].path && strcmp(m->slots[i].path, path))
        i = (i + 1) & (m->cap - 1);
    return &m->slots[i];
}

static struct node *map_get(struct map *m, const char *path)
{
    if (!m->cap)
        return NULL;
    struct node *n = map_slot(m, path);
    return n->path ? n : NULL;
}

static void map_grow(struct map *m)
{
    struct map g = {xcalloc(m->cap ? m->cap * 2 : 1024, sizeof(struct node)),
                    m->cap ? m->cap * 2 : 1024, m->n};
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].path)
            *map_slot(&g, m->slots[i].path) = m->slots[i];
    free(m->slots);
    *m = g;
}

static struct node *map_put(struct map *m, const char *path)
{
    if ((m->n + 1) * 2 > m->cap)
        map_grow(m);
    struct node *n = map_slot(m, path);
    if (!n->path) {
        n->path = xstrdup(path);
        m->n++;
    }
    return n;
}

static void map_release(struct map *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        free(m->slots[i].path);
        if (m->slots[i].header)
            archive_entry_free(m->slots[i].header);
    }
    free(m->slots);
}

/* ---- reading layers ---- */

ssize_t flatten_read(struct flatten_data *d, void *buf, size_t n)
{
    if (d->a)
        return (ssize_t)archive_read_data(d->a, buf, n);
    ssize_t r;
    do {
        r = read(d->fd, buf, n);
    } while (r < 0 && errno == EINTR);
    return r;
}

static int layer_open(struct flat *f, size_t i, struct archive **out, kiln_error_t **err)
{
    int fd = store_open_blob(f->s, f->layers[i].digest, err);
    if (fd < 0)
        return -1;
    cleanup_archive_read struct archive *a = archive_read_new();
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_zstd(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_fd(a, fd, READ_BLOCK) != ARCHIVE_OK) {
        kiln_err(err, KILN_ECORRUPT, 0, "layer %s: %s", f->layers[i].digest,
                 archive_error_string(a));
        close(fd);
        return -1;
    }
    *out = steal_ptr(a);
    return fd;
}

/* The entry's name as a clean relative path; "" for the root; NULL for ".." escapes. */
static char *clean_name(const char *raw)
{
    if (!raw)
        return NULL;
    for (const char *p = raw; *p;) {
        size_t k = strcspn(p, "/");
        if (k == 2 && p[0] == '.' && p[1] == '.')
            return NULL;
        p += k + (p[k] == '/');
    }
    cleanup_free char *c = path_join("/", raw);
    return xstrdup(c + 1);
}

static int layer_err(struct flat *f, size_t i, struct archive *a, const char *what,
                     kiln_error_t **err)
{
    return kiln_err(err, KILN_ECORRUPT, 0, "layer %zu (%s): %s", i + 1, f->layers[i].digest,
                    what ? what : archive_error_string(a));
}

/* ---- pass 1: which entry of each path wins ---- */

static bool hidden(struct flat *f, const char *path)
{
    if (strset_has(&f->opaque, "")) /* the root is opaque above */
        return true;
    cleanup_free char *p = xstrdup(path);
    for (char *slash = p;; slash++) {
        slash = strchr(slash, '/');
        if (slash)
            *slash = '\0';
        if (strset_has(&f->killed, p))
            return true;
        if (slash) {
            struct node *n = map_get(&f->map, p);
            if (strset_has(&f->opaque, p) || (n && !n->dir))
                return true;
            *slash = '/';
        } else {
            return false;
        }
    }
}

/* A whiteout of the layer: recorded, applied to the layers below once this one is read. */
static bool whiteout(const char *path, char ***pending, size_t *npending, bool *opq)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (!str_has_prefix(base, ".wh."))
        return false;
    size_t dirlen = (size_t)(base - path);
    *opq = !strcmp(base, ".wh..wh..opq");
    cleanup_free char *dir = xstrndup(path, dirlen ? dirlen - 1 : 0);
    if (*opq)
        strv_push(pending, npending, xasprintf("O%s", dir));
    else
        strv_push(pending, npending,
                  xasprintf("K%s%s%s", dir, dirlen ? "/" : "", base + strlen(".wh.")));
    return true;
}

static int decide(struct flat *f, size_t layer, uint32_t ord, struct archive_entry *ae,
                  const char *path, kiln_error_t **err)
{
    if (hidden(f, path))
        return 0;
    struct node *n = map_get(&f->map, path);
    if (n && n->layer != layer)
        return 0; /* a higher layer put it there */
    if (!n && f->map.n >= FLATTEN_MAX_ENTRIES)
        return kiln_err(err, KILN_ELIMIT, 0, "image has more than %u paths", FLATTEN_MAX_ENTRIES);
    n = map_put(&f->map, path); /* new, or a later entry of the same layer */
    n->layer = (uint32_t)layer;
    n->ord = ord;
    n->dir = archive_entry_filetype(ae) == AE_IFDIR && !archive_entry_hardlink(ae);
    if (n->header)
        archive_entry_free(n->header), n->header = NULL;
    if (n->dir)
        n->header = archive_entry_clone(ae);
    n->materialize = false;
    const char *link = archive_entry_hardlink(ae);
    if (!link)
        return 0;
    cleanup_free char *target = clean_name(link);
    if (!target || !*target)
        return kiln_err(err, KILN_ECORRUPT, 0, "hard link '%s' to '%s'", path, link);
    struct node *t = map_get(&f->map, target);
    if ((t && t->layer > layer) || hidden(f, target)) {
        n->materialize = true;
        strset_add(&f->spool_paths, target);
    }
    return 0;
}

static void apply_pending(struct flat *f, char **pending, size_t n)
{
    for (size_t i = 0; i < n; i++)
        strset_add(pending[i][0] == 'O' ? &f->opaque : &f->killed, pending[i] + 1);
}

static int pass1_layer(struct flat *f, size_t layer, kiln_error_t **err)
{
    cleanup_close int fd = -1;
    cleanup_archive_read struct archive *a = NULL;
    if ((fd = layer_open(f, layer, &a, err)) < 0)
        return -1;
    char **pending = NULL;
    size_t npending = 0;
    struct archive_entry *ae;
    int r, rc = 0;
    uint32_t ord = 0;
    while (rc == 0 && (r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
        cleanup_free char *path = clean_name(archive_entry_pathname(ae));
        bool opq;
        if (!path)
            rc = layer_err(f, layer, a, "an entry name leaves the root", err);
        else if (*path && !whiteout(path, &pending, &npending, &opq))
            rc = decide(f, layer, ord, ae, path, err);
        ord++;
    }
    if (rc == 0 && r != ARCHIVE_EOF)
        rc = layer_err(f, layer, a, NULL, err);
    apply_pending(f, pending, npending);
    strv_free(pending);
    if (rc == 0 && f->spool_paths.n > FLATTEN_MAX_SPOOLS)
        rc = kiln_err(err, KILN_ELIMIT, 0, "more than %u hard links to replaced files",
                      FLATTEN_MAX_SPOOLS);
    return rc;
}

/* ---- pass 2: the winners, bottom layer first ---- */

static int give(struct flat *f, struct archive_entry *e, struct flatten_data *d, kiln_error_t **err)
{
    f->stats->entries++;
    return f->sink->entry(f->sink->ctx, e, d, err);
}

/* Every directory above path, before it: given early from its header, or made up when no
 * layer lists it. 1 when path is under a non-directory (dropped). */
static int parents(struct flat *f, const char *path, kiln_error_t **err)
{
    cleanup_free char *p = xstrdup(path);
    for (char *slash = strchr(p, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        struct node *n = map_get(&f->map, p);
        if (n && !n->dir)
            return 1;
        if (!n) {
            n = map_put(&f->map, p);
            n->dir = true;
            n->header = archive_entry_new();
            archive_entry_set_filetype(n->header, AE_IFDIR);
            archive_entry_set_perm(n->header, 0755);
            archive_entry_set_mtime(n->header, f->epoch, 0);
        }
        if (!n->emitted) {
            n->emitted = true;
            archive_entry_copy_pathname(n->header, p);
            if (give(f, n->header, NULL, err) < 0)
                return -1;
        }
        *slash = '/';
    }
    return 0;
}

static struct spool *spool_find(struct flat *f, const char *path)
{
    for (size_t i = 0; i < f->nspools; i++)
        if (!strcmp(f->spools[i].path, path))
            return &f->spools[i];
    return NULL;
}

/* Keeps the content of an entry some hard link of a higher layer still needs. */
static int spool_entry(struct flat *f, struct archive *a, struct archive_entry *ae,
                       const char *path, kiln_error_t **err)
{
    if (archive_entry_hardlink(ae) || archive_entry_filetype(ae) != AE_IFREG)
        return kiln_err(err, KILN_EUNSUPPORTED, 0,
                        "'%s': a hard link to a replaced file that is not a regular file", path);
    struct spool *sp = spool_find(f, path);
    if (!sp) {
        f->spools = xrealloc(f->spools, (f->nspools + 1) * sizeof(*f->spools));
        sp = &f->spools[f->nspools++];
        *sp = (struct spool){.path = xstrdup(path), .fd = -1};
    }
    if (sp->fd >= 0)
        close(sp->fd);
    if (sp->header)
        archive_entry_free(sp->header);
    free(steal_ptr(sp->given_as));
    sp->header = archive_entry_clone(ae);
    sp->fd = openat(f->tmpfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (sp->fd < 0)
        return kiln_err_errno(err, KILN_EIO, "temporary file");
    cleanup_free char *buf = xmalloc(SPOOL_BUF);
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, SPOOL_BUF)) > 0)
        if (write_all(sp->fd, buf, (size_t)n) < 0)
            return kiln_err_errno(err, KILN_EIO, "temporary file");
    if (n < 0)
        return kiln_err(err, KILN_ECORRUPT, 0, "'%s': %s", path, archive_error_string(a));
    return 0;
}

/* A link whose target a higher layer replaced: the content it had, once, then links to it. */
static int give_materialized(struct flat *f, struct archive_entry *ae, const char *path,
                             const char *target, kiln_error_t **err)
{
    struct spool *sp = spool_find(f, target);
    if (!sp)
        return kiln_err(err, KILN_ECORRUPT, 0, "hard link '%s' to missing '%s'", path, target);
    if (sp->given_as) {
        archive_entry_copy_hardlink(ae, sp->given_as);
        return give(f, ae, NULL, err);
    }
    cleanup_archive_entry struct archive_entry *e = archive_entry_clone(sp->header);
    archive_entry_copy_pathname(e, path);
    struct flatten_data d = {NULL, sp->fd};
    int rc = lseek(sp->fd, 0, SEEK_SET) < 0 ? kiln_err_errno(err, KILN_EIO, "temporary file")
                                            : give(f, e, &d, err);
    sp->given_as = xstrdup(path);
    return rc;
}

static int give_link(struct flat *f, struct node *n, struct archive_entry *ae, const char *path,
                     kiln_error_t **err)
{
    cleanup_free char *target = clean_name(archive_entry_hardlink(ae));
    if (n->materialize)
        return give_materialized(f, ae, path, target, err);
    struct node *t = map_get(&f->map, target);
    if (!t || !t->emitted || t->dir)
        return kiln_err(err, KILN_ECORRUPT, 0, "hard link '%s' to missing '%s'", path, target);
    archive_entry_copy_hardlink(ae, target);
    return give(f, ae, NULL, err);
}

static int pass2_entry(struct flat *f, size_t layer, uint32_t ord, struct archive *a,
                       struct archive_entry *ae, const char *path, kiln_error_t **err)
{
    bool spooled = strset_has(&f->spool_paths, path) && !archive_entry_hardlink(ae);
    if (spooled && spool_entry(f, a, ae, path, err) < 0)
        return -1;
    struct node *n = map_get(&f->map, path);
    if (!n || n->layer != layer || n->ord != ord || n->emitted)
        return 0;
    int pr = parents(f, path, err); /* may grow the map: n is looked up again */
    if (pr != 0) {
        f->stats->dropped += pr > 0;
        return pr < 0 ? -1 : 0;
    }
    n = map_get(&f->map, path);
    n->emitted = true;
    archive_entry_copy_pathname(ae, path);
    if (archive_entry_hardlink(ae))
        return give_link(f, n, ae, path, err);
    if (spooled) { /* its data went to the spool: give it from there, under its own name */
        struct spool *sp = spool_find(f, path);
        free(sp->given_as);
        sp->given_as = xstrdup(path);
        struct flatten_data d = {NULL, sp->fd};
        if (lseek(sp->fd, 0, SEEK_SET) < 0)
            return kiln_err_errno(err, KILN_EIO, "temporary file");
        return give(f, ae, &d, err);
    }
    struct flatten_data d = {a, -1};
    bool data = archive_entry_filetype(ae) == AE_IFREG && archive_entry_size(ae) > 0;
    return give(f, ae, data ? &d : NULL, err);
}

static int pass2_layer(struct flat *f, size_t layer, kiln_error_t **err)
{
    cleanup_close int fd = -1;
    cleanup_archive_read struct archive *a = NULL;
    if ((fd = layer_open(f, layer, &a, err)) < 0)
        return -1;
    struct archive_entry *ae;
    int r, rc = 0;
    uint32_t ord = 0;
    while (rc == 0 && (r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
        cleanup_free char *path = clean_name(archive_entry_pathname(ae));
        if (!path)
            rc = layer_err(f, layer, a, "an entry name leaves the root", err);
        else if (*path)
            rc = pass2_entry(f, layer, ord, a, ae, path, err);
        ord++;
    }
    if (rc == 0 && r != ARCHIVE_EOF)
        rc = layer_err(f, layer, a, NULL, err);
    return rc;
}

int flatten_layers(struct store *s, const struct image_layer *layers, size_t n, int tmpfd,
                   int64_t epoch, const struct flatten_sink *sink, struct flatten_stats *stats,
                   kiln_error_t **err)
{
    struct flat f = {.s = s,
                     .layers = layers,
                     .nlayers = n,
                     .tmpfd = tmpfd,
                     .epoch = epoch,
                     .sink = sink,
                     .stats = stats,
                     .killed = STRSET_INIT,
                     .opaque = STRSET_INIT,
                     .spool_paths = STRSET_INIT};
    memset(stats, 0, sizeof(*stats));
    int rc = 0;
    for (size_t i = n; rc == 0 && i-- > 0;)
        rc = pass1_layer(&f, i, err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = pass2_layer(&f, i, err);
    map_release(&f.map);
    strset_release(&f.killed);
    strset_release(&f.opaque);
    strset_release(&f.spool_paths);
    for (size_t i = 0; i < f.nspools; i++) {
        free(f.spools[i].path);
        free(f.spools[i].given_as);
        if (f.spools[i].fd >= 0)
            close(f.spools[i].fd);
        if (f.spools[i].header)
            archive_entry_free(f.spools[i].header);
    }
    free(f.spools);
    return rc;
}
