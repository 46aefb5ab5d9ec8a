#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "fsutil.h"
#include "layer/layer_writer.h"
#include "scan/leakscan.h"
#include "snapshot/view.h"
#include "util.h"

static char root[64];
static struct store *st;

static void setup(void)
{
    snprintf(root, sizeof(root), "/tmp/kiln-lw-XXXXXX");
    cr_assert_not_null(mkdtemp(root));
    cr_assert_eq(store_open(root, &st, NULL), 0);
}

static void teardown(void)
{
    store_close(st);
    rm_rf_at(AT_FDCWD, root, NULL);
}

TestSuite(layer_writer, .init = setup, .fini = teardown);

static int content_fd(const char *text)
{
    char tmp[] = "/tmp/kiln-lwc-XXXXXX";
    int fd = mkstemp(tmp);
    unlink(tmp);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static void write_layer(int64_t epoch, struct layer_result *r)
{
    struct layer_writer *w;
    kiln_error_t *err = NULL;
    cr_assert_eq(layer_writer_new(st, LAYER_GZIP, -1, epoch, &w, &err), 0);
    int fd = content_fd("hello world\n");
    struct layer_entry entries[] = {
        {.path = "app", .mode = S_IFDIR | 0755, .fd = -1},
        {.path = "app/hello.txt",
         .mode = S_IFREG | 0644,
         .uid = 10,
         .gid = 20,
         .size = 12,
         .fd = fd},
        {.path = "app/link", .mode = S_IFLNK | 0777, .linkname = "hello.txt", .fd = -1},
    };
    for (size_t i = 0; i < ARRAY_SIZE(entries); i++)
        cr_assert_eq(layer_writer_add(w, &entries[i], &err), 0, "%s", err ? err->msg : "");
    cr_assert_eq(layer_writer_finish(w, r, &err), 0);
    close(fd);
}

/* gunzips a stored blob into memory */
static unsigned char *gunzip_blob(const char *digest, size_t *len)
{
    char *data;
    size_t n;
    cr_assert_eq(store_read_blob(st, digest, 1 << 24, &data, &n, NULL), 0);
    z_stream z = {0};
    cr_assert_eq(inflateInit2(&z, 16 + 15), Z_OK);
    size_t cap = 1 << 20;
    unsigned char *out = malloc(cap);
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    cr_assert_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
    *len = cap - z.avail_out;
    inflateEnd(&z);
    cr_expect_eq(data[3] & 0x08, 0, "no file name in the gzip header");
    cr_expect(data[4] == 0 && data[5] == 0 && data[6] == 0 && data[7] == 0, "gzip mtime 0");
    free(data);
    return out;
}

Test(layer_writer, diff_id_is_sha256_of_the_tar)
{
    struct layer_result r;
    write_layer(0, &r);
    size_t len;
    unsigned char *tar = gunzip_blob(r.digest, &len);
    char d[DIGEST_STR_LEN + 1];
    sha256_buf(tar, len, d);
    cr_expect_str_eq(d, r.diff_id);
    cr_expect_eq(len, r.tar_size);
    cr_expect_str_eq(r.media_type, MEDIA_TYPE_LAYER_GZIP);
    free(tar);
}

Test(layer_writer, entries_carry_normalised_metadata)
{
    struct layer_result r;
    write_layer(1700000000, &r);
    size_t len;
    unsigned char *tar = gunzip_blob(r.digest, &len);
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    cr_assert_eq(archive_read_open_memory(a, tar, len), ARCHIVE_OK);
    struct archive_entry *e;
    const char *names[] = {"app", "app/hello.txt", "app/link"};
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(archive_read_next_header(a, &e), ARCHIVE_OK);
        const char *p = archive_entry_pathname(e);
        cr_expect(!strncmp(p, names[i], strlen(names[i])), "entry %d is %s", i, p);
        cr_expect_eq(archive_entry_mtime(e), 1700000000);
        const char *un = archive_entry_uname(e);
        cr_expect(!un || !*un, "no user name in the tar (got '%s')", un);
        if (i == 1) {
            cr_expect_eq(archive_entry_uid(e), 10);
            cr_expect_eq(archive_entry_gid(e), 20);
            char buf[32] = {0};
            cr_expect_eq(archive_read_data(a, buf, sizeof(buf)), 12);
            cr_expect_str_eq(buf, "hello world\n");
        }
        if (i == 2)
            cr_expect_str_eq(archive_entry_symlink(e), "hello.txt");
    }
    cr_expect_eq(archive_read_next_header(a, &e), ARCHIVE_EOF);
    archive_read_free(a);
    free(tar);
}

