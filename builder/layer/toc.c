#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "layer_writer.h"
#include "toc.h"
#include "util.h"

#define TOC_DIR       "cache/toc"
#define TOC_MAGIC     "kiln-toc-1\n" /* then a byte-order mark and the count */
#define TOC_BOM       0x01020304u
#define TOC_MAX_LINKS 1000u /* hard links looked up by a scan; more: no table */
#define TOC_MAX_FILE  (512ull << 20)

static void add_entry(struct layer_toc *t, const struct toc_entry *e)
{
    xgrow(&t->e, &t->cap, t->n + 1, sizeof(*t->e));
    t->e[t->n++] = *e;
}

/* The entry a hard link points to (added before it, as in the tar). */
static struct toc_entry *link_target(struct layer_toc *t, const char *canon)
{
    for (size_t i = t->n; i-- > 0;)
        if (!strcmp(t->e[i].path, canon))
            return &t->e[i];
    return NULL;
}

void toc_add(struct layer_toc *t, const struct layer_entry *e, int64_t mtime)
{
    if (t->unusable)
        return;
    if (e->whiteout || t->n >= TOC_MAX_ENTRIES || strlen(e->path) >= TOC_MAX_PATH) {
        t->unusable = true;
        return;
    }
    struct toc_entry te = {.path = xasprintf("/%s", e->path),
                           .mode = (uint32_t)e->mode,
                           .uid = e->uid,
                           .gid = e->gid,
                           .ino = (uint32_t)t->n + 1,
                           .nlink = 1,
                           .size = S_ISREG(e->mode) ? e->size : 0,
                           .mtime = mtime,
                           .rdev = (uint64_t)e->rdev};
    if (S_ISLNK(e->mode) && !e->hardlink)
        te.link = xstrdup(e->linkname ? e->linkname : "");
    if (e->hardlink) {
        cleanup_free char *target = xasprintf("/%s", e->linkname ? e->linkname : "");
        struct toc_entry *to = ++t->links <= TOC_MAX_LINKS ? link_target(t, target) : NULL;
        if (!to || to->link) {
            free(te.path);
            t->unusable = true;
            return;
        }
        to->nlink++;
        char *path = te.path;
        te = *to;
        te.path = path;
        for (size_t i = 0; i < t->n; i++) /* every name of the file counts every link */
            if (t->e[i].ino == te.ino)
                t->e[i].nlink = to->nlink;
        te.nlink = to->nlink;
    }
    add_entry(t, &te);
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct toc_entry *)a)->path, ((const struct toc_entry *)b)->path);
}

bool toc_finish(struct layer_toc *t)
{
    if (!t->unusable && t->n)
        qsort(t->e, t->n, sizeof(*t->e), cmp_entry);
    for (size_t i = 1; !t->unusable && i < t->n; i++)
        if (!strcmp(t->e[i - 1].path, t->e[i].path))
            t->unusable = true; /* the same name twice: only the real tree says which wins */
    return !t->unusable;
}

void toc_release(struct layer_toc *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->e[i].path);
        free(t->e[i].link);
    }
    free(t->e);
    memset(t, 0, sizeof(*t));
}

void toc_free(struct layer_toc *t)
{
    if (!t)
        return;
    toc_release(t);
    free(t);
}

