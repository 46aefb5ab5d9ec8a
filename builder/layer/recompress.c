#include <archive.h>
#include <string.h>
#include <unistd.h>

#include "recompress.h"
#include "util.h"

#define CHUNK (256 * 1024)

static void cleanup_archive_readp(struct archive **a)
{
    if (*a)
        archive_read_free(*a);
}

/* Copies the decompressed content of the blob open as fd into w. */
static int copy_raw(int fd, struct layer_writer *w, uint64_t max_bytes, kiln_error_t **err)
{
    __attribute__((cleanup(cleanup_archive_readp))) struct archive *a = archive_read_new();
    struct archive_entry *e;
    if (!a || archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
        archive_read_support_filter_zstd(a) != ARCHIVE_OK ||
        archive_read_support_format_raw(a) != ARCHIVE_OK ||
        archive_read_open_fd(a, fd, CHUNK) != ARCHIVE_OK ||
        archive_read_next_header(a, &e) != ARCHIVE_OK)
        return kiln_err(err, KILN_ECORRUPT, 0, "%s",
                        a && archive_error_string(a) ? archive_error_string(a) : "cannot read");
    cleanup_free char *buf = xmalloc(CHUNK);
    uint64_t total = 0;
    for (;;) {
        la_ssize_t n = archive_read_data(a, buf, CHUNK);
        if (n < 0)
            return kiln_err(err, KILN_ECORRUPT, 0, "%s",
                            archive_error_string(a) ? archive_error_string(a) : "bad data");
        if (n == 0)
            return 0;
        total += (uint64_t)n;
        if (max_bytes && total > max_bytes)
            return kiln_err(err, KILN_ELIMIT, 0,
                            "more than %llu bytes uncompressed (--max-layer-size)",
                            (unsigned long long)max_bytes);
        if (layer_writer_write_raw(w, buf, (size_t)n, err) < 0)
            return -1;
    }
}

int layer_recompress(struct store *s, const char *digest, const char *diff_id,
                     enum layer_compression comp, int level, uint64_t max_bytes,
                     struct layer_result *res, kiln_error_t **err)
{
    cleanup_close int fd = store_open_blob(s, digest, err);
    if (fd < 0)
        return -1;
    cleanup_layer_writer struct layer_writer *w = NULL;
    if (layer_writer_new_raw(s, comp, level, &w, err) < 0 || copy_raw(fd, w, max_bytes, err) < 0)
        return kiln_err_wrap(err, "layer %s", digest);
    if (layer_writer_finish(steal_ptr(w), res, err) < 0)
        return kiln_err_wrap(err, "layer %s", digest);
    if (strcmp(res->diff_id, diff_id) != 0) /* the blob is garbage for prune */
        return kiln_err(err, KILN_ECORRUPT, 0, "layer %s: its content has digest %s, not %s",
                        digest, res->diff_id, diff_id);
    return 0;
}
