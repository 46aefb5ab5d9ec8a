/* COPY/ADD: the cache key of a plan, and writing a plan into a layer. */
#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include <unistd.h>

#include "cache/hashindex.h"
#include "copy.h"
#include "owners.h"
#include "tar/handles.h"
#include "tar/tarname.h"
#include "snapshot/unpack.h"
#include "util.h"

#define ARCHIVE_MAX_ENTRIES 1000000u

int copy_plan_key(struct copy_job *j, struct cache_key *k, kiln_error_t **err)
{
    cache_key_addu(k, j->nplan);
    cache_key_addu(k, j->chown);
    for (size_t i = 0; i < j->nplan; i++) {
        const struct plan_entry *p = &j->plan[i];
        cache_key_addu(k, p->kind);
        cache_key_add(k, p->target);
        cache_key_add(k, p->link);
        cache_key_addu(k, p->perm);
        cache_key_addu(k, ((uint64_t)p->uid << 32) | p->gid);
        if (p->kind == PLAN_URL && copy_url_key(j, p, k, err) < 0)
            return -1;
        if (p->kind != PLAN_FILE && p->kind != PLAN_ARCHIVE)
            continue; /* an INLINE's content is its link field, already in the key */
        char d[DIGEST_STR_LEN + 1];
        if (!p->has_id || !hashindex_lookup(j->b->hashes, &p->id, d)) {
            cleanup_close int fd = view_open(j->src, p->src);
            if (fd < 0)
                return kiln_err_errno(err, KILN_EINPUT, "open '%s'", p->src);
            if (hashindex_file(j->b->hashes, fd, d, err) < 0)
                return kiln_err_wrap(err, "'%s'", p->src);
        }
        cache_key_add(k, d);
    }
    return 0;
}

static int write_file(struct copy_job *j, const struct plan_entry *p, kiln_error_t **err)
{
    cleanup_close int fd = view_open(j->src, p->src);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return kiln_err_errno(err, KILN_EINPUT, "open '%s'", p->src);
    struct layer_entry e = {.path = p->target + 1,
                            .mode = S_IFREG | p->perm,
                            .uid = p->uid,
                            .gid = p->gid,
                            .fd = fd,
                            .size = (uint64_t)st.st_size};
    return layer_writer_add(j->w, &e, err);
}

/* ---- ADD of a local archive ---- */

struct archive_reader {
    struct archive *a;
    uint64_t total;               /* content bytes the headers announced so far */
    uint64_t max_layer, max_file; /* the bounds of snapshot/unpack.h, as for a base layer */
};

/* A decompression bomb in an ADD archive is refused on its headers, before its content is
 * read: the layer writer reads exactly the size a header announces. */
static int archive_bounds(struct archive_reader *r, const char *name, la_int64_t size,
                          kiln_error_t **err)
{
    char lim[32];
    if (size < 0 || (uint64_t)size > r->max_file) {
        unpack_size_str(r->max_file, lim, sizeof(lim));
        return kiln_err(err, KILN_ELIMIT, 0,
                        "archive entry '%s': %lld bytes, over the limit of %s for one file "
                        "(--max-file-size)",
                        name, (long long)size, lim);
    }
    r->total += (uint64_t)size;
    if (r->total <= r->max_layer)
        return 0;
    unpack_size_str(r->max_layer, lim, sizeof(lim));
    return kiln_err(err, KILN_ELIMIT, 0,
                    "more than %s of uncompressed content (--max-layer-size), at entry '%s'", lim,
                    name);
}

static long archive_content(void *ctx, void *buf, size_t n)
{
    struct archive_reader *r = ctx;
    la_ssize_t got = archive_read_data(r->a, buf, n);
    return got < 0 ? -1 : (long)got;
}

/* The path of an archive entry under target: leading "/" and "./" dropped, ".." refused. */
static char *archive_target(const char *target, const char *name)
{
    cleanup_free char *clean = path_clean(name[0] == '/' ? name + 1 : name);
    if (!strcmp(clean, "..") || str_has_prefix(clean, "../"))
        return NULL;
    return !strcmp(clean, ".") ? xstrdup(target) : path_join(target, clean);
}

/* A parent of an archive entry that the layer has not written yet: as the image has it (a
 * directory; see copy_parents), or a new 0755 directory of root when the image has nothing. */
static int archive_parent(struct copy_job *j, const char *p, kiln_error_t **err)
{
    struct stat st;
    struct layer_entry e = {.path = p + 1, .mode = S_IFDIR | 0755, .fd = -1};
    if (view_lstat(j->dest, p, &st) == 0 && S_ISDIR(st.st_mode)) {
        e.mode = S_IFDIR | (st.st_mode & 07777);
        owners_in_container(j->b, &st, &e.uid, &e.gid);
    } else if (view_stat(j->dest, p, &st) == 0) {
        return 0;
    }
    strset_add(&j->emitted, p);
    return layer_writer_add(j->w, &e, err);
}

static int archive_parents(struct copy_job *j, const char *t, kiln_error_t **err)
{
    cleanup_free char *p = xstrdup(t);
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        if (!strset_has(&j->emitted, p) && archive_parent(j, p, err) < 0)
            return -1;
        *s = '/';
    }
    return 0;
}

