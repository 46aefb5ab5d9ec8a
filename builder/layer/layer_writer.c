#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "layer_writer.h"
#include "util.h"

#define CHUNK (256 * 1024)

struct layer_writer {
    struct archive *a;
    unsigned char *zin; /* the tar stream, cut into fixed chunks before compression */
    size_t nzin;
    int level, cur_level;
    struct blob_writer *blob;
    enum layer_compression comp;
    z_stream z;
    bool z_ready;
    struct sha256 tar_hash;
    uint64_t tar_size;
    int64_t epoch;
    size_t nentries;
    kiln_error_t *cb_err; /* error raised inside a libarchive callback */
    unsigned char *zout;
    char *iobuf;
};

static int emit(struct layer_writer *w, const void *p, size_t n)
{
    return blob_writer_write(w->blob, p, n, &w->cb_err);
}

/* Shannon entropy (bits per byte) of a sample of the chunk. */
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

/* Incompressible chunks (already compressed or random data) are stored, not deflated: deflate
 * would spend ~100x the time to save nothing. The choice depends only on the content, so the
 * output stays reproducible. */
static int choose_level(struct layer_writer *w, const unsigned char *p, size_t n)
{
    if (n < 4096 || w->level == 0)
        return w->level;
    return sample_entropy(p, n) > 7.8 ? 0 : w->level;
}

static int set_level(struct layer_writer *w, int level)
{
    if (level == w->cur_level)
        return 0;
    int r;
    do {
        w->z.next_out = w->zout;
        w->z.avail_out = CHUNK;
        r = deflateParams(&w->z, level, Z_DEFAULT_STRATEGY);
        size_t have = CHUNK - w->z.avail_out;
        if (have && emit(w, w->zout, have) < 0)
            return -1;
    } while (r == Z_BUF_ERROR);
    if (r != Z_OK)
        return kiln_err(&w->cb_err, KILN_EINTERNAL, 0, "gzip: cannot change level");
    w->cur_level = level;
    return 0;
}

static int deflate_chunk(struct layer_writer *w, const void *p, size_t n, int flush)
{
    if (n && set_level(w, choose_level(w, p, n)) < 0)
        return -1;
    w->z.next_in = (Bytef *)p;
    w->z.avail_in = (uInt)n;
    do {
        w->z.next_out = w->zout;
        w->z.avail_out = CHUNK;
        int r = deflate(&w->z, flush);
        if (r == Z_STREAM_ERROR)
            return kiln_err(&w->cb_err, KILN_EINTERNAL, 0, "gzip: stream error");
        size_t have = CHUNK - w->z.avail_out;
        if (have && emit(w, w->zout, have) < 0)
            return -1;
    } while (w->z.avail_out == 0);
    return 0;
}

/* Buffers the tar stream into fixed CHUNK-sized pieces, so compression decisions do not
 * depend on how libarchive happens to split its writes. */
static int gzip_feed(struct layer_writer *w, const unsigned char *p, size_t n)
{
    while (n) {
        size_t take = CHUNK - w->nzin < n ? CHUNK - w->nzin : n;
        memcpy(w->zin + w->nzin, p, take);
        w->nzin += take;
        p += take;
        n -= take;
        if (w->nzin == CHUNK) {
            if (deflate_chunk(w, w->zin, CHUNK, Z_NO_FLUSH) < 0)
                return -1;
            w->nzin = 0;
        }
    }
    return 0;
}

static la_ssize_t tar_write_cb(struct archive *a, void *ctx, const void *p, size_t n)
{
    (void)a;
    struct layer_writer *w = ctx;
    sha256_update(&w->tar_hash, p, n);
    w->tar_size += n;
    int r = w->comp == LAYER_GZIP ? gzip_feed(w, p, n) : emit(w, p, n);
    return r < 0 ? -1 : (la_ssize_t)n;
}

