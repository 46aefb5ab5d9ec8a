/* The secret leak scanner: finds the bytes of build secrets, and their usual encodings, in
 * layers, configs, attestations and step output, in one streaming pass with bounded memory.
 *
 * What is searched, per secret (its value with leading and trailing ASCII whitespace trimmed,
 * so that "token\n" from a file is still found where a step wrote "token"):
 *   - the raw bytes;
 *   - hex, lowercase and uppercase;
 *   - base64 and base64url: a secret at byte offset 0, 1 or 2 of a base64 stream encodes into
 *     three different strings, so each alignment's stable core is searched (the characters
 *     whose 6 bits come from the secret alone, without the neighbouring bytes). Base64 and hex
 *     are searched with CR and LF skipped, so wrapped output ("base64" wraps at 76) is found.
 * Not found: other encodings (base32, URL escaping, JSON \u escapes of control bytes, gzip,
 * encryption), and a partial copy of a secret.
 *
 * Tiny secrets: a secret under LEAKSCAN_MIN_SECRET bytes (after trimming) is not scanned at all
 * (it would match noise everywhere); leakscan_skipped() tells the caller, who warns. Base64
 * cores under LEAKSCAN_MIN_B64 characters (secrets of 4 to 6 bytes) are not searched for the
 * same reason: such secrets are found raw and in hex only.
 *
 * How: an Aho-Corasick automaton (a dense DFA) over the first LEAKSCAN_FINGERPRINT bytes of
 * every pattern; a fingerprint hit of a longer pattern starts a verifier that compares the
 * following bytes with the rest of it. Memory is bounded by the number of secrets (at most
 * LEAKSCAN_MAX_SECRETS), never by the size of what is scanned, and by LEAKSCAN_MAX_VERIFIERS
 * concurrent verifiers per stream (more only happens with a secret that repeats its own
 * beginning many times; the extra candidates are dropped).
 *
 * The scanner does not own the secret values: they must outlive it.
 */
#ifndef KILN_SCAN_LEAKSCAN_H
#define KILN_SCAN_LEAKSCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "kiln/error.h"

#define LEAKSCAN_MIN_SECRET    4
#define LEAKSCAN_MIN_B64       8
#define LEAKSCAN_FINGERPRINT   32
#define LEAKSCAN_MAX_SECRETS   64
#define LEAKSCAN_MAX_SECRET    (512u * 1024) /* bytes of one secret value */
#define LEAKSCAN_MAX_VERIFIERS 256
#define LEAKSCAN_MAX_PATH      4096
#define LEAKSCAN_MAX_MASKED    (4 * LEAKSCAN_MAX_PATH) /* a hit's path with its secrets masked */

struct leakscan_secret {
    const char *id;
    const void *value;
    size_t len;
};

struct leakscan;

/* Compiles the patterns of n secrets (n may be 0: nothing is ever found). KILN_ELIMIT over
 * LEAKSCAN_MAX_SECRETS secrets or a value over LEAKSCAN_MAX_SECRET bytes. */
int leakscan_new(const struct leakscan_secret *secrets, size_t n, struct leakscan **out,
                 kiln_error_t **err);
void leakscan_free(struct leakscan *ls);
static inline void cleanup_leakscanp(struct leakscan **ls)
{
    leakscan_free(*ls);
}
#define cleanup_leakscan __attribute__((cleanup(cleanup_leakscanp)))

/* True when secret i is too short to be scanned. */
bool leakscan_skipped(const struct leakscan *ls, size_t i);
/* True when no secret is scanned (nothing to look for). */
bool leakscan_empty(const struct leakscan *ls);

/* ---- streaming ---- */

struct leakscan_stream;
struct leakscan_stream *leakscan_stream_new(const struct leakscan *ls);
void leakscan_stream_free(struct leakscan_stream *s);
/* Forgets what was fed (a new, unrelated input). */
void leakscan_stream_reset(struct leakscan_stream *s);
/* Feeds the next bytes of the input. Returns the index of a secret found so far (the first
 * one), or -1. */
int leakscan_feed(struct leakscan_stream *s, const void *p, size_t n);

/* One whole buffer: the index of a secret in it, or -1. */
int leakscan_buffer(const struct leakscan *ls, const void *p, size_t n);

/* ---- layers ---- */

struct leakscan_hit {
    int secret;                   /* index into the secrets given to leakscan_new */
    char path[LEAKSCAN_MAX_PATH]; /* the tar entry (its name, link target, xattr or data) */
};

/* A KILN_ELEAK error "secret 'ID' found in WHERE (path P)", with every secret in P masked
 * ("****"): a name made of a secret must not print it. Returns -1. */
int leakscan_hit_error(const struct leakscan *ls, const struct leakscan_hit *hit, const char *where,
                       kiln_error_t **err);

/* Scanning a layer while it is written (layer_writer): the same fields as leakscan_tar_fd,
 * each on its own, so the layer is read once. */
struct leakscan_entry;
struct leakscan_entry *leakscan_entry_new(const struct leakscan *ls);
void leakscan_entry_free(struct leakscan_entry *e);
/* A name, link target, xattr name or value of the entry path: 1 with *hit filled on a hit. */
int leakscan_entry_field(struct leakscan_entry *e, const char *path, const void *p, size_t n,
                         struct leakscan_hit *hit);
/* The entry's content, in order: begin, then each chunk (1 with *hit filled on a hit). */
void leakscan_entry_content_begin(struct leakscan_entry *e);
int leakscan_entry_content(struct leakscan_entry *e, const char *path, const void *p, size_t n,
                           struct leakscan_hit *hit);

/* Scans a layer blob read from fd: a tar, plain, gzip or zstd. Every entry's name, link
 * target, xattrs and content are scanned separately (a secret split over two files is not a
 * leak). Returns 1 with *hit filled at the first secret found, 0 when clean, -1 on a read or
 * format error (KILN_ECORRUPT). */
int leakscan_tar_fd(const struct leakscan *ls, int fd, struct leakscan_hit *hit,
                    kiln_error_t **err);

/* ---- masking ---- */

/* Rewrites a byte stream with every occurrence of a secret (raw, hex or base64 core; hex and
 * base64 also when wrapped over lines, the line breaks going with it) replaced by "****",
 * holding back only the bytes that could still begin one. emit receives the masked stream in
 * order. */
typedef void (*leakscan_emit_fn)(void *ctx, const char *data, size_t len);
struct leakscan_masker;
struct leakscan_masker *leakscan_masker_new(const struct leakscan *ls, leakscan_emit_fn emit,
                                            void *ctx);
void leakscan_masker_feed(struct leakscan_masker *m, const void *p, size_t n);
/* Emits what is held back (the input ended). */
void leakscan_masker_flush(struct leakscan_masker *m);
void leakscan_masker_free(struct leakscan_masker *m);

#endif
