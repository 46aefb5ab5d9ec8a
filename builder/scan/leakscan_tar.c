/* Scanning a layer blob (tar, any compression libarchive reads) entry by entry. */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <string.h>

#include "leakscan.h"
#include "tar/handles.h"
#include "tar/tarname.h"
#include "util.h"

#define LEAKSCAN_MAX_ENTRIES 1000000u
#define LEAKSCAN_BLOCK       (128u * 1024)

struct tar_scan {
    struct archive *a;
    struct leakscan_stream *s;
    struct leakscan_hit *hit;
};

/* Scans one field of an entry on its own; 1 on a hit. */
static int field(struct tar_scan *t, struct archive_entry *ae, const void *p, size_t n)
{
    if (!p || !n)
        return 0;
    leakscan_stream_reset(t->s);
    int found = leakscan_feed(t->s, p, n);
    if (found < 0)
        return 0;
    t->hit->secret = found;
    const char *path = archive_entry_pathname(ae);
    snprintf(t->hit->path, sizeof(t->hit->path), "%s", path ? path : "?");
    return 1;
}

static int scan_names(struct tar_scan *t, struct archive_entry *ae)
{
    const char *name = archive_entry_pathname(ae);
    const char *hard = archive_entry_hardlink(ae);
    const char *sym = archive_entry_symlink(ae);
    if (field(t, ae, name, name ? strlen(name) : 0) ||
        field(t, ae, hard, hard ? strlen(hard) : 0) || field(t, ae, sym, sym ? strlen(sym) : 0))
        return 1;
    const char *xname;
    const void *value;
    size_t size;
    archive_entry_xattr_reset(ae);
    while (archive_entry_xattr_next(ae, &xname, &value, &size) == ARCHIVE_OK)
        if (field(t, ae, xname, strlen(xname)) || field(t, ae, value, size))
            return 1;
    return 0;
}

/* The content of the entry as one stream; 1 on a hit, -1 on a read error. */
static int scan_data(struct tar_scan *t, struct archive_entry *ae, kiln_error_t **err)
{
    leakscan_stream_reset(t->s);
    const void *buf;
    size_t size;
    la_int64_t offset;
    int r;
    while ((r = archive_read_data_block(t->a, &buf, &size, &offset)) == ARCHIVE_OK) {
        int found = leakscan_feed(t->s, buf, size);
        if (found >= 0) {
            t->hit->secret = found;
            snprintf(t->hit->path, sizeof(t->hit->path), "%s", archive_entry_pathname(ae));
            return 1;
        }
    }
    if (r != ARCHIVE_EOF)
        return kiln_err(err, KILN_ECORRUPT, 0, "layer: %s",
                        archive_error_string(t->a) ? archive_error_string(t->a) : "bad data");
    return 0;
}

static int scan_entries(struct tar_scan *t, kiln_error_t **err)
{
    struct archive_entry *ae;
    size_t count = 0;
    int r;
    while ((r = tar_read_next(t->a, &ae)) == ARCHIVE_OK) {
        if (++count > LEAKSCAN_MAX_ENTRIES)
            return kiln_err(err, KILN_ELIMIT, 0, "layer has more than %u entries",
                            LEAKSCAN_MAX_ENTRIES);
        int rc = scan_names(t, ae);
        if (rc == 0)
            rc = scan_data(t, ae, err);
        if (rc != 0)
            return rc;
    }
    if (r != ARCHIVE_EOF)
        return kiln_err(err, KILN_ECORRUPT, 0, "layer: %s",
                        archive_error_string(t->a) ? archive_error_string(t->a) : "bad tar");
    return 0;
}

int leakscan_tar_fd(const struct leakscan *ls, int fd, struct leakscan_hit *hit, kiln_error_t **err)
{
    if (leakscan_empty(ls))
        return 0;
    cleanup_archive_read struct archive *a = archive_read_new();
    struct tar_scan t = {a, leakscan_stream_new(ls), hit};
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    int rc;
    if (archive_read_open_fd(a, fd, LEAKSCAN_BLOCK) != ARCHIVE_OK)
        rc = kiln_err(err, KILN_ECORRUPT, 0, "layer: %s",
                      archive_error_string(a) ? archive_error_string(a) : "not a tar");
    else
        rc = scan_entries(&t, err);
    leakscan_stream_free(t.s);
    return rc;
}
