/* Parallel gzip (see pgzip.h). The caller's thread cuts the input into blocks and hands them to
 * the workers through a ring of slots. A worker compresses a block and takes its CRC-32; the
 * compressed blocks are emitted in order by whichever thread finds the oldest one done while no
 * other thread emits (a worker, usually), so the output callback (the blob's own hash and its
 * write) runs beside the caller's reading and hashing instead of after it. A slot is reused only
 * after its block was emitted, which bounds the memory. */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "pgzip.h"
#include "digest/crc32.h"
#include "kernel.h"
#include "util.h"

#define DICT (32u * 1024) /* deflate's window */

enum slot_state { SLOT_FREE, SLOT_READY, SLOT_BUSY, SLOT_DONE };

struct slot {
    enum slot_state state; /* guarded by pgzip.mu */
    uint64_t seq;
    unsigned char *in; /* PGZIP_BLOCK bytes */
    size_t nin;
    unsigned char *dict; /* the last bytes of the input before this block */
    size_t ndict;
    unsigned char *out;
    size_t nout, capout;
    bool last;
    int rc;    /* -1: zlib failed */
    uLong crc; /* CRC-32 of in[0..nin) */
};

struct pgzip {
    int level;
    unsigned nthreads; /* workers to start with the second block; 1: compress inline */
    pthread_t threads[PGZIP_MAX_THREADS];
    unsigned started;
    bool stop;
    pthread_mutex_t mu;
    pthread_cond_t work; /* a block is READY, or stop: a worker takes it */
    pthread_cond_t done; /* a slot is FREE again, an emit ended, or a failure: the caller */
    struct slot *slots;
    size_t nslots;
    uint64_t next_seq;  /* the block being filled (guarded by mu) */
    uint64_t next_emit; /* the first block not emitted yet (guarded by mu) */
    bool emitting;      /* a thread is emitting (guarded by mu) */
    kiln_error_t *fail; /* the first failure of an emit or a block (guarded by mu) */
    unsigned char tail[DICT];
    size_t ntail;
    uLong crc;
    uint64_t size;
    pgzip_emit_fn emit;
    void *ctx;
};

/* Shannon entropy (bits per byte) of a sample of the block. */
static double sample_entropy(const unsigned char *p, size_t n)
{
    size_t count[256] = {0};
    size_t m = n < 16384 ? n : 16384;
    for (size_t i = 0; i < m; i++)
        count[p[i]]++;
    double h = 0;
    for (int i = 0; i < 256; i++) {
        if (!count[i])
            continue;
        double q = (double)count[i] / (double)m;
        h -= q * log2(q);
    }
    return h;
}

static int block_level(int level, const unsigned char *p, size_t n)
{
    if (n < 4096 || level == 0)
        return level;
    return sample_entropy(p, n) > 7.8 ? 0 : level;
}

static int grow_out(struct slot *s, size_t want)
{
    if (s->capout >= want)
        return 0;
    s->out = xrealloc(s->out, want);
    s->capout = want;
    return 0;
}

/* One block as raw deflate, ending on a byte boundary (or the end of the stream). */
static int compress_block(int level, struct slot *s)
{
    int lv = block_level(level, s->in, s->nin);
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, lv, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    int rc = 0;
    if (s->ndict && lv > 0 && deflateSetDictionary(&zs, s->dict, (uInt)s->ndict) != Z_OK)
        rc = -1;
    grow_out(s, deflateBound(&zs, (uLong)s->nin) + 64);
    zs.next_in = s->in;
    zs.avail_in = (uInt)s->nin;
    zs.next_out = s->out;
    zs.avail_out = (uInt)s->capout;
    int flush = s->last ? Z_FINISH : Z_SYNC_FLUSH;
    while (rc == 0) {
        int r = deflate(&zs, flush);
        if (r == Z_STREAM_ERROR || (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR))
            rc = -1;
        else if (flush == Z_FINISH ? r == Z_STREAM_END : zs.avail_out != 0)
            break;
        else if (zs.avail_out == 0) {
            grow_out(s, s->capout * 2);
            zs.next_out = s->out + zs.total_out;
            zs.avail_out = (uInt)(s->capout - zs.total_out);
        } else {
            rc = -1; /* no progress with room left: cannot happen */
        }
    }
    s->nout = zs.total_out;
    deflateEnd(&zs);
    s->crc = crc32_fast(0, s->in, s->nin);
    return rc;
}

