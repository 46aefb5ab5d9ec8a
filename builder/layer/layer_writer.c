#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "layer_writer.h"
#include "tar/handles.h"
#include "tar/tarname.h"
#include "toc.h"
#include "pgzip.h"
#include "pzstd.h"
#include "scan/leakscan.h"
#include "util.h"

#define CHUNK (256 * 1024)

struct layer_writer {
    struct archive *a;
    struct blob_writer *blob;
    enum layer_compression comp;
    struct pgzip *gz;  /* LAYER_GZIP */
    struct pzstd *zst; /* LAYER_ZSTD */
    struct sha256 tar_hash;
    uint64_t tar_size;
    int64_t epoch;
    size_t nentries;
    kiln_error_t *cb_err; /* error raised inside a libarchive callback */
    char *iobuf;
    const struct leakscan *scan; /* layer_writer_scan */
    struct leakscan_entry *scanner;
    size_t index;
    struct layer_toc *toc; /* layer_writer_toc */
};

static int emit(void *ctx, const void *p, size_t n, kiln_error_t **err)
{
    struct layer_writer *w = ctx;
    return blob_writer_write(w->blob, p, n, err);
}

static la_ssize_t tar_write_cb(struct archive *a, void *ctx, const void *p, size_t n)
{
    (void)a;
    struct layer_writer *w = ctx;
    sha256_update(&w->tar_hash, p, n);
    w->tar_size += n;
    int r = w->comp == LAYER_GZIP   ? pgzip_write(w->gz, p, n, &w->cb_err)
            : w->comp == LAYER_ZSTD ? pzstd_write(w->zst, p, n, &w->cb_err)
                                    : emit(w, p, n, &w->cb_err);
    return r < 0 ? -1 : (la_ssize_t)n;
}

int layer_writer_new_raw(struct store *s, enum layer_compression comp, int level,
                         struct layer_writer **out, kiln_error_t **err)
{
    cleanup_layer_writer struct layer_writer *w = xcalloc(1, sizeof(*w));
    w->comp = comp;
    sha256_init(&w->tar_hash);
    if (store_blob_begin(s, &w->blob, err) < 0)
        return -1;
    /* parallel, and the same bytes whatever the number of cores (pgzip.h, pzstd.h) */
    if (comp == LAYER_GZIP && pgzip_new(level < 0 ? 6 : level, 0, emit, w, &w->gz, err) < 0)
        return -1;
    if (comp == LAYER_ZSTD && pzstd_new(level, 0, emit, w, &w->zst, err) < 0)
        return -1;
    *out = steal_ptr(w);
    return 0;
}

int layer_writer_write_raw(struct layer_writer *w, const void *p, size_t n, kiln_error_t **err)
{
    if (tar_write_cb(NULL, w, p, n) < 0) {
        kiln_error_free(*err);
        *err = steal_ptr(w->cb_err);
        return -1;
    }
    return 0;
}

int layer_writer_new(struct store *s, enum layer_compression comp, int level, int64_t epoch,
                     struct layer_writer **out, kiln_error_t **err)
{
    cleanup_layer_writer struct layer_writer *w = NULL;
    if (layer_writer_new_raw(s, comp, level, &w, err) < 0)
        return -1;
    w->epoch = epoch;
    w->iobuf = xmalloc(CHUNK);
    w->a = archive_write_new();
    if (!w->a || archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(w->a, 0) != ARCHIVE_OK ||
        archive_write_open2(w->a, w, NULL, tar_write_cb, NULL, NULL) != ARCHIVE_OK)
        return kiln_err(err, KILN_EINTERNAL, 0, "tar: cannot initialise");
    *out = steal_ptr(w);
    return 0;
}

void layer_writer_toc(struct layer_writer *w, struct layer_toc *t)
{
    w->toc = t;
}

void layer_writer_scan(struct layer_writer *w, const struct leakscan *ls, size_t index)
{
    if (!ls || leakscan_empty(ls))
        return;
    w->scan = ls;
    w->index = index;
    w->scanner = leakscan_entry_new(ls);
}

static int leak(struct layer_writer *w, const struct leakscan_hit *hit, kiln_error_t **err)
{
    cleanup_free char *where = xasprintf("layer %zu", w->index);
    return leakscan_hit_error(w->scan, hit, where, err);
}