/* The first entry not less than key. */
static size_t lower_bound(const struct layer_toc *t, const char *key)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(t->e[mid].path, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct toc_entry *toc_find(const struct layer_toc *t, const char *canon)
{
    size_t i = lower_bound(t, canon);
    return i < t->n && !strcmp(t->e[i].path, canon) ? &t->e[i] : NULL;
}

/* "/a/b" → "/a/b/", "/" → "/": the prefix of everything below canon. */
static char *below_prefix(const char *canon)
{
    return strcmp(canon, "/") ? xasprintf("%s/", canon) : xstrdup("/");
}

bool toc_has_below(const struct layer_toc *t, const char *canon)
{
    cleanup_free char *p = below_prefix(canon);
    size_t i = lower_bound(t, p);
    return i < t->n && !strncmp(t->e[i].path, p, strlen(p));
}

void toc_children(const struct layer_toc *t, const char *canon,
                  void (*fn)(void *ctx, const char *name, size_t len), void *ctx)
{
    cleanup_free char *p = below_prefix(canon);
    size_t plen = strlen(p), last_len = 0;
    const char *last = NULL;
    for (size_t i = lower_bound(t, p); i < t->n && !strncmp(t->e[i].path, p, plen); i++) {
        const char *name = t->e[i].path + plen;
        size_t len = strcspn(name, "/");
        if (!len || (last && len == last_len && !memcmp(last, name, len)))
            continue; /* deeper entries of the child just given */
        fn(ctx, name, len);
        last = name, last_len = len;
    }
}

/* ---- stored form ---- */

struct toc_rec { /* native byte order (the mark refuses another) */
    uint32_t mode, uid, gid, ino, nlink, pathlen, linklen;
    uint32_t pad;
    uint64_t size;
    int64_t mtime;
    uint64_t rdev;
};
#define NO_LINK 0xffffffffu

static char *toc_name(const char *diff_id)
{
    return xasprintf(TOC_DIR "/%s", digest_hex(diff_id));
}

static void put_toc(void *ctx, struct atomic_out *o)
{
    const struct layer_toc *t = ctx;
    uint32_t head[2] = {TOC_BOM, (uint32_t)t->n};
    atomic_put(o, TOC_MAGIC, sizeof(TOC_MAGIC) - 1);
    atomic_put(o, head, sizeof(head));
    for (size_t i = 0; i < t->n; i++) {
        const struct toc_entry *e = &t->e[i];
        struct toc_rec r = {e->mode,
                            e->uid,
                            e->gid,
                            e->ino,
                            e->nlink,
                            (uint32_t)strlen(e->path),
                            e->link ? (uint32_t)strlen(e->link) : NO_LINK,
                            0,
                            e->size,
                            e->mtime,
                            e->rdev};
        atomic_put(o, &r, sizeof(r));
        atomic_put(o, e->path, r.pathlen);
        if (e->link)
            atomic_put(o, e->link, r.linklen);
    }
}

int toc_save(struct store *s, const char *diff_id, const struct layer_toc *t, kiln_error_t **err)
{
    if (t->unusable || !digest_valid(diff_id))
        return 0;
    if (mkdir_p_at(s->rootfd, TOC_DIR, 0700, err) < 0)
        return -1;
    cleanup_free char *name = toc_name(diff_id);
    /* written as it is walked: a table of 50,000 entries is never a second time in memory */
    return write_file_atomic_fn(s->rootfd, name, 0600, put_toc, (void *)t, err);
}

/* One record at *p (of end - *p bytes left); false when it does not fit or is malformed. */
static bool parse_rec(const char **p, const char *end, struct toc_entry *e)
{
    struct toc_rec r;
    if ((size_t)(end - *p) < sizeof(r))
        return false;
    memcpy(&r, *p, sizeof(r));
    *p += sizeof(r);
    size_t ll = r.linklen == NO_LINK ? 0 : r.linklen;
    if (r.pathlen == 0 || r.pathlen >= TOC_MAX_PATH || ll >= TOC_MAX_PATH ||
        (size_t)(end - *p) < (size_t)r.pathlen + ll || (*p)[0] != '/' ||
        memchr(*p, '\0', r.pathlen) || (ll && memchr(*p + r.pathlen, '\0', ll)))
        return false;
    *e = (struct toc_entry){.path = xstrndup(*p, r.pathlen),
                            .link = r.linklen == NO_LINK ? NULL : xstrndup(*p + r.pathlen, ll),
                            .mode = r.mode,
                            .uid = r.uid,
                            .gid = r.gid,
                            .ino = r.ino,
                            .nlink = r.nlink,
                            .size = r.size,
                            .mtime = r.mtime,
                            .rdev = r.rdev};
    *p += r.pathlen + ll;
    return true;
}

struct layer_toc *toc_load(struct store *s, const char *diff_id)
{
    if (!digest_valid(diff_id))
        return NULL;
    cleanup_free char *name = toc_name(diff_id);
    cleanup_free char *data = NULL;
    size_t len = 0;
    kiln_error_t *e = NULL;
    if (read_file_limited(s->rootfd, name, TOC_MAX_FILE, &data, &len, &e) < 0) {
        kiln_error_free(e);
        return NULL;
    }
    size_t head = sizeof(TOC_MAGIC) - 1 + 8;
    uint32_t h[2];
    if (len < head || memcmp(data, TOC_MAGIC, sizeof(TOC_MAGIC) - 1) != 0)
        return NULL;
    memcpy(h, data + head - 8, sizeof(h));
    if (h[0] != TOC_BOM || h[1] > TOC_MAX_ENTRIES)
        return NULL;
    struct layer_toc *t = xcalloc(1, sizeof(*t));
    const char *p = data + head, *end = data + len;
    for (uint32_t i = 0; i < h[1]; i++) {
        struct toc_entry te;
        if (!parse_rec(&p, end, &te)) {
            toc_free(t);
            return NULL;
        }
        add_entry(t, &te);
    }
    for (size_t i = 1; i < t->n; i++)
        if (strcmp(t->e[i - 1].path, t->e[i].path) >= 0) { /* sorted, no duplicates */
            toc_free(t);
            return NULL;
        }
    if (p != end) {
        toc_free(t);
        return NULL;
    }
    return t;
}

void toc_remove(struct store *s, const char *diff_id)
{
    if (!digest_valid(diff_id))
        return;
    cleanup_free char *name = toc_name(diff_id);
    unlinkat(s->rootfd, name, 0);
}
