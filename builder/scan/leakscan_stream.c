/* Running the leak scanner's automata over a byte stream: detection and masking. */
#include <string.h>

#include "leakscan_int.h"
#include "util.h"

void ls_run_init(struct ls_run *r, const struct leakscan *ls, const struct ls_ac *a,
                 ls_match_fn on_match, void *ctx)
{
    r->ls = ls;
    r->a = a;
    r->state = 0;
    r->off = r->raw = 0;
    r->nv = 0;
    r->on_match = on_match;
    r->ctx = ctx;
}

/* Advances the verifiers over byte c at raw offset off. */
static void verify(struct ls_run *r, unsigned char c, uint64_t off)
{
    size_t k = 0;
    for (size_t i = 0; i < r->nv; i++) {
        struct ls_verifier v = r->v[i];
        const struct ls_pattern *p = &r->ls->pats[v.pat];
        if (p->bytes[v.pos] != c)
            continue;
        if (++v.pos == p->len) {
            r->on_match(r->ctx, v.pat, v.start, off + 1);
            continue;
        }
        r->v[k++] = v;
    }
    r->nv = k;
}

/* The raw offset of the byte matched n bytes ago (1 <= n <= LEAKSCAN_FINGERPRINT). */
static uint64_t matched_at(const struct ls_run *r, size_t n)
{
    return r->ring[(r->off - n) % LEAKSCAN_FINGERPRINT];
}

uint64_t ls_run_pending(const struct ls_run *r)
{
    ls_state d = r->a->depth[r->state];
    uint64_t start = d ? matched_at(r, d) : r->raw;
    for (size_t i = 0; i < r->nv; i++)
        start = r->v[i].start < start ? r->v[i].start : start;
    return start;
}

/* The fingerprints that end at state s (raw offset end): whole patterns match, longer ones
 * start a verifier. */
static void outputs(struct ls_run *r, ls_state s, uint64_t end)
{
    const struct ls_ac *a = r->a;
    for (ls_state t = a->dict[s]; t; t = a->dnext[t]) {
        for (int32_t i = a->own[t]; i >= 0; i = a->next[i]) {
            const struct ls_pattern *p = &r->ls->pats[i];
            uint64_t start = matched_at(r, p->fp);
            if (p->len == p->fp)
                r->on_match(r->ctx, (uint32_t)i, start, end);
            else if (r->nv < LEAKSCAN_MAX_VERIFIERS)
                r->v[r->nv++] = (struct ls_verifier){(uint32_t)i, (uint32_t)p->fp, start};
        }
    }
}

/* The first byte at or after p that leaves the root state (n when none): most input never
 * starts a match, and this loop has no dependency from one byte to the next. */
static size_t root_skip(const struct ls_ac *a, const unsigned char *p, size_t n)
{
    if (a->nleave == 1) {
        const unsigned char *q = memchr(p, a->leave_byte, n);
        return q ? (size_t)(q - p) : n;
    }
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        if (a->leave[p[i]] | a->leave[p[i + 1]] | a->leave[p[i + 2]] | a->leave[p[i + 3]])
            break;
    while (i < n && !a->leave[p[i]])
        i++;
    return i;
}

void ls_run_feed(struct ls_run *r, const unsigned char *p, size_t n)
{
    const struct ls_ac *a = r->a;
    const ls_state *delta = a->delta;
    const ls_state *dict = a->dict;
    const bool skip = a->skip_newlines;
    ls_state s = r->state;
    uint64_t raw = r->raw;
    for (size_t i = 0; i < n; i++) {
        if (s == 0 && r->nv == 0 && (i += root_skip(a, p + i, n - i)) == n)
            break;
        unsigned char c = p[i];
        if (skip && (c == '\n' || c == '\r'))
            continue;
        if (r->nv)
            verify(r, c, raw + i);
        s = delta[(size_t)s * 256 + c];
        r->ring[r->off++ % LEAKSCAN_FINGERPRINT] = raw + i;
        if (dict[s])
            outputs(r, s, raw + i + 1);
    }
    r->raw = raw + n;
    r->state = s;
}

/* ---- detection ---- */

struct leakscan_stream {
    struct ls_run raw, enc;
    int found;
};

static void on_found(void *ctx, uint32_t pat, uint64_t start, uint64_t end)
{
    (void)start, (void)end;
    struct leakscan_stream *s = ctx;
    struct ls_run *r = &s->raw;
    if (s->found < 0)
        s->found = r->ls->pats[pat].secret;
}

struct leakscan_stream *leakscan_stream_new(const struct leakscan *ls)
{
    struct leakscan_stream *s = xmalloc(sizeof(*s));
    ls_run_init(&s->raw, ls, &ls->raw, on_found, s);
    ls_run_init(&s->enc, ls, &ls->enc, on_found, s);
    s->found = -1;
    return s;
}

