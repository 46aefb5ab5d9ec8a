#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "store/store.h"
#include "util.h"

static char root[64];
static struct store *st;

static void setup(void)
{
    snprintf(root, sizeof(root), "/tmp/kiln-store-XXXXXX");
    cr_assert_not_null(mkdtemp(root));
    kiln_error_t *err = NULL;
    cr_assert_eq(store_open(root, &st, &err), 0, "%s", err ? err->msg : "");
}

static void teardown(void)
{
    store_close(st);
    rm_rf_at(AT_FDCWD, root, NULL);
}

TestSuite(store, .init = setup, .fini = teardown);

Test(store, put_names_blob_by_sha256)
{
    char d[DIGEST_STR_LEN + 1];
    kiln_error_t *err = NULL;
    cr_assert_eq(store_put_blob(st, "hello", 5, d, &err), 0);
    cr_expect_str_eq(d, "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    cr_expect(store_has_blob(st, d));
    char *data = NULL;
    size_t len;
    cr_assert_eq(store_read_blob(st, d, 100, &data, &len, &err), 0);
    cr_expect_eq(len, 5);
    cr_expect_str_eq(data, "hello");
    free(data);
}

Test(store, read_detects_a_corrupted_blob)
{
    char d[DIGEST_STR_LEN + 1];
    kiln_error_t *err = NULL;
    cr_assert_eq(store_put_blob(st, "hello", 5, d, &err), 0);
    char *path = store_blob_path(st, d);
    chmod(path, 0644);
    int fd = open(path, O_WRONLY);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "j", 1), 1);
    close(fd);
    free(path);
    char *data = NULL;
    cr_expect_eq(store_read_blob(st, d, 100, &data, NULL, &err), -1);
    cr_assert_not_null(err);
    cr_expect_eq(err->code, KILN_ECORRUPT);
    kiln_error_free(err);
}

Test(store, aborted_writer_leaves_nothing)
{
    struct blob_writer *w = NULL;
    kiln_error_t *err = NULL;
    cr_assert_eq(store_blob_begin(st, &w, &err), 0);
    cr_assert_eq(blob_writer_write(w, "partial", 7, &err), 0);
    blob_writer_abort(w);
    char *cmd = xasprintf("test -z \"$(find %s/tmp %s/blobs/sha256 -type f)\"", root, root);
    cr_expect_eq(system(cmd), 0, "no temporary or partial blob left");
    free(cmd);
}

Test(store, import_verifies_digest_and_size)
{
    char tmp[] = "/tmp/kiln-imp-XXXXXX";
    int fd = mkstemp(tmp);
    cr_assert_eq(write(fd, "hello", 5), 5);
    kiln_error_t *err = NULL;
    const char *good = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    const char *bad = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    lseek(fd, 0, SEEK_SET);
    cr_expect_eq(store_import_fd(st, fd, bad, 5, &err), -1);
    cr_expect_eq(err->code, KILN_ECORRUPT);
    cr_expect_not(store_has_blob(st, bad));
    kiln_error_free(err), err = NULL;
    lseek(fd, 0, SEEK_SET);
    cr_expect_eq(store_import_fd(st, fd, good, 4, &err), -1, "size mismatch");
    kiln_error_free(err), err = NULL;
    lseek(fd, 0, SEEK_SET);
    cr_expect_eq(store_import_fd(st, fd, good, 5, &err), 0);
    cr_expect(store_has_blob(st, good));
    close(fd);
    unlink(tmp);
}

Test(store, concurrent_writers_of_one_blob_both_succeed)
{
    static char big[1 << 20];
    memset(big, 'k', sizeof(big));
    for (int i = 0; i < 4; i++) {
        if (fork() == 0) {
            struct store *s2;
            char d[DIGEST_STR_LEN + 1];
            if (store_open(root, &s2, NULL) < 0)
                _exit(1);
            for (int k = 0; k < 20; k++)
                if (store_put_blob(s2, big, sizeof(big), d, NULL) < 0)
                    _exit(1);
            store_close(s2);
            _exit(0);
        }
    }
    for (int i = 0; i < 4; i++) {
        int status;
        wait(&status);
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    char d[DIGEST_STR_LEN + 1];
    char *data;
    size_t len;
    sha256_buf(big, sizeof(big), d);
    cr_assert_eq(store_read_blob(st, d, sizeof(big), &data, &len, NULL), 0);
    cr_expect_eq(len, sizeof(big));
    free(data);
}
