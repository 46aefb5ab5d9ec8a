/* Memory for secret material: --secret values, their encodings and the leak scanner built from
 * them, the store's HMAC key, registry credentials and tokens.
 *
 * Each allocation is an anonymous private mapping of its own:
 *   - excluded from core dumps (MADV_DONTDUMP; kiln is also non-dumpable with RLIMIT_CORE 0);
 *   - by default absent from forked children (MADV_DONTFORK): the sandbox child and idmap_run
 *     children are copies of kiln, and a child that touches such memory faults instead of
 *     carrying it (or silently reading zeros, as with MADV_WIPEONFORK): the store's HMAC key,
 *     registry credentials and tokens;
 *   - SECMEM_HELPERS: kept in kiln's own helper children (idmap_run: unpacking, diffing and
 *     committing a layer, which scans it for the secrets), but unmapped by the sandbox child
 *     before anything else (secmem_drop_helpers): the step's init, which lives next to the
 *     step's code, holds none of it. The secret values and the leak scanner;
 *   - SECMEM_INHERIT: kept by every child, the step's too: the few bytes a step must receive
 *     through its child (an env= secret's "NAME=value");
 *   - locked in RAM when RLIMIT_MEMLOCK allows (best effort: never swapped);
 *   - wiped before it is unmapped.
 * Like xmalloc, allocation failure aborts (sizes are bounded by the callers' input limits).
 * A page per allocation: meant for a few hundred objects, not for general use. */
#ifndef KILN_SECMEM_H
#define KILN_SECMEM_H

#include <stdbool.h>
#include <stddef.h>

enum {
    SECMEM_INHERIT = 1u << 0, /* every forked child keeps a copy, the sandbox child too */
    SECMEM_HELPERS = 1u << 1, /* idmap_run children keep a copy, the sandbox child drops it */
};

#define SECMEM_MAX_HELPERS 4096 /* SECMEM_HELPERS allocations alive at once */

/* n zeroed bytes (n may be 0). */
void *secmem_alloc(size_t n, unsigned flags);
/* nmemb * size zeroed bytes; overflow aborts. */
void *secmem_calloc(size_t nmemb, size_t size, unsigned flags);
/* A NUL-terminated copy of s[0, n). */
char *secmem_strndup(const char *s, size_t n, unsigned flags);
char *secmem_strdup(const char *s, unsigned flags);
/* Wipes and unmaps; NULL is fine. */
void secmem_free(void *p);
/* In a forked child, before it runs anything else (async-signal-safe, no lock: the child has
 * one thread): unmaps every SECMEM_HELPERS allocation. */
void secmem_drop_helpers(void);
/* Whether p came from secmem and is excluded from dumps (for tests: reads /proc/self/smaps). */
bool secmem_is_protected(const void *p);

static inline void cleanup_secmemp(void *p)
{
    secmem_free(*(void **)p);
}
#define cleanup_secmem __attribute__((cleanup(cleanup_secmemp)))

#endif
