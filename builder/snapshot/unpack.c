#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "fsutil.h"
#include "layer/layer_writer.h"
#include "tar/handles.h"
#include "tar/tarname.h"
#include "sandbox/idmap.h"
#include "snapshot/snapshotter.h"
#include "snapshot/fcaps.h"
#include "unpack.h"
#include "util.h"

#define IN_CHUNK  (128 * 1024)
#define OUT_CHUNK (256 * 1024)

/* The decompressing, hashing source that feeds libarchive a plain tar stream. */
struct source {
    int fd;
    bool gzip, zstd;
    z_stream z;
    bool z_ready, z_end;
    ZSTD_DStream *zd;
    ZSTD_inBuffer zin;
    bool zd_frame_end; /* the last call ended a frame: the input may end here */
    unsigned char *in, *out;
    struct sha256 h;
    int err_no;
    bool bad_data;
    uint64_t total, max; /* uncompressed bytes so far, and the bound */
    bool over;           /* the bound was passed */
};

/* Counts n more uncompressed bytes; false (and over) past the bound. */
static bool source_count(struct source *s, size_t n)
{
    s->total += n;
    if (s->total > s->max)
        s->over = true;
    return !s->over;
}

static ssize_t source_read_raw(struct source *s, unsigned char *buf, size_t n)
{
    for (;;) {
        ssize_t r = read(s->fd, buf, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            s->err_no = errno;
        return r;
    }
}

/* After one gzip member: another may follow (concatenated members are valid gzip). */
static int source_member_end(struct source *s)
{
    if (s->z.avail_in == 0) {
        ssize_t r = source_read_raw(s, s->in, IN_CHUNK);
        if (r < 0)
            return -1;
        if (r == 0) {
            s->z_end = true;
            return 0;
        }
        s->z.next_in = s->in;
        s->z.avail_in = (uInt)r;
    }
    inflateReset(&s->z);
    return 0;
}

static ssize_t source_next_zstd(struct source *s)
{
    for (;;) {
        if (s->zin.pos == s->zin.size) {
            ssize_t r = source_read_raw(s, s->in, IN_CHUNK);
            if (r < 0)
                return -1;
            if (r == 0) /* a frame cut short is a damaged layer */
                return s->zd_frame_end ? 0 : (s->bad_data = true, -1);
            s->zin = (ZSTD_inBuffer){s->in, (size_t)r, 0};
        }
        ZSTD_outBuffer o = {s->out, OUT_CHUNK, 0};
        size_t zr = ZSTD_decompressStream(s->zd, &o, &s->zin);
        if (ZSTD_isError(zr))
            return s->bad_data = true, -1;
        s->zd_frame_end = zr == 0;
        if (o.pos && !source_count(s, o.pos))
            return -1;
        if (o.pos) {
            sha256_update(&s->h, s->out, o.pos);
            return (ssize_t)o.pos;
        }
    }
}

static ssize_t source_next(struct source *s)
{
    if (s->zstd)
        return source_next_zstd(s);
    if (!s->gzip) {
        ssize_t r = source_read_raw(s, s->out, OUT_CHUNK);
        if (r > 0 && !source_count(s, (size_t)r))
            return -1;
        if (r > 0)
            sha256_update(&s->h, s->out, (size_t)r);
        return r;
    }
    while (!s->z_end) {
        if (s->z.avail_in == 0) {
            ssize_t r = source_read_raw(s, s->in, IN_CHUNK);
            if (r < 0)
                return -1;
            if (r == 0)
                return s->bad_data = true, -1; /* truncated gzip stream */
            s->z.next_in = s->in;
            s->z.avail_in = (uInt)r;
        }
        s->z.next_out = s->out;
        s->z.avail_out = OUT_CHUNK;
        int zr = inflate(&s->z, Z_NO_FLUSH);
        if (zr == Z_STREAM_END && source_member_end(s) < 0)
            return -1;
        if (zr == Z_STREAM_END) {
        } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
            return s->bad_data = true, -1;
        }
        size_t have = OUT_CHUNK - s->z.avail_out;
        if (have && !source_count(s, have))
            return -1;
        if (have) {
            sha256_update(&s->h, s->out, have);
            return (ssize_t)have;
        }
    }
    return 0;
}

