#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "layer/pgzip.h"
#include "util.h"

struct sink {
    unsigned char *p;
    size_t n, cap;
};

static int collect(void *ctx, const void *p, size_t n, kiln_error_t **err)
{
    (void)err;
    struct sink *s = ctx;
    if (s->n + n > s->cap) {
        s->cap = (s->n + n) * 2;
        s->p = realloc(s->p, s->cap);
    }
    memcpy(s->p + s->n, p, n);
    s->n += n;
    return 0;
}

/* Compresses data with the given threads, writing it in pieces of step bytes. */
static struct sink pgz(const unsigned char *data, size_t n, unsigned threads, size_t step)
{
    struct sink s = {0};
    struct pgzip *z;
    kiln_error_t *err = NULL;
    cr_assert_eq(pgzip_new(6, threads, collect, &s, &z, &err), 0);
    for (size_t off = 0; off < n; off += step)
        cr_assert_eq(pgzip_write(z, data + off, n - off < step ? n - off : step, &err), 0);
    cr_assert_eq(pgzip_finish(z, &err), 0);
    pgzip_free(z);
    return s;
}

static void expect_gunzip(const struct sink *s, const unsigned char *data, size_t n)
{
    unsigned char *out = malloc(n + 1);
    z_stream zs = {0};
    cr_assert_eq(inflateInit2(&zs, 16 + 15), Z_OK);
    zs.next_in = s->p;
    zs.avail_in = (uInt)s->n;
    zs.next_out = out;
    zs.avail_out = (uInt)(n + 1);
    cr_assert_eq(inflate(&zs, Z_FINISH), Z_STREAM_END, "one valid gzip member");
    cr_expect_eq(zs.total_out, n);
    cr_expect_eq(zs.avail_in, 0, "nothing after the member");
    cr_expect(memcmp(out, data, n) == 0, "the same bytes back");
    inflateEnd(&zs);
    free(out);
    cr_expect_eq(s->p[3], 0, "no name in the gzip header");
    cr_expect(!s->p[4] && !s->p[5] && !s->p[6] && !s->p[7], "mtime 0");
}

/* Text-like data (compressible) with a run of random bytes (stored) in the middle. */
static unsigned char *sample(size_t n)
{
    unsigned char *d = malloc(n);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        bool noise = i > n / 3 && i < n / 2;
        d[i] = noise ? (unsigned char)(x >> 16)
                     : (unsigned char)("kiln layer "[i % 11] + (i / 4096) % 3);
    }
    return d;
}

Test(pgzip, the_same_bytes_whatever_the_threads_and_write_sizes)
{
    size_t n = 5 * PGZIP_BLOCK + 12345;
    unsigned char *d = sample(n);
    struct sink one = pgz(d, n, 1, n);
    struct sink two = pgz(d, n, 2, 1000);
    struct sink four = pgz(d, n, 4, PGZIP_BLOCK);
    cr_expect_eq(one.n, two.n);
    cr_expect(one.n == two.n && memcmp(one.p, two.p, one.n) == 0, "1 and 2 threads agree");
    cr_expect(one.n == four.n && memcmp(one.p, four.p, one.n) == 0, "1 and 4 threads agree");
    cr_expect_lt(one.n, n / 2, "the text part is compressed");
    expect_gunzip(&one, d, n);
    expect_gunzip(&four, d, n);
    free(one.p), free(two.p), free(four.p), free(d);
}

Test(pgzip, empty_and_exact_block_inputs)
{
    unsigned char *d = sample(2 * PGZIP_BLOCK);
    struct sink e = pgz(d, 0, 2, 1);
    expect_gunzip(&e, d, 0);
    struct sink b = pgz(d, 2 * PGZIP_BLOCK, 2, 4096);
    expect_gunzip(&b, d, 2 * PGZIP_BLOCK);
    free(e.p), free(b.p), free(d);
}

static int refuse(void *ctx, const void *p, size_t n, kiln_error_t **err)
{
    (void)p, (void)n;
    int *calls = ctx;
    if (++*calls < 3)
        return 0;
    return kiln_err(err, KILN_EIO, 0, "disk full");
}

Test(pgzip, an_output_error_is_reported)
{
    size_t n = 8 * PGZIP_BLOCK;
    unsigned char *d = sample(n);
    int calls = 0;
    struct pgzip *z;
    kiln_error_t *err = NULL;
    cr_assert_eq(pgzip_new(6, 2, refuse, &calls, &z, &err), 0);
    int rc = pgzip_write(z, d, n, &err);
    if (rc == 0)
        rc = pgzip_finish(z, &err);
    cr_expect_eq(rc, -1);
    cr_expect(err && strstr(err->msg, "disk full"));
    kiln_error_free(err);
    pgzip_free(z);
    free(d);
}
