/* CRC-32 as gzip and zlib compute it (crc32_z's value), with the carry-less multiply of x86-64
 * when the CPU has it (PCLMULQDQ: about ten times zlib 1.2's speed on large buffers). */
#ifndef KILN_CRC32_H
#define KILN_CRC32_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* crc32_z(crc, p, n): the CRC of p[0..n) continuing from crc (0 to start). */
uint32_t crc32_fast(uint32_t crc, const void *p, size_t n);
/* Whether crc32_fast folds with PCLMULQDQ here (false: every byte goes through zlib). */
bool crc32_fast_clmul(void);

#endif