Test(layer_writer, same_entries_give_the_same_digest)
{
    struct layer_result a, b, c;
    write_layer(0, &a);
    write_layer(0, &b);
    write_layer(5, &c);
    cr_expect_str_eq(a.digest, b.digest);
    cr_expect_str_eq(a.diff_id, b.diff_id);
    cr_expect_str_neq(a.digest, c.digest, "the epoch is part of the layer");
}

Test(layer_writer, a_file_that_shrinks_is_an_error)
{
    struct layer_writer *w;
    kiln_error_t *err = NULL;
    cr_assert_eq(layer_writer_new(st, LAYER_GZIP, -1, 0, &w, &err), 0);
    int fd = content_fd("short");
    struct layer_entry e = {.path = "f", .mode = S_IFREG | 0644, .size = 100, .fd = fd};
    cr_expect_eq(layer_writer_add(w, &e, &err), -1);
    cr_expect_not_null(err);
    kiln_error_free(err);
    layer_writer_free(w);
    close(fd);
}

Test(layer_writer, mtimes_are_lowered_to_the_epoch_never_raised)
{
    struct layer_entry own = {.has_mtime = true, .mtime = 1000};
    struct layer_entry none = {.mtime = 1000};
    cr_expect_eq(layer_entry_mtime(&own, 5000), 1000, "an older mtime is kept");
    cr_expect_eq(layer_entry_mtime(&own, 500), 500, "a later mtime becomes the epoch");
    cr_expect_eq(layer_entry_mtime(&own, 1000), 1000);
    cr_expect_eq(layer_entry_mtime(&none, 5000), 5000, "no mtime of its own: the epoch");
    cr_expect_eq(layer_entry_mtime(&none, 0), 0);
}

static size_t blob_count(void)
{
    char **names;
    size_t n;
    cleanup_free char *dir = xasprintf("%s/blobs/sha256", root);
    struct view *v;
    const char *dirs[] = {dir};
    cr_assert_eq(view_new(dirs, 1, &v, NULL), 0);
    cr_assert_eq(view_list(v, "/", &names, &n), 0);
    strv_free(names);
    view_free(v);
    return n;
}

/* Writes one entry with the scanner on: 0, or -1 with the error's message in msg. */
static int scanned_entry(struct layer_entry *e, char *msg, size_t cap)
{
    static const char secret[] = "s3cr3t-VALUE-42";
    struct leakscan_secret s = {"tok", secret, strlen(secret)};
    struct leakscan *ls;
    kiln_error_t *err = NULL;
    cr_assert_eq(leakscan_new(&s, 1, &ls, &err), 0);
    struct layer_writer *w;
    cr_assert_eq(layer_writer_new(st, LAYER_GZIP, -1, 0, &w, &err), 0);
    layer_writer_scan(w, ls, 4);
    int rc = layer_writer_add(w, e, &err);
    struct layer_result r;
    if (rc == 0)
        rc = layer_writer_finish(w, &r, &err);
    else
        layer_writer_free(w);
    if (rc < 0) {
        cr_expect_eq(err->code, KILN_ELEAK);
        snprintf(msg, cap, "%s", err->msg);
        kiln_error_free(err);
    }
    leakscan_free(ls);
    return rc;
}

