#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "digest/crc32.h"
#include "../skipcheck.h"

/* The folding path is what these tests are about: on a CPU that has the instruction it must be
 * the one taken; where the CPU lacks it, the comparisons below only compare zlib with itself. */
static bool cpu_has_pclmul(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[4096];
    bool has = false;
    while (f && !has && fgets(line, sizeof(line), f))
        has = !strncmp(line, "flags", 5) && strstr(line, " pclmulqdq") && strstr(line, " sse4_1");
    if (f)
        fclose(f);
    return has;
}

Test(crc32, folds_with_pclmulqdq_when_the_cpu_has_it)
{
    if (!cpu_has_pclmul()) {
        test_skip_check("CRC-32 folding with PCLMULQDQ", "the CPU has no pclmulqdq");
        cr_assert_not(crc32_fast_clmul(), "claims PCLMULQDQ on a CPU without it");
        return;
    }
    cr_assert(crc32_fast_clmul(), "the CPU has PCLMULQDQ, crc32_fast does not use it");
}

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
