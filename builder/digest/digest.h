/* sha256 digests in OCI form: "sha256:" followed by 64 lowercase hex digits. */
#ifndef KILN_DIGEST_H
#define KILN_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "kiln/error.h"

#define DIGEST_STR_LEN 71 /* strlen("sha256:") + 64 */

struct sha256 {
    void *ctx; /* EVP_MD_CTX */
};

void sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *p, size_t n);
/* Writes "sha256:<hex>" (DIGEST_STR_LEN + 1 bytes) and releases the context. */
void sha256_final(struct sha256 *h, char out[DIGEST_STR_LEN + 1]);
/* Raw 32-byte result; releases the context. */
void sha256_final_raw(struct sha256 *h, unsigned char out[32]);
void sha256_release(struct sha256 *h);
void sha256_buf(const void *p, size_t n, char out[DIGEST_STR_LEN + 1]);

/* True for a well-formed "sha256:<64 lowercase hex>". */
bool digest_valid(const char *d);
/* The hex part of a valid digest. */
const char *digest_hex(const char *d);

#endif