int layer_writer_new(struct store *s, enum layer_compression comp, int level, int64_t epoch,
                     struct layer_writer **out, kiln_error_t **err)
{
    cleanup_layer_writer struct layer_writer *w = xcalloc(1, sizeof(*w));
    w->comp = comp;
    w->epoch = epoch;
    sha256_init(&w->tar_hash);
    if (store_blob_begin(s, &w->blob, err) < 0)
        return -1;
    if (comp == LAYER_GZIP) {
        w->zout = xmalloc(CHUNK);
        w->zin = xmalloc(CHUNK);
        w->level = w->cur_level = level < 0 ? 6 : level;
        /* windowBits 16+15: a gzip wrapper whose header has no name and mtime 0 */
        if (deflateInit2(&w->z, w->level, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return kiln_err(err, KILN_EINTERNAL, 0, "gzip: cannot initialise");
        w->z_ready = true;
    }
    w->iobuf = xmalloc(CHUNK);
    w->a = archive_write_new();
    if (!w->a || archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(w->a, 0) != ARCHIVE_OK ||
        archive_write_open2(w->a, w, NULL, tar_write_cb, NULL, NULL) != ARCHIVE_OK)
        return kiln_err(err, KILN_EINTERNAL, 0, "tar: cannot initialise");
    *out = steal_ptr(w);
    return 0;
}

static int archive_fail(struct layer_writer *w, const char *what, const char *path,
                        kiln_error_t **err)
{
    if (w->cb_err) {
        kiln_error_free(*err);
        *err = steal_ptr(w->cb_err);
        return kiln_err_wrap(err, "layer: %s '%s'", what, path);
    }
    return kiln_err(err, KILN_EIO, 0, "layer: %s '%s': %s", what, path,
                    archive_error_string(w->a) ? archive_error_string(w->a) : "tar error");
}

static void fill_entry(struct archive_entry *ae, const struct layer_entry *e, int64_t epoch)
{
    archive_entry_set_pathname(ae, e->path);
    archive_entry_set_mode(ae, e->mode);
    archive_entry_set_uid(ae, e->uid);
    archive_entry_set_gid(ae, e->gid);
    /* an entry's own time is clamped to the epoch, never raised (BuildKit's rewrite-timestamp) */
    archive_entry_set_mtime(ae, e->has_mtime && e->mtime < epoch ? e->mtime : epoch, 0);
    if (e->hardlink) {
        archive_entry_set_hardlink(ae, e->linkname);
        archive_entry_set_size(ae, 0);
    } else if (S_ISLNK(e->mode)) {
        archive_entry_set_symlink(ae, e->linkname);
    } else if (S_ISREG(e->mode)) {
        archive_entry_set_size(ae, (la_int64_t)e->size);
    } else if (S_ISCHR(e->mode) || S_ISBLK(e->mode)) {
        archive_entry_set_rdev(ae, e->rdev);
    }
    for (size_t i = 0; i < e->nxattrs; i++)
        archive_entry_xattr_add_entry(ae, e->xattrs[i].name, e->xattrs[i].value, e->xattrs[i].size);
}

static int stream_content(struct layer_writer *w, const struct layer_entry *e, kiln_error_t **err)
{
    uint64_t left = e->size;
    while (left) {
        size_t want = left < CHUNK ? (size_t)left : CHUNK;
        ssize_t n = e->fd >= 0 ? read(e->fd, w->iobuf, want) : e->read(e->read_ctx, w->iobuf, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return kiln_err_errno(err, KILN_EIO, "layer: read '%s'", e->path);
        if (n == 0)
            return kiln_err(err, KILN_EIO, 0, "layer: '%s' shrank while it was read", e->path);
        if (archive_write_data(w->a, w->iobuf, (size_t)n) != n)
            return archive_fail(w, "write", e->path, err);
        left -= (uint64_t)n;
    }
    return 0;
}

int layer_writer_add(struct layer_writer *w, const struct layer_entry *e, kiln_error_t **err)
{
    if (!e->path[0] || e->path[0] == '/' || strlen(e->path) > LAYER_MAX_PATH)
        return kiln_err(err, KILN_EINTERNAL, 0, "layer: bad entry path '%s'", e->path);
    struct archive_entry *ae = archive_entry_new();
    fill_entry(ae, e, w->epoch);
    int r = archive_write_header(w->a, ae);
    archive_entry_free(ae);
    if (r != ARCHIVE_OK)
        return archive_fail(w, "add", e->path, err);
    if (S_ISREG(e->mode) && !e->hardlink && stream_content(w, e, err) < 0)
        return -1;
    if (archive_write_finish_entry(w->a) != ARCHIVE_OK)
        return archive_fail(w, "finish", e->path, err);
    w->nentries++;
    return 0;
}

int layer_writer_finish(struct layer_writer *w, struct layer_result *res, kiln_error_t **err)
{
    cleanup_layer_writer struct layer_writer *ww = w;
    if (archive_write_close(w->a) != ARCHIVE_OK)
        return archive_fail(w, "close", "tar", err);
    if (w->comp == LAYER_GZIP && deflate_chunk(w, w->zin, w->nzin, Z_FINISH) < 0) {
        *err = steal_ptr(w->cb_err);
        return kiln_err_wrap(err, "layer");
    }
    memset(res, 0, sizeof(*res));
    sha256_final(&w->tar_hash, res->diff_id);
    res->tar_size = w->tar_size;
    res->nentries = w->nentries;
    res->media_type = w->comp == LAYER_GZIP ? MEDIA_TYPE_LAYER_GZIP : MEDIA_TYPE_LAYER_TAR;
    return blob_writer_commit(steal_ptr(w->blob), res->digest, &res->size, err);
}

void layer_writer_free(struct layer_writer *w)
{
    if (!w)
        return;
    if (w->a)
        archive_write_free(w->a); /* may write a trailer into the blob that is discarded below */
    if (w->z_ready)
        deflateEnd(&w->z);
    sha256_release(&w->tar_hash);
    blob_writer_abort(w->blob);
    kiln_error_free(w->cb_err);
    free(w->zout);
    free(w->zin);
    free(w->iobuf);
    free(w);
}