Test(layer_writer, a_leaking_entry_fails_and_nothing_is_stored)
{
    char msg[512];
    int fd = content_fd("prefix s3cr3t-VALUE-42 suffix");
    struct layer_entry content = {.path = "app/f", .mode = S_IFREG | 0644, .size = 29, .fd = fd};
    cr_expect_eq(scanned_entry(&content, msg, sizeof(msg)), -1);
    cr_expect_str_eq(msg, "secret 'tok' found in layer 4 (path app/f)");
    close(fd);
    struct layer_entry name = {.path = "d/s3cr3t-VALUE-42", .mode = S_IFDIR | 0755, .fd = -1};
    cr_expect_eq(scanned_entry(&name, msg, sizeof(msg)), -1);
    cr_expect_str_eq(msg, "secret 'tok' found in layer 4 (path d/****)", "the name is masked");
    struct layer_entry link = {
        .path = "l", .mode = S_IFLNK | 0777, .linkname = "/x/s3cr3t-VALUE-42", .fd = -1};
    cr_expect_eq(scanned_entry(&link, msg, sizeof(msg)), -1);
    struct layer_xattr x = {"user.note", "s3cr3t-VALUE-42", 15};
    struct layer_entry xa = {
        .path = "x", .mode = S_IFDIR | 0755, .fd = -1, .xattrs = &x, .nxattrs = 1};
    cr_expect_eq(scanned_entry(&xa, msg, sizeof(msg)), -1);
    cr_expect_eq(blob_count(), 0, "no leaking layer reaches the store");
    int clean = content_fd("nothing to see");
    struct layer_entry ok = {.path = "ok", .mode = S_IFREG | 0644, .size = 14, .fd = clean};
    cr_expect_eq(scanned_entry(&ok, msg, sizeof(msg)), 0);
    cr_expect_eq(blob_count(), 1);
    close(clean);
}

/* A ".wh." component is a whiteout for whoever unpacks the layer: only a marker the caller
 * means (the differ's deletions) may have one, and only as its last component. */
Test(layer_writer, whiteout_names_only_when_meant)
{
    struct layer_writer *w;
    kiln_error_t *err = NULL;
    cr_assert_eq(layer_writer_new(st, LAYER_GZIP, -1, 0, &w, &err), 0);
    static const char *const refused[] = {".wh.x", "etc/.wh.passwd", "a/.wh.b/c", "d/.wh..wh..opq"};
    for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
        struct layer_entry e = {.path = refused[i], .mode = S_IFREG | 0644, .fd = -1};
        cr_assert_eq(layer_writer_add(w, &e, &err), -1, "%s was written", refused[i]);
        cr_assert(strstr(err->msg, "whiteout"), "%s", err->msg);
        kiln_error_free(err);
        err = NULL;
    }
    struct layer_entry marker = {
        .path = "etc/.wh.motd", .mode = S_IFREG, .fd = -1, .whiteout = true};
    cr_assert_eq(layer_writer_add(w, &marker, &err), 0, "%s", err ? err->msg : "");
    struct layer_entry nested = {
        .path = ".wh.d/.wh.x", .mode = S_IFREG, .fd = -1, .whiteout = true};
    cr_assert_eq(layer_writer_add(w, &nested, &err), -1, "a marker under a .wh. directory");
    kiln_error_free(err);
    err = NULL;
    static const char *const fine[] = {"a.wh.b", ".whatever", "x/.wh", "x/..wh.y"};
    for (size_t i = 0; i < ARRAY_SIZE(fine); i++) {
        struct layer_entry e = {.path = fine[i], .mode = S_IFREG | 0644, .fd = -1};
        cr_assert_eq(layer_writer_add(w, &e, &err), 0, "%s: %s", fine[i], err ? err->msg : "");
    }
    layer_writer_free(w);
}