/* The name, link target and xattrs of an entry, before anything of it is written. */
static int scan_fields(struct layer_writer *w, const struct layer_entry *e, kiln_error_t **err)
{
    struct leakscan_hit *hit = xmalloc(sizeof(*hit));
    int found = leakscan_entry_field(w->scanner, e->path, e->path, strlen(e->path), hit) ||
                (e->linkname &&
                 leakscan_entry_field(w->scanner, e->path, e->linkname, strlen(e->linkname), hit));
    for (size_t i = 0; !found && i < e->nxattrs; i++)
        found =
            leakscan_entry_field(w->scanner, e->path, e->xattrs[i].name, strlen(e->xattrs[i].name),
                                 hit) ||
            leakscan_entry_field(w->scanner, e->path, e->xattrs[i].value, e->xattrs[i].size, hit);
    int rc = found ? leak(w, hit, err) : 0;
    free(hit);
    return rc;
}

static int scan_content(struct layer_writer *w, const struct layer_entry *e, const void *p,
                        size_t n, kiln_error_t **err)
{
    struct leakscan_hit *hit = xmalloc(sizeof(*hit));
    int rc = leakscan_entry_content(w->scanner, e->path, p, n, hit) ? leak(w, hit, err) : 0;
    free(hit);
    return rc;
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

enum layer_compression layer_compression_of(enum kiln_compression c)
{
    return c == KILN_COMPRESSION_ZSTD           ? LAYER_ZSTD
           : c == KILN_COMPRESSION_UNCOMPRESSED ? LAYER_UNCOMPRESSED
                                                : LAYER_GZIP;
}

const char *layer_media_type(enum layer_compression c)
{
    return c == LAYER_ZSTD   ? MEDIA_TYPE_LAYER_ZSTD
           : c == LAYER_GZIP ? MEDIA_TYPE_LAYER_GZIP
                             : MEDIA_TYPE_LAYER_TAR;
}

int64_t layer_entry_mtime(const struct layer_entry *e, int64_t epoch)
{
    return e->has_mtime && e->mtime < epoch ? e->mtime : epoch;
}

static void fill_entry(struct archive_entry *ae, const struct layer_entry *e, int64_t epoch)
{
    archive_entry_set_pathname(ae, e->path);
    archive_entry_set_mode(ae, e->mode);
    archive_entry_set_uid(ae, e->uid);
    archive_entry_set_gid(ae, e->gid);
    archive_entry_set_mtime(ae, layer_entry_mtime(e, epoch), 0);
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
        if (w->scanner && scan_content(w, e, w->iobuf, (size_t)n, err) < 0)
            return -1;
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
    if (w->scanner && scan_fields(w, e, err) < 0)
        return -1;
    if (tarname_whiteout(e->path, e->whiteout))
        return kiln_err(err, KILN_EINPUT, 0,
                        "'/%s': a name starting with '.wh.' is a whiteout in an OCI layer, it "
                        "would delete a file for whoever unpacks the image: rename it",
                        e->path);
    if (w->scanner)
        leakscan_entry_content_begin(w->scanner);
    cleanup_archive_entry struct archive_entry *ae = archive_entry_new();
    fill_entry(ae, e, w->epoch);
    if (tar_write_header(w->a, ae) != ARCHIVE_OK)
        return archive_fail(w, "add", e->path, err);
    if (S_ISREG(e->mode) && !e->hardlink && stream_content(w, e, err) < 0)
        return -1;
    if (archive_write_finish_entry(w->a) != ARCHIVE_OK)
        return archive_fail(w, "finish", e->path, err);
    if (w->toc)
        toc_add(w->toc, e, layer_entry_mtime(e, w->epoch));
    w->nentries++;
    return 0;
}

int layer_writer_finish(struct layer_writer *w, struct layer_result *res, kiln_error_t **err)
{
    cleanup_layer_writer struct layer_writer *ww = w;
    if (w->a && archive_write_close(w->a) != ARCHIVE_OK)
        return archive_fail(w, "close", "tar", err);
    if (w->comp == LAYER_GZIP && pgzip_finish(w->gz, err) < 0)
        return kiln_err_wrap(err, "layer");
    if (w->comp == LAYER_ZSTD && pzstd_finish(w->zst, err) < 0)
        return kiln_err_wrap(err, "layer");
    memset(res, 0, sizeof(*res));
    sha256_final(&w->tar_hash, res->diff_id);
    res->tar_size = w->tar_size;
    res->nentries = w->nentries;
    res->media_type = layer_media_type(w->comp);
    return blob_writer_commit(steal_ptr(w->blob), res->digest, &res->size, err);
}

void layer_writer_free(struct layer_writer *w)
{
    if (!w)
        return;
    if (w->a)
        archive_write_free(w->a); /* may write a trailer into the blob that is discarded below */
    pgzip_free(w->gz);
    pzstd_free(w->zst);
    leakscan_entry_free(w->scanner);
    sha256_release(&w->tar_hash);
    blob_writer_abort(w->blob);
    kiln_error_free(w->cb_err);
    free(w->iobuf);
    free(w);
}