/* The READY block with the lowest sequence number, or NULL. Called with mu held. */
static struct slot *next_ready(struct pgzip *z)
{
    struct slot *best = NULL;
    for (size_t i = 0; i < z->nslots; i++)
        if (z->slots[i].state == SLOT_READY && (!best || z->slots[i].seq < best->seq))
            best = &z->slots[i];
    return best;
}

static void emit_ready(struct pgzip *z);

static void *worker(void *p)
{
    struct pgzip *z = p;
    pthread_mutex_lock(&z->mu);
    for (;;) {
        struct slot *s = NULL;
        while (!z->stop && !(s = next_ready(z)))
            pthread_cond_wait(&z->work, &z->mu);
        if (!s)
            break;
        s->state = SLOT_BUSY;
        pthread_mutex_unlock(&z->mu);
        int rc = compress_block(z->level, s);
        pthread_mutex_lock(&z->mu);
        s->rc = rc;
        s->state = SLOT_DONE;
        emit_ready(z); /* or the thread emitting now finds it done */
    }
    pthread_mutex_unlock(&z->mu);
    return NULL;
}

/* gzip header: deflate, no name, mtime 0, the extra flags zlib writes for the level, Unix. */
static int emit_header(struct pgzip *z, kiln_error_t **err)
{
    unsigned char h[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    h[8] = z->level == 9 ? 2 : z->level < 2 ? 4 : 0;
    return z->emit(z->ctx, h, sizeof(h), err);
}

int pgzip_new(int level, unsigned threads, pgzip_emit_fn emit, void *ctx, struct pgzip **out,
              kiln_error_t **err)
{
    struct pgzip *z = xcalloc(1, sizeof(*z));
    z->level = level < 0 ? 6 : level > 9 ? 9 : level;
    z->nthreads = threads ? threads : kernel_cores();
    if (z->nthreads > PGZIP_MAX_THREADS)
        z->nthreads = PGZIP_MAX_THREADS;
    z->nslots = z->nthreads > 1 ? 2 * (size_t)z->nthreads : 1;
    z->slots = xcalloc(z->nslots, sizeof(*z->slots));
    for (size_t i = 0; i < z->nslots; i++) {
        z->slots[i].in = xmalloc(PGZIP_BLOCK);
        z->slots[i].dict = xmalloc(DICT);
    }
    pthread_mutex_init(&z->mu, NULL);
    pthread_cond_init(&z->work, NULL);
    pthread_cond_init(&z->done, NULL);
    z->crc = crc32(0L, Z_NULL, 0);
    z->emit = emit;
    z->ctx = ctx;
    if (emit_header(z, err) < 0) {
        pgzip_free(z);
        return -1;
    }
    *out = z;
    return 0;
}

/* Emits, in order, every block that is compressed and not emitted yet, unless another thread
 * is doing it. Called and returns with mu held; mu is released around the output callback. */
static void emit_ready(struct pgzip *z)
{
    if (z->emitting)
        return;
    z->emitting = true;
    while (!z->fail && z->next_emit < z->next_seq) {
        struct slot *s = &z->slots[z->next_emit % z->nslots];
        if (s->state != SLOT_DONE)
            break;
        pthread_mutex_unlock(&z->mu);
        kiln_error_t *e = NULL;
        if (s->rc < 0)
            kiln_err(&e, KILN_EINTERNAL, 0, "gzip: cannot compress");
        else if (s->nout)
            z->emit(z->ctx, s->out, s->nout, &e);
        z->crc = crc32_combine(z->crc, s->crc, (z_off_t)s->nin);
        pthread_mutex_lock(&z->mu);
        if (e && !z->fail)
            z->fail = e;
        else
            kiln_error_free(e);
        s->state = SLOT_FREE;
        s->nin = 0;
        z->next_emit++;
        pthread_cond_signal(&z->done); /* one caller thread waits, for a free slot */
    }
    z->emitting = false;
    pthread_cond_signal(&z->done); /* pgzip_finish waits for the last emit to end */
}

/* A failure of a block or of the output, handed to the caller. Called with mu held. */
static int failed(struct pgzip *z, kiln_error_t **err)
{
    if (!z->fail)
        return 0;
    kiln_error_t *e = z->fail;
    z->fail = NULL;
    if (err) {
        kiln_error_free(*err);
        *err = e;
    } else {
        kiln_error_free(e);
    }
    z->stop = true; /* nothing more is emitted */
    return -1;
}

/* The slot of the block being filled, free to take input. */
static int current_slot(struct pgzip *z, struct slot **out, kiln_error_t **err)
{
    pthread_mutex_lock(&z->mu);
    struct slot *s = &z->slots[z->next_seq % z->nslots];
    for (;;) {
        emit_ready(z);
        if (z->fail || s->state == SLOT_FREE)
            break;
        pthread_cond_wait(&z->done, &z->mu);
    }
    int rc = failed(z, err);
    pthread_mutex_unlock(&z->mu);
    *out = s;
    return rc;
}

static void keep_tail(struct pgzip *z, const struct slot *s)
{
    if (s->nin >= DICT) {
        memcpy(z->tail, s->in + s->nin - DICT, DICT);
        z->ntail = DICT;
        return;
    }
    size_t keep = DICT - s->nin < z->ntail ? DICT - s->nin : z->ntail;
    memmove(z->tail, z->tail + z->ntail - keep, keep);
    memcpy(z->tail + keep, s->in, s->nin);
    z->ntail = keep + s->nin;
}

static void start_workers(struct pgzip *z)
{
    for (unsigned i = 0; i < z->nthreads; i++)
        if (pthread_create(&z->threads[z->started], NULL, worker, z) == 0)
            z->started++;
}

static int submit(struct pgzip *z, struct slot *s, bool last, kiln_error_t **err)
{
    memcpy(s->dict, z->tail, z->ntail);
    s->ndict = z->ntail;
    keep_tail(z, s);
    s->last = last;
    if (z->nthreads > 1 && !last && !z->started)
        start_workers(z);
    if (!z->started) { /* the same bytes, in this thread */
        s->rc = compress_block(z->level, s);
        s->state = SLOT_DONE;
    }
    pthread_mutex_lock(&z->mu);
    s->seq = z->next_seq++;
    if (z->started) {
        s->state = SLOT_READY;
        pthread_cond_signal(&z->work);
    }
    emit_ready(z);
    int rc = failed(z, err);
    pthread_mutex_unlock(&z->mu);
    return rc;
}

int pgzip_write(struct pgzip *z, const void *p, size_t n, kiln_error_t **err)
{
    const unsigned char *c = p;
    z->size += n;
    while (n) {
        struct slot *s;
        if (current_slot(z, &s, err) < 0)
            return -1;
        size_t take = PGZIP_BLOCK - s->nin < n ? PGZIP_BLOCK - s->nin : n;
        memcpy(s->in + s->nin, c, take);
        s->nin += take;
        c += take;
        n -= take;
        if (s->nin == PGZIP_BLOCK && submit(z, s, false, err) < 0)
            return -1;
    }
    return 0;
}

int pgzip_finish(struct pgzip *z, kiln_error_t **err)
{
    struct slot *s;
    if (current_slot(z, &s, err) < 0 || submit(z, s, true, err) < 0)
        return -1;
    pthread_mutex_lock(&z->mu);
    for (;;) {
        emit_ready(z);
        if (z->fail || (z->next_emit >= z->next_seq && !z->emitting))
            break;
        pthread_cond_wait(&z->done, &z->mu);
    }
    int rc = failed(z, err);
    pthread_mutex_unlock(&z->mu);
    if (rc < 0)
        return -1;
    unsigned char t[8];
    uint32_t crc = (uint32_t)z->crc, size = (uint32_t)z->size;
    for (int i = 0; i < 4; i++) {
        t[i] = (unsigned char)(crc >> (8 * i));
        t[4 + i] = (unsigned char)(size >> (8 * i));
    }
    return z->emit(z->ctx, t, sizeof(t), err);
}

void pgzip_free(struct pgzip *z)
{
    if (!z)
        return;
    pthread_mutex_lock(&z->mu);
    z->stop = true;
    pthread_cond_broadcast(&z->work);
    pthread_mutex_unlock(&z->mu);
    for (unsigned i = 0; i < z->started; i++)
        pthread_join(z->threads[i], NULL);
    for (size_t i = 0; i < z->nslots; i++) {
        free(z->slots[i].in);
        free(z->slots[i].dict);
        free(z->slots[i].out);
    }
    free(z->slots);
    kiln_error_free(z->fail);
    pthread_mutex_destroy(&z->mu);
    pthread_cond_destroy(&z->work);
    pthread_cond_destroy(&z->done);
    free(z);
}
