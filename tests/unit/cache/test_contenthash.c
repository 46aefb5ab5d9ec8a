#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/contenthash.h"
#include "util.h"

static char path[64];

static int make(size_t size)
{
    snprintf(path, sizeof(path), "/tmp/kiln-chash-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    unlink(path);
    unsigned char *d = malloc(size ? size : 1);
    for (size_t i = 0; i < size; i++)
        d[i] = (unsigned char)(i * 2654435761u >> 13);
    cr_assert_eq(write(fd, d, size), (ssize_t)size);
    free(d);
    return fd;
}

static void hash(int fd, uint64_t size, char out[DIGEST_STR_LEN + 1], bool *whole)
{
    kiln_error_t *err = NULL;
    cr_assert_eq(contenthash_fd(fd, size, out, whole, &err), 0);
}

Test(contenthash, a_small_file_hashes_to_its_sha256)
{
    int fd = make(100000);
    char d[DIGEST_STR_LEN + 1], want[DIGEST_STR_LEN + 1];
    bool whole;
    hash(fd, 100000, d, &whole);
    cr_expect(whole);
    unsigned char *buf = malloc(100000);
    cr_assert_eq(pread(fd, buf, 100000, 0), 100000);
    sha256_buf(buf, 100000, want);
    cr_expect_str_eq(d, want);
    free(buf);
    close(fd);
}

Test(contenthash, a_large_file_changes_with_any_byte_and_its_size)
{
    size_t n = 3 * CONTENTHASH_CHUNK + 12345;
    int fd = make(n);
    char a[DIGEST_STR_LEN + 1], b[DIGEST_STR_LEN + 1], c[DIGEST_STR_LEN + 1];
    bool whole;
    hash(fd, n, a, &whole);
    cr_expect(whole);
    hash(fd, n, b, &whole);
    cr_expect_str_eq(a, b, "the same content, the same hash");
    cr_assert_eq(pwrite(fd, "x", 1, (off_t)(2 * CONTENTHASH_CHUNK + 7)), 1);
    hash(fd, n, c, &whole);
    cr_expect_str_neq(a, c, "one byte of the third chunk changed");
    cr_assert_eq(ftruncate(fd, (off_t)(n - 10)), 0);
    hash(fd, n, c, &whole);
    cr_expect_not(whole, "the file shrank while it was read");
    close(fd);
}
