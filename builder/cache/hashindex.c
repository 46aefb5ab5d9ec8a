#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "contenthash.h"
#include "fsutil.h"
#include "hashindex.h"
#include "util.h"

#define HASHINDEX_FILE  "cache/hashindex"
#define HASHINDEX_MAGIC "kiln-hashindex-2\n" /* 17 bytes, then a byte-order mark and a count */
#define HASHINDEX_BOM   0x01020304u

struct hi_record { /* 80 bytes, on disk in native byte order (the BOM refuses another) and in
                    * memory: the index of a monorepo holds 50,000 and more */
    uint64_t dev, ino, size;
    int64_t mtime, ctime;
    unsigned char sha[32];
    uint32_t day;  /* last used, days since 1970 */
    uint32_t used; /* in memory: 1 once looked up or added by this build; 0 on disk */
};

struct hashindex {
    pthread_mutex_t lock; /* stages hash files in parallel threads */
    struct store *s;
    struct hi_record *e; /* dense */
    size_t n, cap;
    uint32_t *slots; /* open addressing: index + 1 into e, 0 free; a power of two */
    size_t nslots;
    uint32_t today;
    bool dirty;
};

static uint64_t hi_hash(uint64_t dev, uint64_t ino)
{
    uint64_t h = dev * 0x9E3779B97F4A7C15ull ^ ino;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 33);
}

/* The slot of (dev, ino): holding it, or the free one where it would go. */
static uint32_t *hi_slot(struct hashindex *h, uint64_t dev, uint64_t ino)
{
    size_t i = (size_t)hi_hash(dev, ino) & (h->nslots - 1);
    while (h->slots[i]) {
        const struct hi_record *r = &h->e[h->slots[i] - 1];
        if (r->dev == dev && r->ino == ino)
            break;
        i = (i + 1) & (h->nslots - 1);
    }
    return &h->slots[i];
}

static void hi_rehash(struct hashindex *h, size_t nslots)
{
    free(h->slots);
    h->slots = xcalloc(nslots, sizeof(*h->slots));
    h->nslots = nslots;
    for (size_t i = 0; i < h->n; i++)
        *hi_slot(h, h->e[i].dev, h->e[i].ino) = (uint32_t)(i + 1);
}

/* Adds or replaces the record of r's identity. */
static struct hi_record *hi_put(struct hashindex *h, const struct hi_record *r)
{
    if ((h->n + 1) * 2 > h->nslots)
        hi_rehash(h, h->nslots ? h->nslots * 2 : 1024);
    uint32_t *slot = hi_slot(h, r->dev, r->ino);
    if (!*slot) {
        xgrow(&h->e, &h->cap, h->n + 1, sizeof(*h->e));
        *slot = (uint32_t)++h->n;
    }
    struct hi_record *e = &h->e[*slot - 1];
    *e = *r;
    return e;
}

static struct hi_record *hi_find(struct hashindex *h, uint64_t dev, uint64_t ino)
{
    if (!h->nslots)
        return NULL;
    uint32_t slot = *hi_slot(h, dev, ino);
    return slot ? &h->e[slot - 1] : NULL;
}

static uint32_t days_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec > 0 ? (uint32_t)(ts.tv_sec / 86400) : 0;
}

static void load(struct hashindex *h, const char *data, size_t len)
{
    size_t head = sizeof(HASHINDEX_MAGIC) - 1 + 2 * sizeof(uint32_t);
    uint32_t bom, count;
    if (len < head || memcmp(data, HASHINDEX_MAGIC, sizeof(HASHINDEX_MAGIC) - 1) != 0)
        return;
    memcpy(&bom, data + head - 8, 4);
    memcpy(&count, data + head - 4, 4);
    if (bom != HASHINDEX_BOM || count > HASHINDEX_MAX_ENTRIES ||
        len != head + (size_t)count * sizeof(struct hi_record))
        return;
    h->e = xcalloc(count ? count : 1, sizeof(*h->e));
    h->cap = count ? count : 1;
    for (size_t i = 0; i < count; i++) {
        memcpy(&h->e[i], data + head + i * sizeof(struct hi_record), sizeof(struct hi_record));
        h->e[i].used = 0;
    }
    h->n = count;
    size_t nslots = 1024;
    while (nslots < 2 * (size_t)count + 2)
        nslots *= 2;
    hi_rehash(h, nslots);
}

struct hashindex *hashindex_open(struct store *s)
{
    struct hashindex *h = xcalloc(1, sizeof(*h));
    pthread_mutex_init(&h->lock, NULL);
    h->s = s;
    h->today = days_now();
    cleanup_free char *data = NULL;
    size_t len = 0;
    kiln_error_t *err = NULL;
    size_t max = 64 + (size_t)HASHINDEX_MAX_ENTRIES * sizeof(struct hi_record);
    if (read_file_limited(s->rootfd, HASHINDEX_FILE, max, &data, &len, &err) < 0) {
        kiln_error_free(err);
        return h;
    }
    load(h, data, len);
    return h;
}

void hashindex_free(struct hashindex *h)
{
    if (!h)
        return;
    pthread_mutex_destroy(&h->lock);
    free(h->e);
    free(h->slots);
    free(h);
}

