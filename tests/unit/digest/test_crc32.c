#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "digest/crc32.h"

/* Every length from 0 to 600 at every alignment 0-15, then large buffers: the same value as
 * zlib's crc32_z, continuing from a nonzero CRC too. */
Test(crc32, equals_zlib_at_every_length_and_alignment)
{
    enum { N = 600 + 16 };
    unsigned char *buf = malloc(N);
    srand(16);
    for (size_t i = 0; i < N; i++)
        buf[i] = (unsigned char)rand();
    for (size_t off = 0; off < 16; off++)
        for (size_t n = 0; off + n <= N && n <= 600; n++) {
            uint32_t want = (uint32_t)crc32_z(0, buf + off, n);
            cr_assert_eq(crc32_fast(0, buf + off, n), want, "length %zu offset %zu", n, off);
            uint32_t seed = 0x9e3779b9u;
            cr_assert_eq(crc32_fast(seed, buf + off, n), (uint32_t)crc32_z(seed, buf + off, n),
                         "seeded, length %zu offset %zu", n, off);
        }
    free(buf);
}

Test(crc32, large_buffers_and_pieces)
{
    size_t n = (8u << 20) + 13;
    unsigned char *buf = malloc(n);
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)(i * 2654435761u >> 13);
    uint32_t want = (uint32_t)crc32_z(0, buf, n);
    cr_assert_eq(crc32_fast(0, buf, n), want);
    uint32_t c = 0; /* in pieces of odd sizes */
    for (size_t off = 0, step = 1; off < n; off += step, step = step * 3 + 7)
        c = crc32_fast(c, buf + off, n - off < step ? n - off : step);
    cr_assert_eq(c, want);
    /* all zeros and all ones: no data-dependent luck */
    memset(buf, 0, n);
    cr_assert_eq(crc32_fast(0, buf, n), (uint32_t)crc32_z(0, buf, n));
    memset(buf, 0xff, n);
    cr_assert_eq(crc32_fast(0, buf, n), (uint32_t)crc32_z(0, buf, n));
    free(buf);
}
