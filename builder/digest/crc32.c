/* CRC-32 (crc32.h): 64-byte blocks folded with PCLMULQDQ, then a Barrett reduction, after
 * Gopal et al., "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ Instruction"
 * (Intel, 2009), for the bit-reflected polynomial 0xEDB88320. The constants are x^k mod P(x)
 * for the fold distances (k = 4*128+/-32, 128+/-32, 64) and the reduction's P(x) and
 * floor(x^64 / P(x)), all bit-reflected. What is left over (under 64 bytes, or every byte on a
 * CPU without the instruction) goes through zlib. */
#include <zlib.h>

#include "crc32.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define FAST_MIN 64

__attribute__((target("pclmul,sse4.1"))) static uint32_t fold(uint32_t crc, const unsigned char *p,
                                                              size_t n)
{
    /* n: a multiple of 16, at least 64; crc: the raw register (not inverted) */
    const __m128i k1k2 = _mm_set_epi64x(0x1c6e41596, 0x154442bd4);
    const __m128i k3k4 = _mm_set_epi64x(0x0ccaa009e, 0x1751997d0);
    const __m128i k5 = _mm_set_epi64x(0, 0x163cd6124);
    const __m128i poly = _mm_set_epi64x(0x1f7011641, 0x1db710641);
    const __m128i mask32 = _mm_set_epi32(0, 0, 0, -1);
    __m128i x1 = _mm_loadu_si128((const __m128i *)p);
    __m128i x2 = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i x3 = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i x4 = _mm_loadu_si128((const __m128i *)(p + 48));
    x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128((int)crc));
    p += 64;
    n -= 64;
#define FOLD(x, k, next)                                                                           \
    x = _mm_xor_si128(                                                                             \
        _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11)), next)
    for (; n >= 64; p += 64, n -= 64) {
        FOLD(x1, k1k2, _mm_loadu_si128((const __m128i *)p));
        FOLD(x2, k1k2, _mm_loadu_si128((const __m128i *)(p + 16)));
        FOLD(x3, k1k2, _mm_loadu_si128((const __m128i *)(p + 32)));
        FOLD(x4, k1k2, _mm_loadu_si128((const __m128i *)(p + 48)));
    }
    FOLD(x1, k3k4, x2);
    FOLD(x1, k3k4, x3);
    FOLD(x1, k3k4, x4);
    for (; n >= 16; p += 16, n -= 16)
        FOLD(x1, k3k4, _mm_loadu_si128((const __m128i *)p));
#undef FOLD
    /* 128 -> 64 bits (32 zero bits appended), 64 -> 32 bits */
    x1 = _mm_xor_si128(_mm_clmulepi64_si128(x1, k3k4, 0x10), _mm_srli_si128(x1, 8));
    x1 = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x1, mask32), k5, 0x00),
                       _mm_srli_si128(x1, 4));
    /* Barrett reduction */
    __m128i t = _mm_clmulepi64_si128(_mm_and_si128(x1, mask32), poly, 0x10);
    t = _mm_clmulepi64_si128(_mm_and_si128(t, mask32), poly, 0x00);
    return (uint32_t)_mm_extract_epi32(_mm_xor_si128(x1, t), 1);
}

static int have_clmul(void)
{
    static int have = -1; /* a race here only computes the same answer twice */
    if (have < 0)
        have = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
    return have;
}
#endif

bool crc32_fast_clmul(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    return have_clmul();
#else
    return false;
#endif
}

uint32_t crc32_fast(uint32_t crc, const void *buf, size_t n)
{
    const unsigned char *p = buf;
#if defined(__x86_64__) && defined(__GNUC__)
    if (n >= FAST_MIN && have_clmul()) {
        size_t m = n & ~(size_t)15;
        crc = ~fold(~crc, p, m);
        p += m;
        n -= m;
    }
#endif
    return (uint32_t)crc32_z(crc, p, n);
}
