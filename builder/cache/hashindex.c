#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "hashindex.h"
#include "util.h"

#define HASHINDEX_FILE     "cache/hashindex"
#define HASHINDEX_MAX_FILE (64u * 1024 * 1024)

struct hi_entry {
    uint64_t dev, ino, size;
    int64_t mtime, ctime; /* nanoseconds */
    char digest[DIGEST_STR_LEN + 1];
    bool used;
};

struct hashindex {
    pthread_mutex_t lock; /* stages hash files in parallel threads */
    struct store *s;
    struct hi_entry *e; /* open addressing, capacity a power of two */
    size_t cap, n;
    bool dirty;
};

static uint64_t hi_hash(uint64_t dev, uint64_t ino)
{
    uint64_t h = dev * 0x9E3779B97F4A7C15ull ^ ino;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 33);
}

static struct hi_entry *hi_slot(struct hi_entry *tab, size_t cap, uint64_t dev, uint64_t ino)
{
    size_t i = (size_t)hi_hash(dev, ino) & (cap - 1);
    while (tab[i].used && !(tab[i].dev == dev && tab[i].ino == ino))
        i = (i + 1) & (cap - 1);
    return &tab[i];
}

static void hi_put(struct hashindex *h, const struct hi_entry *e)
{
    if ((h->n + 1) * 2 > h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 1024;
        struct hi_entry *tab = xcalloc(cap, sizeof(*tab));
        for (size_t i = 0; i < h->cap; i++)
            if (h->e[i].used)
                *hi_slot(tab, cap, h->e[i].dev, h->e[i].ino) = h->e[i];
        free(h->e);
        h->e = tab;
        h->cap = cap;
    }
    struct hi_entry *slot = hi_slot(h->e, h->cap, e->dev, e->ino);
    if (!slot->used)
        h->n++;
    *slot = *e;
    slot->used = true;
}

static void hi_parse_line(struct hashindex *h, char *line)
{
    struct hi_entry e = {0};
    char hex[65];
    if (sscanf(line, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNd64 " %" SCNd64 " %64s", &e.dev,
               &e.ino, &e.size, &e.mtime, &e.ctime, hex) != 6)
        return;
    snprintf(e.digest, sizeof(e.digest), "sha256:%s", hex);
    if (digest_valid(e.digest) && h->n < HASHINDEX_MAX_ENTRIES)
        hi_put(h, &e);
}

struct hashindex *hashindex_open(struct store *s)
{
    struct hashindex *h = xcalloc(1, sizeof(*h));
    pthread_mutex_init(&h->lock, NULL);
    h->s = s;
    cleanup_free char *data = NULL;
    kiln_error_t *err = NULL;
    if (read_file_limited(s->rootfd, HASHINDEX_FILE, HASHINDEX_MAX_FILE, &data, NULL, &err) < 0) {
        kiln_error_free(err);
        return h;
    }
    char *save = NULL;
    for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        hi_parse_line(h, l);
    return h;
}

void hashindex_free(struct hashindex *h)
{
    if (!h)
        return;
    pthread_mutex_destroy(&h->lock);
    free(h->e);
    free(h);
}

static int64_t ns(const struct timespec *t)
{
    return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static bool identity_matches(const struct hi_entry *e, const struct stat *st)
{
    return e->used && e->size == (uint64_t)st->st_size && e->mtime == ns(&st->st_mtim) &&
           e->ctime == ns(&st->st_ctim);
}

/* True when st is a file recorded with this digest and unchanged since. */
static bool hashindex_matches(struct hashindex *h, const struct stat *st, const char *digest)
{
    pthread_mutex_lock(&h->lock);
    bool r = false;
    if (h->cap) {
        const struct hi_entry *e =
            hi_slot(h->e, h->cap, (uint64_t)st->st_dev, (uint64_t)st->st_ino);
        r = identity_matches(e, st) && !strcmp(e->digest, digest);
    }
    pthread_mutex_unlock(&h->lock);
    return r;
}

/* Records a file whose content digest is known (e.g. an output blob kiln just wrote). */
static void hashindex_note(struct hashindex *h, const struct stat *st, const char *digest)
{
    struct hi_entry e = {.dev = (uint64_t)st->st_dev,
                         .ino = (uint64_t)st->st_ino,
                         .size = (uint64_t)st->st_size,
                         .mtime = ns(&st->st_mtim),
                         .ctime = ns(&st->st_ctim)};
    memcpy(e.digest, digest, sizeof(e.digest));
    pthread_mutex_lock(&h->lock);
    if (h->n < HASHINDEX_MAX_ENTRIES) {
        hi_put(h, &e);
        h->dirty = true;
    }
    pthread_mutex_unlock(&h->lock);
}

int hashindex_file(struct hashindex *h, int fd, char digest[DIGEST_STR_LEN + 1], kiln_error_t **err)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return kiln_err_errno(err, KILN_EIO, "stat");
    bool hit = false;
    pthread_mutex_lock(&h->lock);
    if (h->cap) {
        const struct hi_entry *e = hi_slot(h->e, h->cap, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
        if ((hit = identity_matches(e, &st)))
            memcpy(digest, e->digest, DIGEST_STR_LEN + 1);
    }
    pthread_mutex_unlock(&h->lock);
    if (hit)
        return 0;
    struct sha256 s;
    sha256_init(&s);
    static __thread char buf[1 << 17];
    off_t off = 0;
    for (;;) {
        ssize_t n = pread(fd, buf, sizeof(buf), off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            sha256_release(&s);
            return kiln_err_errno(err, KILN_EIO, "read");
        }
        if (n == 0)
            break;
        sha256_update(&s, buf, (size_t)n);
        off += n;
    }
    sha256_final(&s, digest);
    if (off == st.st_size)
        hashindex_note(h, &st, digest);
    return 0;
}

int hashindex_save(struct hashindex *h, kiln_error_t **err)
{
    if (!h->dirty)
        return 0;
    cleanup_buf struct buf b = BUF_INIT(HASHINDEX_MAX_FILE);
    for (size_t i = 0; i < h->cap; i++) {
        const struct hi_entry *e = &h->e[i];
        if (e->used &&
            buf_addf(&b, err, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRId64 " %s\n",
                     e->dev, e->ino, e->size, e->mtime, e->ctime, digest_hex(e->digest)) < 0)
            return -1;
    }
    if (write_file_atomic(h->s->rootfd, HASHINDEX_FILE, buf_str(&b), b.len, 0600, err) < 0)
        return -1;
    h->dirty = false;
    return 0;
}

static bool blob_matches(void *ctx, const struct stat *st, const char *digest)
{
    return hashindex_matches(ctx, st, digest);
}

static void blob_note(void *ctx, const struct stat *st, const char *digest)
{
    hashindex_note(ctx, st, digest);
}

void hashindex_blob_index(struct hashindex *h, struct layout_blob_index *out)
{
    *out = (struct layout_blob_index){.ctx = h, .matches = blob_matches, .note = blob_note};
}