void leakscan_stream_free(struct leakscan_stream *s)
{
    free(s);
}

void leakscan_stream_reset(struct leakscan_stream *s)
{
    ls_run_init(&s->raw, s->raw.ls, s->raw.a, on_found, s);
    ls_run_init(&s->enc, s->enc.ls, s->enc.a, on_found, s);
    s->found = -1;
}

int leakscan_feed(struct leakscan_stream *s, const void *p, size_t n)
{
    if (s->found < 0 && s->raw.ls->npats) {
        ls_run_feed(&s->raw, p, n);
        ls_run_feed(&s->enc, p, n);
    }
    return s->found;
}

int leakscan_buffer(const struct leakscan *ls, const void *p, size_t n)
{
    struct leakscan_stream *s = leakscan_stream_new(ls);
    int found = leakscan_feed(s, p, n);
    leakscan_stream_free(s);
    return found;
}

/* ---- masking ---- */

struct ls_range {
    uint64_t a, b;
};

struct leakscan_masker {
    struct ls_run run, enc; /* raw bytes; hex and base64 with CR/LF skipped */
    leakscan_emit_fn emit;
    void *ctx;
    unsigned char *buf; /* stream bytes from offset base on, not emitted yet */
    size_t len, cap;
    uint64_t base;
    struct ls_range *r; /* matches not emitted yet */
    size_t nr, rcap;
};

static void on_mask(void *ctx, uint32_t pat, uint64_t start, uint64_t end)
{
    (void)pat;
    struct leakscan_masker *m = ctx;
    xgrow(&m->r, &m->rcap, m->nr + 1, sizeof(*m->r));
    m->r[m->nr++] = (struct ls_range){start, end};
}

struct leakscan_masker *leakscan_masker_new(const struct leakscan *ls, leakscan_emit_fn emit,
                                            void *ctx)
{
    struct leakscan_masker *m = xcalloc(1, sizeof(*m));
    ls_run_init(&m->run, ls, &ls->raw, on_mask, m);
    ls_run_init(&m->enc, ls, &ls->enc, on_mask, m);
    m->emit = emit;
    m->ctx = ctx;
    return m;
}

void leakscan_masker_free(struct leakscan_masker *m)
{
    if (!m)
        return;
    if (m->buf)
        explicit_bzero(m->buf, m->cap);
    free(m->buf);
    free(m->r);
    free(m);
}

static int range_cmp(const void *x, const void *y)
{
    const struct ls_range *a = x, *b = y;
    return a->a < b->a ? -1 : a->a > b->a;
}

static void emit_plain(struct leakscan_masker *m, uint64_t from, uint64_t to)
{
    if (to > from)
        m->emit(m->ctx, (const char *)m->buf + (from - m->base), (size_t)(to - from));
}

/* Emits the stream up to offset safe, matches replaced; a match that began before safe is
 * replaced whole even when it ends after it. */
static void emit_until(struct leakscan_masker *m, uint64_t safe)
{
    if (m->nr > 1)
        qsort(m->r, m->nr, sizeof(*m->r), range_cmp);
    uint64_t e = m->base;
    size_t k = 0;
    for (size_t i = 0; i < m->nr; i++) {
        struct ls_range g = m->r[i];
        if (g.a >= safe) {
            m->r[k++] = g;
            continue;
        }
        if (g.a >= e) {
            emit_plain(m, e, g.a);
            m->emit(m->ctx, "****", 4);
        }
        e = g.b > e ? g.b : e;
    }
    m->nr = k;
    if (safe > e) {
        emit_plain(m, e, safe);
        e = safe;
    }
    size_t drop = (size_t)(e - m->base);
    if (drop) {
        memmove(m->buf, m->buf + drop, m->len - drop);
        explicit_bzero(m->buf + m->len - drop, drop);
    }
    m->len -= drop;
    m->base = e;
}

void leakscan_masker_feed(struct leakscan_masker *m, const void *p, size_t n)
{
    if (!n)
        return;
    if (!m->run.ls->npats) {
        m->emit(m->ctx, p, n);
        return;
    }
    xgrow(&m->buf, &m->cap, m->len + n, 1);
    memcpy(m->buf + m->len, p, n);
    m->len += n;
    ls_run_feed(&m->run, p, n);
    ls_run_feed(&m->enc, p, n);
    uint64_t safe = ls_run_pending(&m->run), e = ls_run_pending(&m->enc);
    safe = e < safe ? e : safe;
    emit_until(m, safe < m->base ? m->base : safe);
}

void leakscan_masker_flush(struct leakscan_masker *m)
{
    if (!m->run.ls->npats)
        return;
    emit_until(m, m->run.raw);
    ls_run_init(&m->run, m->run.ls, m->run.a, on_mask, m);
    ls_run_init(&m->enc, m->enc.ls, m->enc.a, on_mask, m);
    m->base = 0;
}
