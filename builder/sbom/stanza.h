/* Parser for "Key: value" stanzas separated by blank lines: dpkg status files, apk's installed
 * database ("K:value"), Python core metadata (RFC 822 headers) and Java manifests.
 *
 * Only the keys a caller asks for are kept, so a stanza with thousands of file lines (apk "R:")
 * costs no allocation. A key that repeats is joined with '\n'. Continuation lines (starting with
 * a space or a tab) extend the previous value: in STANZA_DEB and STANZA_EMAIL mode after a '\n',
 * in STANZA_MANIFEST mode directly (a manifest wraps long values at 72 bytes). Keys compare
 * case-insensitively except in STANZA_APK mode. Values are raw bytes: clean them (text.h)
 * before they reach a document. */
#ifndef KILN_SBOM_STANZA_H
#define KILN_SBOM_STANZA_H

#include <stdbool.h>
#include <stddef.h>

#define STANZA_MAX_KEYS 16

enum stanza_mode {
    STANZA_DEB,
    STANZA_APK,
    STANZA_EMAIL,
    STANZA_MANIFEST,
};

struct stanza {
    enum stanza_mode mode;
    const char *const *keys; /* NULL-terminated, at most STANZA_MAX_KEYS */
    char *val[STANZA_MAX_KEYS];
    size_t len[STANZA_MAX_KEYS];
    bool any; /* the stanza had at least one line */
};

/* keys must outlive the stanza. */
void stanza_init(struct stanza *st, enum stanza_mode mode, const char *const *keys);
/* Reads the next stanza of text[0..len) from *pos, replacing the previous values. Returns
 * true when a stanza was read, false at the end of the text. */
bool stanza_next(struct stanza *st, const char *text, size_t len, size_t *pos);
/* The value of key (one of the keys given to stanza_init), or NULL when absent. */
const char *stanza_get(const struct stanza *st, const char *key);
/* Frees the values; the stanza stays usable (stanza_next calls it before each stanza). */
void stanza_release(struct stanza *st);

static inline void cleanup_stanzap(struct stanza *st)
{
    stanza_release(st);
}
#define cleanup_stanza __attribute__((cleanup(cleanup_stanzap)))

#endif
