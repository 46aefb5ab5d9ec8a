#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "digest.h"
#include "util.h"

/* SHA-256 fetched from the provider once: EVP_sha256() makes EVP_DigestInit_ex look the
 * algorithm up again on every init (OpenSSL 3), which costs more than hashing a small file. */
static EVP_MD *sha256_md;

static void fetch_sha256(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void sha256_init(struct sha256 *h)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, fetch_sha256);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c || !sha256_md || EVP_DigestInit_ex(c, sha256_md, NULL) != 1) {
        fprintf(stderr, "kiln: cannot initialise sha256\n");
        abort();
    }
    h->ctx = c;
}

void sha256_update(struct sha256 *h, const void *p, size_t n)
{
    if (n)
        EVP_DigestUpdate(h->ctx, p, n);
}

void sha256_final_raw(struct sha256 *h, unsigned char out[32])
{
    unsigned len = 32;
    EVP_DigestFinal_ex(h->ctx, out, &len);
    sha256_release(h);
}

void sha256_final(struct sha256 *h, char out[DIGEST_STR_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[32];
    sha256_final_raw(h, raw);
    memcpy(out, "sha256:", 7);
    for (int i = 0; i < 32; i++) {
        out[7 + 2 * i] = hex[raw[i] >> 4];
        out[8 + 2 * i] = hex[raw[i] & 15];
    }
    out[DIGEST_STR_LEN] = '\0';
}

void sha256_release(struct sha256 *h)
{
    if (h->ctx)
        EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

void sha256_buf(const void *p, size_t n, char out[DIGEST_STR_LEN + 1])
{
    struct sha256 h;
    sha256_init(&h);
    sha256_update(&h, p, n);
    sha256_final(&h, out);
}

bool digest_valid(const char *d)
{
    if (!d || strncmp(d, "sha256:", 7) != 0 || strlen(d) != DIGEST_STR_LEN)
        return false;
    for (const char *p = d + 7; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

const char *digest_hex(const char *d)
{
    return d + 7;
}