static int64_t ns(const struct timespec *t)
{
    return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

void hashindex_id_of(const struct stat *st, struct hashindex_id *id)
{
    *id = (struct hashindex_id){.dev = (uint64_t)st->st_dev,
                                .ino = (uint64_t)st->st_ino,
                                .size = (uint64_t)st->st_size,
                                .mtime = ns(&st->st_mtim),
                                .ctime = ns(&st->st_ctim)};
}

static bool identity_matches(const struct hi_record *e, const struct hashindex_id *id)
{
    return e && e->size == id->size && e->mtime == id->mtime && e->ctime == id->ctime;
}

/* Marks e used by this build; an older day makes the index worth saving. */
static void touch(struct hashindex *h, struct hi_record *e)
{
    e->used = 1;
    if (e->day != h->today) {
        e->day = h->today;
        h->dirty = true;
    }
}

static void hex_digest(const unsigned char sha[32], char out[DIGEST_STR_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    memcpy(out, "sha256:", 7);
    for (int i = 0; i < 32; i++) {
        out[7 + 2 * i] = hex[sha[i] >> 4];
        out[8 + 2 * i] = hex[sha[i] & 15];
    }
    out[DIGEST_STR_LEN] = '\0';
}

static bool raw_digest(const char *digest, unsigned char sha[32])
{
    if (!digest_valid(digest))
        return false;
    const char *x = digest_hex(digest);
    for (int i = 0; i < 32; i++) {
        int hi = x[2 * i] <= '9' ? x[2 * i] - '0' : x[2 * i] - 'a' + 10;
        int lo = x[2 * i + 1] <= '9' ? x[2 * i + 1] - '0' : x[2 * i + 1] - 'a' + 10;
        sha[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

bool hashindex_lookup(struct hashindex *h, const struct hashindex_id *id,
                      char digest[DIGEST_STR_LEN + 1])
{
    pthread_mutex_lock(&h->lock);
    struct hi_record *e = hi_find(h, id->dev, id->ino);
    bool hit = identity_matches(e, id);
    if (hit) {
        hex_digest(e->sha, digest);
        touch(h, e);
    }
    pthread_mutex_unlock(&h->lock);
    return hit;
}

/* True when st is a file recorded with this digest and unchanged since. */
static bool hashindex_matches(struct hashindex *h, const struct stat *st, const char *digest)
{
    struct hashindex_id id;
    hashindex_id_of(st, &id);
    char have[DIGEST_STR_LEN + 1];
    return hashindex_lookup(h, &id, have) && !strcmp(have, digest);
}

/* Records a file whose content digest is known (e.g. an output blob kiln just wrote). */
static void hashindex_note(struct hashindex *h, const struct stat *st, const char *digest)
{
    struct hashindex_id id;
    hashindex_id_of(st, &id);
    struct hi_record r = {.dev = id.dev,
                          .ino = id.ino,
                          .size = id.size,
                          .mtime = id.mtime,
                          .ctime = id.ctime,
                          .day = h->today};
    if (!raw_digest(digest, r.sha))
        return;
    pthread_mutex_lock(&h->lock);
    if (h->n < HASHINDEX_MAX_ENTRIES || hi_find(h, r.dev, r.ino)) {
        hi_put(h, &r)->used = 1;
        h->dirty = true;
    }
    pthread_mutex_unlock(&h->lock);
}

int hashindex_file(struct hashindex *h, int fd, char digest[DIGEST_STR_LEN + 1], kiln_error_t **err)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return kiln_err_errno(err, KILN_EIO, "stat");
    struct hashindex_id id;
    hashindex_id_of(&st, &id);
    if (hashindex_lookup(h, &id, digest))
        return 0;
    bool whole;
    if (contenthash_fd(fd, (uint64_t)st.st_size, digest, &whole, err) < 0)
        return -1;
    if (whole) /* a file that changed while it was read is read again next time */
        hashindex_note(h, &st, digest);
    return 0;
}

/* Records to keep, most recently used first (this build's first of all). */
static int keep_order(const void *a, const void *b)
{
    const struct hi_record *x = a, *y = b;
    if (x->used != y->used)
        return x->used ? -1 : 1;
    return x->day == y->day ? 0 : x->day > y->day ? -1 : 1;
}

/* The file: the mark, the byte-order mark, the count, then the records. */
static void put_records(void *ctx, struct atomic_out *o)
{
    const struct hashindex *h = ctx;
    uint32_t bom = HASHINDEX_BOM, count = (uint32_t)h->n;
    atomic_put(o, HASHINDEX_MAGIC, sizeof(HASHINDEX_MAGIC) - 1);
    atomic_put(o, &bom, sizeof(bom));
    atomic_put(o, &count, sizeof(count));
    for (size_t i = 0; i < h->n; i++) {
        struct hi_record r = h->e[i];
        r.used = 0;
        atomic_put(o, &r, sizeof(r));
    }
}

static int save_locked(struct hashindex *h, kiln_error_t **err)
{
    if (!h->dirty)
        return 0;
    qsort(h->e, h->n, sizeof(*h->e), keep_order);
    size_t keep = 0;
    while (keep < h->n && keep < HASHINDEX_MAX_ENTRIES &&
           (h->e[keep].used || h->today - h->e[keep].day <= HASHINDEX_MAX_DAYS))
        keep++;
    h->n = keep;
    hi_rehash(h, h->nslots ? h->nslots : 1024); /* the records moved */
    /* written as it is walked: 50,000 records are not copied into one buffer first */
    if (write_file_atomic_fn(h->s->rootfd, HASHINDEX_FILE, 0600, put_records, h, err) < 0)
        return -1;
    h->dirty = false;
    return 0;
}

int hashindex_save(struct hashindex *h, kiln_error_t **err)
{
    pthread_mutex_lock(&h->lock);
    int rc = save_locked(h, err);
    pthread_mutex_unlock(&h->lock);
    return rc;
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
