/* Internal to builder/scan: the compiled patterns and automata of a leak scanner. */
#ifndef KILN_SCAN_LEAKSCAN_INT_H
#define KILN_SCAN_LEAKSCAN_INT_H

#include <stdint.h>

#include "leakscan.h"

#define LS_PATTERNS_PER_SECRET 9 /* raw, hex x2, base64 and base64url x3 alignments */

typedef uint16_t ls_state;
_Static_assert(LEAKSCAN_MAX_SECRETS *LS_PATTERNS_PER_SECRET *LEAKSCAN_FINGERPRINT + 1 < 65536,
               "automaton states must fit ls_state");

struct ls_pattern {
    int secret;
    const unsigned char *bytes; /* raw: the caller's value; encodings: owned secmem */
    size_t len;
    size_t fp; /* the first fp bytes are in the automaton; the rest is verified */
    bool enc;  /* hex or base64: matched with CR and LF skipped */
    bool owned;
};

enum ls_set { LS_RAW, LS_ENC };

/* A dense DFA over the fingerprints of a set of patterns; state 0 is the root. Its arrays are
 * secmem (builder/secmem.h): the transitions spell the secrets' first bytes. */
struct ls_ac {
    ls_state *delta; /* nstates * 256 */
    ls_state *depth; /* length of the string a state stands for */
    ls_state *dict;  /* the state itself or its nearest failure ancestor with outputs; 0: none */
    ls_state *dnext; /* the next state with outputs along the failure chain; 0: none */
    int32_t *own;    /* first pattern whose fingerprint ends exactly here, -1: none */
    int32_t *next;   /* per pattern: the next one with the same fingerprint */
    size_t nstates;
    bool skip_newlines;
    bool leave[256]; /* bytes that leave the root state */
    unsigned nleave;
    unsigned char leave_byte; /* the one such byte when nleave == 1 */
};

struct leakscan {
    struct ls_pattern *pats;
    size_t npats, pats_cap;
    bool *skipped;
    char **ids; /* copies of the secrets' ids, for messages */
    size_t nsecrets;
    struct ls_ac raw, enc;
};

struct ls_verifier {
    uint32_t pat;
    uint32_t pos;   /* bytes of the pattern matched so far */
    uint64_t start; /* stream offset of the pattern's first byte */
};

/* A match: pattern index and [start, end) raw stream offsets (skipped bytes inside a match
 * are part of it). */
typedef void (*ls_match_fn)(void *ctx, uint32_t pat, uint64_t start, uint64_t end);

struct ls_run {
    const struct leakscan *ls;
    const struct ls_ac *a;
    ls_state state;
    uint64_t off; /* bytes matched, skipped ones (CR, LF) excluded */
    uint64_t raw; /* bytes consumed, skipped ones included: match offsets count these */
    uint64_t ring[LEAKSCAN_FINGERPRINT]; /* raw offsets of the last matched bytes */
    struct ls_verifier v[LEAKSCAN_MAX_VERIFIERS];
    size_t nv;
    ls_match_fn on_match;
    void *ctx;
};

void ls_run_init(struct ls_run *r, const struct leakscan *ls, const struct ls_ac *a,
                 ls_match_fn on_match, void *ctx);
void ls_run_feed(struct ls_run *r, const unsigned char *p, size_t n);
/* The raw offset where a match still in progress could begin (r->raw when none). */
uint64_t ls_run_pending(const struct ls_run *r);

#endif
