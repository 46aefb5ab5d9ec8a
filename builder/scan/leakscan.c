/* The leak scanner's patterns and automata (see leakscan.h). */
#include <stdint.h>
#include <string.h>

#include "leakscan_int.h"
#include "secmem.h"
#include "util.h"

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* The value without leading and trailing whitespace. */
static void trim(const unsigned char **p, size_t *n)
{
    while (*n && is_space((*p)[0]))
        (*p)++, (*n)--;
    while (*n && is_space((*p)[*n - 1]))
        (*n)--;
}

/* Adds a pattern unless the same bytes are already a pattern of this secret. */
static void add_pattern(struct leakscan *ls, int secret, const unsigned char *bytes, size_t len,
                        bool enc, bool owned)
{
    for (size_t i = 0; i < ls->npats; i++) {
        struct ls_pattern *q = &ls->pats[i];
        if (q->secret == secret && q->len == len && !memcmp(q->bytes, bytes, len)) {
            if (owned)
                secmem_free((void *)bytes);
            return;
        }
    }
    xgrow(&ls->pats, &ls->pats_cap, ls->npats + 1, sizeof(*ls->pats));
    ls->pats[ls->npats++] = (struct ls_pattern){
        secret, bytes, len, len < LEAKSCAN_FINGERPRINT ? len : LEAKSCAN_FINGERPRINT, enc, owned};
}

static unsigned char *hex(const unsigned char *p, size_t n, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    unsigned char *out = secmem_alloc(2 * n, SECMEM_HELPERS);
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = (unsigned char)digits[p[i] >> 4];
        out[2 * i + 1] = (unsigned char)digits[p[i] & 15];
    }
    return out;
}

/* 6-bit group i of the bit string of (o zero bytes, p[0..n)). */
static unsigned sextet(const unsigned char *p, size_t n, size_t o, size_t i)
{
    unsigned v = 0;
    for (size_t bit = 6 * i; bit < 6 * i + 6; bit++) {
        size_t byte = bit / 8;
        unsigned b = byte < o || byte >= o + n ? 0 : (p[byte - o] >> (7 - bit % 8)) & 1;
        v = (v << 1) | b;
    }
    return v;
}

/* The characters of the base64 of a secret at byte offset o (mod 3) of a stream that depend on
 * the secret's bits alone: [ceil(8o/6), floor(8(o+n)/6)). */
static void add_b64_core(struct leakscan *ls, int secret, const unsigned char *p, size_t n,
                         size_t o, const char *alphabet)
{
    size_t first = (8 * o + 5) / 6, end = 8 * (o + n) / 6;
    if (end <= first || end - first < LEAKSCAN_MIN_B64)
        return;
    unsigned char *out = secmem_alloc(end - first, SECMEM_HELPERS);
    for (size_t i = first; i < end; i++)
        out[i - first] = (unsigned char)alphabet[sextet(p, n, o, i)];
    add_pattern(ls, secret, out, end - first, true, true);
}

static void add_secret(struct leakscan *ls, int secret, const unsigned char *p, size_t n)
{
    trim(&p, &n);
    if (n < LEAKSCAN_MIN_SECRET) {
        ls->skipped[secret] = true;
        return;
    }
    add_pattern(ls, secret, p, n, false, false);
    add_pattern(ls, secret, hex(p, n, false), 2 * n, true, true);
    add_pattern(ls, secret, hex(p, n, true), 2 * n, true, true);
    for (size_t o = 0; o < 3; o++) {
        add_b64_core(ls, secret, p, n, o, b64_std);
        add_b64_core(ls, secret, p, n, o, b64_url);
    }
}

/* ---- the automaton ---- */

static bool ac_wants(enum ls_set set, const struct ls_pattern *p)
{
    return (set == LS_ENC) == p->enc;
}

static void ac_insert(struct ls_ac *a, const struct ls_pattern *p, int32_t idx)
{
    ls_state s = 0;
    for (size_t i = 0; i < p->fp; i++) {
        ls_state *t = &a->delta[s * 256 + p->bytes[i]];
        if (!*t) {
            *t = (ls_state)a->nstates++;
            a->depth[*t] = (ls_state)(a->depth[s] + 1);
        }
        s = *t;
    }
    a->next[idx] = a->own[s];
    a->own[s] = idx;
}