static int archive_entry_fill(struct archive_entry *ae, struct layer_entry *e,
                              struct archive_reader *r, const char *target, char **hl,
                              kiln_error_t **err)
{
    mode_t type = archive_entry_filetype(ae), perm = archive_entry_perm(ae) & 07777;
    const char *name = archive_entry_pathname(ae);
    if (archive_entry_hardlink(ae)) {
        *hl = archive_target(target, archive_entry_hardlink(ae));
        if (!*hl)
            return kiln_err(err, KILN_EINPUT, 0, "archive entry '%s': unsafe link", name);
        e->hardlink = true;
        e->linkname = *hl + 1;
        e->mode = S_IFREG | perm;
    } else if (type == AE_IFREG) {
        if (archive_bounds(r, name, archive_entry_size(ae), err) < 0)
            return -1;
        e->mode = S_IFREG | perm;
        e->size = (uint64_t)archive_entry_size(ae);
        e->read = archive_content;
        e->read_ctx = r;
    } else if (type == AE_IFLNK) {
        e->mode = S_IFLNK | 0777;
        e->linkname = archive_entry_symlink(ae) ? archive_entry_symlink(ae) : "";
    } else if (type == AE_IFIFO || type == AE_IFDIR) {
        e->mode = type | perm;
    } else {
        return kiln_err(err, KILN_EINPUT, 0, "archive entry '%s': device files are not allowed",
                        name);
    }
    return 0;
}

static int archive_entry_add(struct copy_job *j, const struct plan_entry *p,
                             struct archive_reader *r, struct archive_entry *ae, kiln_error_t **err)
{
    const char *name = archive_entry_pathname(ae);
    cleanup_free char *t = name ? archive_target(p->target, name) : NULL;
    if (!t)
        return kiln_err(err, KILN_EINPUT, 0, "archive entry '%s': unsafe path", name ? name : "");
    if (!strcmp(t, "/") || archive_parents(j, t, err) < 0)
        return strcmp(t, "/") ? -1 : 0;
    struct layer_entry e = {.path = t + 1,
                            .fd = -1,
                            .uid = j->chown ? p->uid : (uint32_t)archive_entry_uid(ae),
                            .gid = j->chown ? p->gid : (uint32_t)archive_entry_gid(ae)};
    cleanup_free char *hl = NULL;
    if (archive_entry_fill(ae, &e, r, p->target, &hl, err) < 0)
        return -1;
    if (S_ISDIR(e.mode) && !strset_add(&j->emitted, t))
        return 0;
    return layer_writer_add(j->w, &e, err);
}

static int write_archive(struct copy_job *j, const struct plan_entry *p, kiln_error_t **err)
{
    cleanup_close int fd = view_open(j->src, p->src);
    if (fd < 0)
        return kiln_err_errno(err, KILN_EINPUT, "open '%s'", p->src);
    cleanup_archive_read struct archive *a = archive_read_new();
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_bzip2(a);
    archive_read_support_filter_xz(a);
    archive_read_support_format_tar(a);
    const struct kiln_build_opts *o = j->b->o;
    struct archive_reader r = {a, 0,
                               o->max_layer_size ? o->max_layer_size : UNPACK_DEFAULT_MAX_LAYER,
                               o->max_file_size ? o->max_file_size : UNPACK_DEFAULT_MAX_ENTRY};
    struct archive_entry *ae;
    int rc = 0, ar = archive_read_open_fd(a, fd, 64 * 1024);
    size_t count = 0;
    while (rc == 0 && ar == ARCHIVE_OK && (ar = tar_read_next(a, &ae)) == ARCHIVE_OK) {
        if (++count > ARCHIVE_MAX_ENTRIES)
            rc = kiln_err(err, KILN_ELIMIT, 0, "more than %u entries", ARCHIVE_MAX_ENTRIES);
        else
            rc = archive_entry_add(j, p, &r, ae, err);
    }
    if (rc == 0 && ar != ARCHIVE_EOF)
        rc = kiln_err(err, KILN_EINPUT, 0, "%s", archive_error_string(a));
    return rc < 0 ? kiln_err_wrap(err, "extract '%s'", p->src) : 0;
}

struct inline_reader {
    const char *p;
    size_t left;
};

static long inline_content(void *ctx, void *buf, size_t n)
{
    struct inline_reader *r = ctx;
    size_t k = n < r->left ? n : r->left;
    memcpy(buf, r->p, k);
    r->p += k;
    r->left -= k;
    return (long)k;
}

static int write_inline(struct copy_job *j, const struct plan_entry *p, kiln_error_t **err)
{
    struct inline_reader r = {p->link, strlen(p->link)};
    struct layer_entry e = {.path = p->target + 1,
                            .mode = S_IFREG | p->perm,
                            .uid = p->uid,
                            .gid = p->gid,
                            .fd = -1,
                            .size = r.left,
                            .read = inline_content,
                            .read_ctx = &r};
    return layer_writer_add(j->w, &e, err);
}

int copy_plan_write(struct copy_job *j, kiln_error_t **err)
{
    for (size_t i = 0; i < j->nplan; i++) {
        const struct plan_entry *p = &j->plan[i];
        struct layer_entry e = {
            .path = p->target + 1, .uid = p->uid, .gid = p->gid, .fd = -1, .linkname = p->link};
        int r;
        switch (p->kind) {
        case PLAN_FILE:
            r = write_file(j, p, err);
            break;
        case PLAN_ARCHIVE:
            r = write_archive(j, p, err);
            break;
        case PLAN_INLINE:
            r = write_inline(j, p, err);
            break;
        case PLAN_HARDLINK:
            e.mode = S_IFREG | p->perm;
            e.hardlink = true;
            e.linkname = p->link + 1;
            r = layer_writer_add(j->w, &e, err);
            break;
        case PLAN_URL:
            r = copy_url_write(j, p, err);
            break;
        default:
            e.mode = (p->kind == PLAN_DIR    ? S_IFDIR
                      : p->kind == PLAN_FIFO ? S_IFIFO
                                             : S_IFLNK) |
                     p->perm;
            r = layer_writer_add(j->w, &e, err);
            break;
        }
        if (r < 0)
            return -1;
    }
    return 0;
}
