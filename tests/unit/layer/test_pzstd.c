#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "layer/pzstd.h"
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

/* Compresses data at level with the given threads, writing it in pieces of step bytes. */
static struct sink pz(const unsigned char *data, size_t n, int level, unsigned threads, size_t step)
{
    struct sink s = {0};
    struct pzstd *z;
    kiln_error_t *err = NULL;
    cr_assert_eq(pzstd_new(level, threads, collect, &s, &z, &err), 0);
    for (size_t off = 0; off < n; off += step)
        cr_assert_eq(pzstd_write(z, data + off, n - off < step ? n - off : step, &err), 0);
    cr_assert_eq(pzstd_finish(z, &err), 0);
    pzstd_free(z);
    return s;
}

static void expect_unzstd(const struct sink *s, const unsigned char *data, size_t n)
{
    unsigned char *out = malloc(n + 1);
    ZSTD_DCtx *d = ZSTD_createDCtx();
    ZSTD_inBuffer in = {s->p, s->n, 0};
    ZSTD_outBuffer o = {out, n + 1, 0};
    size_t r;
    do
        r = ZSTD_decompressStream(d, &o, &in);
    while (!ZSTD_isError(r) && r != 0 && in.pos < in.size);
    cr_assert(!ZSTD_isError(r), "valid zstd: %s", ZSTD_getErrorName(r));
    cr_expect_eq(r, 0, "one complete frame");
    cr_expect_eq(in.pos, in.size, "nothing after the frame");
    cr_expect_eq(o.pos, n);
    cr_expect(memcmp(out, data, n) == 0, "the same bytes back");
    cr_expect_eq(ZSTD_getFrameContentSize(s->p, s->n), ZSTD_CONTENTSIZE_UNKNOWN,
                 "no content size: the same frame however the input was written");
    ZSTD_freeDCtx(d);
    free(out);
}

/* Text-like data (compressible) with a run of random bytes in the middle. */
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

Test(pzstd, the_same_bytes_whatever_the_threads_and_write_sizes)
{
    size_t n = 5 * PZSTD_JOB + 12345;
    unsigned char *d = sample(n);
    struct sink one = pz(d, n, 0, 1, n);
    struct sink two = pz(d, n, 0, 2, 1000);
    struct sink eight = pz(d, n, 0, 8, PZSTD_JOB);
    cr_expect(one.n == two.n && memcmp(one.p, two.p, one.n) == 0, "1 and 2 threads agree");
    cr_expect(one.n == eight.n && memcmp(one.p, eight.p, one.n) == 0, "1 and 8 threads agree");
    cr_expect_lt(one.n, n / 2, "the text part is compressed");
    expect_unzstd(&one, d, n);
    expect_unzstd(&eight, d, n);
    free(one.p), free(two.p), free(eight.p), free(d);
}

Test(pzstd, levels_and_empty_input)
{
    size_t n = 3 * PZSTD_JOB;
    unsigned char *d = sample(n);
    struct sink def = pz(d, n, 0, 2, 65536);
    struct sink three = pz(d, n, PZSTD_DEFAULT_LEVEL, 2, 65536);
    struct sink high = pz(d, n, 19, 2, 65536);
    cr_expect(def.n == three.n && memcmp(def.p, three.p, def.n) == 0, "0 is the default level");
    cr_expect_lt(high.n, def.n, "level 19 is smaller");
    expect_unzstd(&high, d, n);
    struct sink e = pz(d, 0, 0, 2, 1);
    expect_unzstd(&e, d, 0);
    free(def.p), free(three.p), free(high.p), free(e.p), free(d);
}

static int refuse(void *ctx, const void *p, size_t n, kiln_error_t **err)
{
    (void)p, (void)n;
    int *calls = ctx;
    if (++*calls < 2)
        return 0;
    return kiln_err(err, KILN_EIO, 0, "disk full");
}

Test(pzstd, an_output_error_is_reported)
{
    size_t n = 8 * PZSTD_JOB;
    unsigned char *d = sample(n);
    int calls = 0;
    struct pzstd *z;
    kiln_error_t *err = NULL;
    cr_assert_eq(pzstd_new(0, 2, refuse, &calls, &z, &err), 0);
    int rc = pzstd_write(z, d, n, &err);
    if (rc == 0)
        rc = pzstd_finish(z, &err);
    cr_expect_eq(rc, -1);
    cr_expect(err && strstr(err->msg, "disk full"));
    kiln_error_free(err);
    pzstd_free(z);
    free(d);
}