/* Breadth first: failure links, the full transition table and the output chains. */
static void ac_link(struct ls_ac *a)
{
    ls_state *fail = xcalloc(a->nstates, sizeof(*fail));
    ls_state *queue = xmalloc(a->nstates * sizeof(*queue));
    size_t head = 0, tail = 0;
    for (unsigned c = 0; c < 256; c++)
        if (a->delta[c])
            queue[tail++] = a->delta[c];
    while (head < tail) {
        ls_state s = queue[head++];
        a->dict[s] = a->own[s] >= 0 ? s : a->dict[fail[s]];
        a->dnext[s] = a->dict[fail[s]];
        for (unsigned c = 0; c < 256; c++) {
            ls_state *t = &a->delta[s * 256 + c];
            ls_state via = a->delta[fail[s] * 256 + c];
            if (*t) {
                fail[*t] = via;
                queue[tail++] = *t;
            } else {
                *t = via;
            }
        }
    }
    free(queue);
    free(fail);
}

static void ac_build(struct leakscan *ls, struct ls_ac *a, enum ls_set set)
{
    size_t bound = 1;
    for (size_t i = 0; i < ls->npats; i++)
        bound += ac_wants(set, &ls->pats[i]) ? ls->pats[i].fp : 0;
    a->skip_newlines = set == LS_ENC;
    /* the transitions spell the patterns' first bytes: secret material */
    a->delta = secmem_calloc(bound * 256, sizeof(*a->delta), SECMEM_HELPERS);
    a->depth = secmem_calloc(bound, sizeof(*a->depth), SECMEM_HELPERS);
    a->dict = secmem_calloc(bound, sizeof(*a->dict), SECMEM_HELPERS);
    a->dnext = secmem_calloc(bound, sizeof(*a->dnext), SECMEM_HELPERS);
    a->own = secmem_calloc(bound, sizeof(*a->own), SECMEM_HELPERS);
    a->next = secmem_calloc(ls->npats + 1, sizeof(*a->next), SECMEM_HELPERS);
    for (size_t i = 0; i < bound; i++)
        a->own[i] = -1;
    a->nstates = 1;
    for (size_t i = 0; i < ls->npats; i++)
        if (ac_wants(set, &ls->pats[i]))
            ac_insert(a, &ls->pats[i], (int32_t)i);
    ac_link(a);
    for (unsigned c = 0; c < 256; c++)
        if (a->delta[c] && !(a->skip_newlines && (c == '\n' || c == '\r'))) {
            a->leave[c] = true;
            a->leave_byte = (unsigned char)c;
            a->nleave++;
        }
}

static void ac_release(struct ls_ac *a)
{
    secmem_free(a->delta), secmem_free(a->depth), secmem_free(a->dict);
    secmem_free(a->dnext), secmem_free(a->own), secmem_free(a->next);
}

int leakscan_new(const struct leakscan_secret *secrets, size_t n, struct leakscan **out,
                 kiln_error_t **err)
{
    if (n > LEAKSCAN_MAX_SECRETS)
        return kiln_err(err, KILN_ELIMIT, 0, "more than %d secrets", LEAKSCAN_MAX_SECRETS);
    for (size_t i = 0; i < n; i++)
        if (secrets[i].len > LEAKSCAN_MAX_SECRET)
            return kiln_err(err, KILN_ELIMIT, 0, "secret '%s' is larger than %u bytes",
                            secrets[i].id, LEAKSCAN_MAX_SECRET);
    struct leakscan *ls = xcalloc(1, sizeof(*ls));
    ls->nsecrets = n;
    ls->skipped = xcalloc(n + 1, sizeof(bool));
    ls->ids = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        ls->ids[i] = xstrdup(secrets[i].id ? secrets[i].id : "?");
        add_secret(ls, (int)i, secrets[i].value, secrets[i].len);
    }
    ac_build(ls, &ls->raw, LS_RAW);
    ac_build(ls, &ls->enc, LS_ENC);
    *out = ls;
    return 0;
}

void leakscan_free(struct leakscan *ls)
{
    if (!ls)
        return;
    for (size_t i = 0; i < ls->npats; i++)
        if (ls->pats[i].owned)
            secmem_free((void *)ls->pats[i].bytes);
    free(ls->pats);
    free(ls->skipped);
    strv_free(ls->ids);
    ac_release(&ls->raw), ac_release(&ls->enc);
    free(ls);
}

bool leakscan_skipped(const struct leakscan *ls, size_t i)
{
    return i < ls->nsecrets && ls->skipped[i];
}

bool leakscan_empty(const struct leakscan *ls)
{
    return ls->npats == 0;
}
