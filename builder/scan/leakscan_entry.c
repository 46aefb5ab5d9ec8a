/* Scanning a layer entry by entry while it is written, and the message of a hit. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "leakscan_int.h"
#include "util.h"

struct leakscan_entry {
    struct leakscan_stream *s;
};

struct leakscan_entry *leakscan_entry_new(const struct leakscan *ls)
{
    struct leakscan_entry *e = xcalloc(1, sizeof(*e));
    e->s = leakscan_stream_new(ls);
    return e;
}

void leakscan_entry_free(struct leakscan_entry *e)
{
    if (!e)
        return;
    leakscan_stream_free(e->s);
    free(e);
}

static int hit_at(int found, const char *path, struct leakscan_hit *hit)
{
    if (found < 0)
        return 0;
    hit->secret = found;
    snprintf(hit->path, sizeof(hit->path), "%s", path);
    return 1;
}

int leakscan_entry_field(struct leakscan_entry *e, const char *path, const void *p, size_t n,
                         struct leakscan_hit *hit)
{
    if (!p || !n)
        return 0;
    leakscan_stream_reset(e->s);
    return hit_at(leakscan_feed(e->s, p, n), path, hit);
}

void leakscan_entry_content_begin(struct leakscan_entry *e)
{
    leakscan_stream_reset(e->s);
}

int leakscan_entry_content(struct leakscan_entry *e, const char *path, const void *p, size_t n,
                           struct leakscan_hit *hit)
{
    return n ? hit_at(leakscan_feed(e->s, p, n), path, hit) : 0;
}

/* The masked path of a hit, cut short (and marked "...") past LEAKSCAN_MAX_MASKED bytes. */
struct masked {
    struct buf b;
    bool cut;
};

static void to_buf(void *ctx, const char *data, size_t len)
{
    struct masked *m = ctx;
    if (!m->cut && buf_add(&m->b, data, len, NULL) < 0)
        m->cut = true;
}

int leakscan_hit_error(const struct leakscan *ls, const struct leakscan_hit *hit, const char *where,
                       kiln_error_t **err)
{
    struct masked path = {BUF_INIT(LEAKSCAN_MAX_MASKED), false};
    struct leakscan_masker *m = leakscan_masker_new(ls, to_buf, &path);
    leakscan_masker_feed(m, hit->path, strnlen(hit->path, sizeof(hit->path)));
    leakscan_masker_flush(m);
    leakscan_masker_free(m);
    const char *id =
        hit->secret >= 0 && (size_t)hit->secret < ls->nsecrets ? ls->ids[hit->secret] : "?";
    kiln_err(err, KILN_ELEAK, 0, "secret '%s' found in %s (path %s%s)", id, where, buf_str(&path.b),
             path.cut ? "..." : "");
    buf_release(&path.b);
    return -1;
}