static la_ssize_t source_cb(struct archive *a, void *ctx, const void **buf)
{
    (void)a;
    struct source *s = ctx;
    ssize_t n = source_next(s);
    *buf = s->out;
    return n < 0 ? ARCHIVE_FATAL : (la_ssize_t)n;
}

static int source_init(struct source *s, int fd, const char *media_type, uint64_t max,
                       kiln_error_t **err)
{
    memset(s, 0, sizeof(*s));
    s->fd = fd;
    s->max = max;
    s->zstd = str_has_suffix(media_type, "+zstd") || str_has_suffix(media_type, ".zstd");
    s->gzip = str_has_suffix(media_type, "gzip");
    s->out = xmalloc(OUT_CHUNK);
    if (s->zstd) {
        s->in = xmalloc(IN_CHUNK);
        /* the window a frame may ask for is bounded (zstd's default limit, 128 MiB) */
        if (!(s->zd = ZSTD_createDStream()))
            return kiln_err(err, KILN_EINTERNAL, 0, "zstd: cannot initialise");
    }
    if (s->gzip) {
        s->in = xmalloc(IN_CHUNK);
        if (inflateInit2(&s->z, 16 + 15) != Z_OK)
            return kiln_err(err, KILN_EINTERNAL, 0, "gzip: cannot initialise");
        s->z_ready = true;
    }
    sha256_init(&s->h);
    return 0;
}

static void source_release(struct source *s)
{
    if (s->z_ready)
        inflateEnd(&s->z);
    ZSTD_freeDStream(s->zd);
    free(s->in);
    free(s->out);
    sha256_release(&s->h);
}

/* ---- extraction ---- */

/* One unpack: where it goes, how owners shift, what it may write, what it left out. */
struct unpacker {
    struct archive *a;
    int root;
    const struct idshift *shift;
    uint64_t max_entry;
    struct unpack_report *report;
};

static int check_path(const char *p)
{
    if (!*p || p[0] == '/' || strlen(p) > UNPACK_MAX_PATH)
        return -1;
    for (const char *c = p; *c;) {
        size_t n = strcspn(c, "/");
        if (n == 2 && c[0] == '.' && c[1] == '.')
            return -1;
        c += n;
        while (*c == '/')
            c++;
    }
    return 0;
}

/* A directory the layer needs but does not list: 0755, owned by container root. */
static int make_implied_dir(int pfd, const char *name, const struct idshift *shift)
{
    if (mkdirat(pfd, name, 0755) < 0)
        return errno == EEXIST ? 0 : -1;
    if (!shift || !shift->uid)
        return 0; /* in the user namespace (or unshifted) kiln already is container root */
    return fchownat(pfd, name, shift->uid, shift->gid, AT_SYMLINK_NOFOLLOW);
}

/* Opens (creating missing components, see make_implied_dir) the parent directory of path,
 * refusing symlinks anywhere on the way. */
