/* Build secrets (--secret): loaded once at start-up, held in memory only, handed to the steps
 * that mount them, never written anywhere.
 *
 * Where a value lives:
 *   - in kiln: secmem (builder/secmem.h): a private mapping per secret, locked in RAM when
 *     RLIMIT_MEMLOCK allows, excluded from core dumps, kept by kiln's helper children (they
 *     scan layers) but unmapped by the sandbox child first thing (the step's init holds no
 *     secret: a DATA mount's bytes reach it through a sealed memfd), wiped when freed; the
 *     scanner's encodings and automata live there too, and the store's HMAC key in secmem
 *     that no child inherits;
 *   - in a step: a file on a tmpfs mounted only inside that step's mount namespace (the
 *     sandbox's SANDBOX_MOUNT_DATA), bind-mounted read-only, nosuid, nodev, noexec on the
 *     target; or the process environment for env= (that process only).
 *   - in a cache key: HMAC-SHA256 of the value under the store's random key
 *     (ROOT/cache/secret.key, 32 bytes, mode 0600, created once with an atomic no-replace
 *     rename), so a changed value re-runs the step and the key reveals nothing about it.
 *
 * Every layer of every stage is scanned as it is written or taken from the cache, and the
 * config and attestations before the output, for the bytes of every secret given
 * (builder/scan/leakscan.h); step output is masked ("****").
 */
#ifndef KILN_ENGINE_SECRETS_H
#define KILN_ENGINE_SECRETS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "kiln/kiln.h"
#include "scan/leakscan.h"
#include "store/store.h"

#define SECRET_MAX_SIZE (500u * 1024) /* BuildKit's MaxSecretSize */
#define SECRET_MAX_ID   256
#define SECRET_KEY_FILE "cache/secret.key"
#define SECRET_KEY_LEN  32
#define SECRET_MAC_LEN  (sizeof("hmac-sha256:") - 1 + 64)

struct secret {
    char *id;
    unsigned char *value; /* private mapping of maplen bytes; len bytes are the value */
    size_t len, maplen;
};

struct secrets {
    struct secret *v;
    size_t n;
    struct leakscan *scan; /* every secret's patterns */
    pthread_mutex_t lock;  /* key */
    bool have_key;
    unsigned char *key; /* SECRET_KEY_LEN bytes of secmem once loaded */
};

/* Reads every --secret: a file (src), an environment variable (env), or with neither the
 * variable ID when it is set, else the file ID. A later secret with the same id replaces an
 * earlier one. Errors (all before any step runs): KILN_EINPUT for a missing file or unset
 * variable ("secret 'ID': open 'PATH': No such file or directory"), KILN_ELIMIT for a value
 * over SECRET_MAX_SIZE or more than LEAKSCAN_MAX_SECRETS secrets, KILN_EUSAGE for a bad id. */
int secrets_load(const struct kiln_secret_opt *opts, size_t n, struct secrets **out,
                 kiln_error_t **err);
/* Wipes and frees every value. NULL is fine. */
void secrets_free(struct secrets *s);

/* The secret with this id, or NULL. */
const struct secret *secrets_find(const struct secrets *s, const char *id);

/* "hmac-sha256:<hex>" of the value under the store's key (created on first use). */
int secrets_mac(struct secrets *s, struct store *st, const struct secret *sec,
                char out[SECRET_MAC_LEN + 1], kiln_error_t **err);

#endif