static int open_parent(int root, const char *path, const char **name, const struct idshift *shift)
{
    cleanup_free char *p = xstrdup(path);
    char *slash = strrchr(p, '/');
    *name = slash ? path + (slash - p) + 1 : path;
    if (!slash)
        return fcntl(root, F_DUPFD_CLOEXEC, 0);
    *slash = '\0';
    int fd = openat2_retry(root, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0,
                           RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    cleanup_free char *parent = xstrdup(p);
    const char *base;
    cleanup_close int pfd = open_parent(root, parent, &base, shift);
    if (pfd < 0)
        return -1;
    if (make_implied_dir(pfd, base, shift) < 0)
        return -1;
    return openat(pfd, base, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
}

static int clear_target(int pfd, const char *name, bool want_dir)
{
    struct stat st;
    if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return 0;
    if (want_dir && S_ISDIR(st.st_mode))
        return 0;
    if (S_ISDIR(st.st_mode)) {
        kiln_error_t *e = NULL;
        int r = rm_rf_at(pfd, name, &e);
        kiln_error_free(e);
        return r;
    }
    return unlinkat(pfd, name, 0);
}

/* A capability value rewritten for the map (fcaps.h); one that does not fit is dropped. */
static int set_caps(int fd, const void *value, size_t size, const struct idshift *shift)
{
    unsigned char v[FCAPS_MAX];
    size_t n = fcaps_to_disk(value, size, shift, v);
    if (!n)
        return 0;
    if (fsetxattr(fd, "security.capability", v, n, 0) == 0)
        return 0;
    /* in a user namespace the kernel refuses a root uid it cannot map: dropped as well */
    return errno == EINVAL || errno == EOVERFLOW ? 0 : -1;
}

static int set_xattrs(int fd, struct archive_entry *ae, const struct idshift *shift)
{
    const char *name;
    const void *value;
    size_t size;
    archive_entry_xattr_reset(ae);
    while (archive_entry_xattr_next(ae, &name, &value, &size) == ARCHIVE_OK) {
        if (size > UNPACK_MAX_XATTR)
            return errno = E2BIG, -1;
        /* only file capabilities and user attributes are kept; never overlay's own */
        if (strcmp(name, "security.capability") != 0 && !str_has_prefix(name, "user."))
            continue;
        if (str_has_prefix(name, "user.overlay."))
            continue;
        int r = strcmp(name, "security.capability") == 0 ? set_caps(fd, value, size, shift)
                                                         : fsetxattr(fd, name, value, size, 0);
        if (r < 0 && errno != ENOTSUP)
            return -1;
    }
    return 0;
}

/* Owner of an entry on disk: the container ids of the tar, shifted into kiln's view. */
static int entry_owner(struct archive_entry *ae, const struct idshift *shift, uid_t *u, gid_t *g)
{
    la_int64_t uid = archive_entry_uid(ae), gid = archive_entry_gid(ae);
    if (uid < 0 || gid < 0 || uid > UINT32_MAX || gid > UINT32_MAX)
        return errno = EOVERFLOW, -1;
    if (shift && (uid >= shift->count || gid >= shift->count))
        return errno = EOVERFLOW, -1;
    *u = (uid_t)uid + (shift ? shift->uid : 0);
    *g = (gid_t)gid + (shift ? shift->gid : 0);
    return 0;
}

static int apply_meta(int pfd, const char *name, struct archive_entry *ae, bool symlink,
                      const struct idshift *shift)
{
    uid_t u;
    gid_t g;
    if (entry_owner(ae, shift, &u, &g) < 0)
        return -1;
    /* in a user namespace with a single id, other owners do not exist: they stay root's */
    if (fchownat(pfd, name, u, g, AT_SYMLINK_NOFOLLOW) < 0 &&
        !(errno == EINVAL && shift && !shift->uid))
        return -1;
    struct timespec ts[2] = {{archive_entry_mtime(ae), archive_entry_mtime_nsec(ae)},
                             {archive_entry_mtime(ae), archive_entry_mtime_nsec(ae)}};
    if (symlink)
        return utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW);
    cleanup_close int fd = openat(pfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -1;
    /* chmod after chown: chown clears setuid bits */
    if (fchmod(fd, archive_entry_perm(ae) & 07777) < 0 || set_xattrs(fd, ae, shift) < 0)
        return -1;
    return futimens(fd, ts);
}

static int write_data(struct archive *a, int fd, int64_t size)
{
    const void *buf;
    size_t n;
    la_int64_t off;
    int r;
    while ((r = archive_read_data_block(a, &buf, &n, &off)) == ARCHIVE_OK) {
        if (off < 0 || off > size || (int64_t)n > size - off)
            return errno = EIO, -1;
        if (lseek(fd, off, SEEK_SET) < 0 || write_all(fd, buf, n) < 0)
            return -1;
    }
    if (r != ARCHIVE_EOF)
        return errno = EIO, -1;
    return ftruncate(fd, size); /* a sparse tail */
}

/* A whiteout: ".wh..wh..opq" marks its directory opaque, ".wh.NAME" deletes NAME below. */
static int make_whiteout(int pfd, const char *name)
{
    if (strcmp(name, ".wh..wh..opq") == 0) {
        /* steps mount overlay with userxattr (it runs in a user namespace); trusted.* is kept
         * for readers of older snapshots and only where kiln may set it */
        if (fsetxattr(pfd, "trusted.overlay.opaque", "y", 1, 0) < 0 && errno != EPERM)
            return -1;
        return fsetxattr(pfd, "user.overlay.opaque", "y", 1, 0);
    }
    if (str_has_prefix(name, ".wh..wh."))
        return 0; /* other aufs meta files (.wh..wh..plnk): nothing to apply */
    const char *target = name + 4;
    if (!*target || !strcmp(target, ".") || !strcmp(target, ".."))
        return errno = EPERM, -1; /* a hostile whiteout */
    if (clear_target(pfd, target, false) < 0)
        return -1;
    return mknodat(pfd, target, S_IFCHR | 0, makedev(0, 0));
}

static int make_hardlink(int root, int pfd, const char *name, const char *target)
{
    if (check_path(target) < 0)
        return errno = EXDEV, -1;
    cleanup_close int tfd =
        openat2_retry(root, target, O_PATH | O_NOFOLLOW, 0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
    if (tfd < 0)
        return -1;
    struct stat st;
    if (fstat(tfd, &st) < 0 || S_ISDIR(st.st_mode))
        return errno = EPERM, -1;
    if (clear_target(pfd, name, false) < 0)
        return -1;
    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", tfd);
    return linkat(AT_FDCWD, proc, pfd, name, AT_SYMLINK_FOLLOW);
}

/* A device node or socket: never created on the host. The layer's own earlier entry of that
 * name goes, so the snapshot does not show stale content under it. */
static int skip_device(struct unpacker *u, int pfd, const char *name, const char *path)
{
    if (clear_target(pfd, name, false) < 0)
        return -1;
    if (u->report && u->report->devices++ == 0)
        snprintf(u->report->first_dev, sizeof(u->report->first_dev), "%s", path);
    return 0;
}

static int make_entry(struct unpacker *u, struct archive_entry *ae, int pfd, const char *name,
                      const char *path)
{
    mode_t type = archive_entry_filetype(ae);
    const char *hl = archive_entry_hardlink(ae);
    if (hl)
        return make_hardlink(u->root, pfd, name, hl);
    if (type != AE_IFDIR && type != AE_IFREG && type != AE_IFLNK && type != AE_IFIFO)
        return skip_device(u, pfd, name, path);
    if (clear_target(pfd, name, type == AE_IFDIR) < 0)
        return -1;
    switch (type) {
    case AE_IFDIR:
        if (mkdirat(pfd, name, 0700) < 0 && errno != EEXIST)
            return -1;
        break;
    case AE_IFREG: {
        cleanup_close int fd =
            openat(pfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 || write_data(u->a, fd, archive_entry_size(ae)) < 0)
            return -1;
        break;
    }
    case AE_IFLNK:
        if (symlinkat(archive_entry_symlink(ae) ? archive_entry_symlink(ae) : "", pfd, name) < 0)
            return -1;
        return apply_meta(pfd, name, ae, true, u->shift);
    default: /* AE_IFIFO */
        if (mknodat(pfd, name, S_IFIFO | 0600, 0) < 0)
            return -1;
        break;
    }
    return apply_meta(pfd, name, ae, false, u->shift);
}

static int entry_error(const char *raw, kiln_error_t **err)
{
    int e = errno;
    enum kiln_code code = e == EPERM || e == EXDEV || e == ELOOP ? KILN_ECORRUPT
                          : e == EOVERFLOW                       ? KILN_EUNSUPPORTED
                                                                 : KILN_EIO;
    return kiln_err(err, code, e, "layer entry '%s'%s", raw,
                    e == EOVERFLOW ? ": owner outside the mapped id range" : "");
}

/* An entry whose header announces more content than one file may have: refused before a byte
 * of it is written. */
static int check_entry_size(struct unpacker *u, struct archive_entry *ae, const char *raw,
                            kiln_error_t **err)
{
    la_int64_t size = archive_entry_size(ae);
    if (archive_entry_filetype(ae) != AE_IFREG || size < 0 || (uint64_t)size <= u->max_entry)
        return 0;
    char lim[32];
    unpack_size_str(u->max_entry, lim, sizeof(lim));
    return kiln_err(err, KILN_ELIMIT, 0,
                    "layer entry '%s': %lld bytes, over the limit of %s for one file "
                    "(--max-file-size)",
                    raw, (long long)size, lim);
}

static int extract_entry(struct unpacker *u, struct archive_entry *ae, kiln_error_t **err)
{
    const char *raw = archive_entry_pathname(ae);
    if (!raw)
        return kiln_err(err, KILN_ECORRUPT, 0, "layer entry without a name");
    cleanup_free char *path = xstrdup(raw);
    /* "./etc/" → "etc"; a bare "./" is the root itself */
    char *p = path;
    while (p[0] == '.' && p[1] == '/')
        p += 2;
    size_t n = strlen(p);
    while (n && p[n - 1] == '/')
        p[--n] = '\0';
    if (!*p || !strcmp(p, "."))
        return 0;
    if (check_path(p) < 0)
        return kiln_err(err, KILN_ECORRUPT, 0, "layer entry '%s': unsafe path", raw);
    if (check_entry_size(u, ae, raw, err) < 0)
        return -1;
    const char *name;
    cleanup_close int pfd = open_parent(u->root, p, &name, u->shift);
    if (pfd < 0)
        return kiln_err_errno(err, KILN_ECORRUPT, "layer entry '%s': parent", raw);
    int r =
        str_has_prefix(name, ".wh.") ? make_whiteout(pfd, name) : make_entry(u, ae, pfd, name, p);
    return r < 0 ? entry_error(raw, err) : 0;
}

static int drain(struct source *s)
{
    ssize_t n;
    while ((n = source_next(s)) > 0)
        ;
    return n < 0 ? -1 : 0;
}

void unpack_size_str(uint64_t n, char *buf, size_t size)
{
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    size_t u = 0;
    while (u + 1 < ARRAY_SIZE(units) && n >= 1024 && n % 1024 == 0)
        n /= 1024, u++;
    snprintf(buf, size, "%llu %s", (unsigned long long)n, units[u]);
}

int unpack_layer(int fd, const char *media_type, const char *diff_id, int destfd,
                 const struct unpack_limits *limits, struct unpack_report *report,
                 kiln_error_t **err)
{
    return unpack_layer_shifted(fd, media_type, diff_id, destfd, NULL, limits, report, err);
}

/* The error of a stream that stopped: over the bound, corrupt data, or a bad tar. */
static int stream_error(struct source *src, struct archive *a, kiln_error_t **err)
{
    if (src->over) {
        char lim[32];
        unpack_size_str(src->max, lim, sizeof(lim));
        return kiln_err(err, KILN_ELIMIT, 0,
                        "layer: more than %s of uncompressed content (--max-layer-size)", lim);
    }
    const char *why = archive_error_string(a);
    return kiln_err(err, KILN_ECORRUPT, src->err_no, "layer: %s",
                    src->bad_data ? "corrupt compressed data" : (why ? why : "bad tar"));
}

static int extract_all(struct unpacker *u, struct source *src, kiln_error_t **err)
{
    struct archive_entry *ae;
    size_t count = 0;
    int r;
    while ((r = tar_read_next(u->a, &ae)) == ARCHIVE_OK) {
        if (++count > UNPACK_MAX_ENTRIES)
            return kiln_err(err, KILN_ELIMIT, 0, "layer has more than %u entries",
                            UNPACK_MAX_ENTRIES);
        if (extract_entry(u, ae, err) < 0) {
            if (!src->over && !src->bad_data)
                return -1;
            /* the entry failed because the stream stopped: say why it stopped */
            kiln_error_free(*err);
            *err = NULL;
            return stream_error(src, u->a, err);
        }
    }
    if (r != ARCHIVE_EOF || drain(src) < 0)
        return stream_error(src, u->a, err);
    return 0;
}

int unpack_layer_shifted(int fd, const char *media_type, const char *diff_id, int destfd,
                         const struct idshift *shift, const struct unpack_limits *limits,
                         struct unpack_report *report, kiln_error_t **err)
{
    uint64_t max_layer =
        limits && limits->layer_bytes ? limits->layer_bytes : UNPACK_DEFAULT_MAX_LAYER;
    cleanup_archive_read struct archive *a = archive_read_new();
    struct unpacker u = {
        a, destfd, shift,
        limits && limits->entry_bytes ? limits->entry_bytes : UNPACK_DEFAULT_MAX_ENTRY, report};
    if (report)
        memset(report, 0, sizeof(*report));
    struct source src;
    int rc = source_init(&src, fd, media_type, max_layer, err);
    archive_read_support_format_tar(u.a);
    if (rc == 0 && archive_read_open(u.a, &src, NULL, source_cb, NULL) != ARCHIVE_OK)
        rc = stream_error(&src, u.a, err);
    if (rc == 0)
        rc = extract_all(&u, &src, err);
    char got[DIGEST_STR_LEN + 1];
    if (rc == 0) {
        sha256_final(&src.h, got);
        if (diff_id && strcmp(got, diff_id) != 0)
            rc = kiln_err(err, KILN_ECORRUPT, 0, "layer: content has diff_id %s, expected %s", got,
                          diff_id);
    }
    source_release(&src);
    return rc;
}

struct ensure_args {
    struct store *s;
    const char *digest, *media_type, *diff_id, *final;
    const struct unpack_limits *limits;
};

/* Unpacks into a temporary directory and renames it into place; runs as container root. */
static int ensure_fn(void *arg, const struct idshift *shift, void *result, kiln_error_t **err)
{
    struct ensure_args *a = arg;
    struct store *s = a->s;
    char tmp[] = "snapshots/.tmp-XXXXXXXXXX";
    random_name(tmp + strlen(tmp) - 10, 10);
    if (mkdir_p_at(s->rootfd, "snapshots", 0700, err) < 0)
        return kiln_err_wrap(err, "store '%s'", s->root);
    if (mkdirat(s->rootfd, tmp, 0755) < 0)
        return kiln_err_errno(err, KILN_EIO, "store '%s': create snapshot", s->root);
    cleanup_close int dfd = openat(s->rootfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_close int bfd = store_open_blob(s, a->digest, err);
    int rc = (dfd < 0 || bfd < 0) ? -1
                                  : unpack_layer_shifted(bfd, a->media_type, a->diff_id, dfd, shift,
                                                         a->limits, result, err);
    if (rc == 0 && fchown(dfd, shift->uid, shift->gid) < 0)
        rc = kiln_err_errno(err, KILN_EIO, "store '%s': snapshot owner", s->root);
    if (rc == 0 && renameat(s->rootfd, tmp, s->rootfd, a->final) < 0 && errno != EEXIST &&
        errno != ENOTEMPTY)
        rc = kiln_err_errno(err, KILN_EIO, "store '%s': rename snapshot", s->root);
    kiln_error_t *e2 = NULL;
    rm_rf_at(s->rootfd, tmp, &e2); /* gone after a rename; the partial tree after a failure */
    kiln_error_free(e2);
    return rc;
}

int snapshot_find(struct store *s, const char *diff_id, char **path, kiln_error_t **err)
{
    if (!digest_valid(diff_id))
        return kiln_err(err, KILN_ECORRUPT, 0, "invalid diff_id '%s'", diff_id);
    cleanup_free char *final = xasprintf("snapshots/%s", digest_hex(diff_id));
    struct stat st;
    if (fstatat(s->rootfd, final, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return 0;
    if (snapshot_check_existing(s, final, &st, err) < 0)
        return -1;
    *path = xasprintf("%s/%s", s->root, final);
    return 1;
}

int snapshot_ensure(struct store *s, const char *digest, const char *media_type,
                    const char *diff_id, const struct unpack_limits *limits,
                    struct unpack_report *report, char **path, kiln_error_t **err)
{
    struct unpack_report unused;
    report = report ? report : &unused;
    memset(report, 0, sizeof(*report));
    int found = snapshot_find(s, diff_id, path, err);
    if (found != 0)
        return found < 0 ? -1 : 0;
    cleanup_free char *final = xasprintf("snapshots/%s", digest_hex(diff_id));
    struct idmap m;
    if (idmap_for_store(s->root, &m, err) < 0)
        return -1;
    struct ensure_args a = {s, digest, media_type, diff_id, final, limits};
    if (idmap_run(&m, ensure_fn, &a, report, sizeof(*report), err) < 0)
        return kiln_err_wrap(err, "unpack %s", digest);
    *path = xasprintf("%s/%s", s->root, final);
    return 0;
}
