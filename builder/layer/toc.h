/* The table of contents of a layer kiln wrote: every entry's name, type, mode, owner, size,
 * time and link target, without the content.
 *
 * A COPY layer's files are in its blob; a later step that reads the image's tree (the SBOM and
 * lint walks, the USER lookup, COPY's destination rules) mostly needs only this table, so the
 * view of the image can answer from it and unpack the layer (snapshot_ensure) only when a file
 * of it is opened or a RUN step needs the tree (snapshot/view.h). Writing the blob then is the
 * only write of the layer's data: 200 MiB copied are written once, not three times.
 *
 * Built by the layer writer as entries are added (layer_writer_toc), kept in the store as
 * ROOT/cache/toc/<diff_id hex> so later builds that take the layer from the cache have it too.
 * A layer with whiteouts has none (a view needs its real tree). Hard links are entries of their
 * own that share the target's metadata, inode number and link count. */
#ifndef KILN_LAYER_TOC_H
#define KILN_LAYER_TOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln/error.h"
#include "store/store.h"

#define TOC_MAX_ENTRIES 1000000u
#define TOC_MAX_PATH    4096u

struct toc_entry {
    char *path;        /* canonical: "/app/f.txt" */
    char *link;        /* a symlink's target, else NULL */
    uint32_t mode;     /* S_IFMT type | permission bits */
    uint32_t uid, gid; /* container ids */
    uint32_t ino;      /* 1-based; the names of one hard-linked file share it */
    uint32_t nlink;
    uint64_t size;
    int64_t mtime; /* seconds, as in the layer */
    uint64_t rdev;
};

struct layer_toc {
    struct toc_entry *e; /* sorted by path once finished */
    size_t n, cap;
    size_t links;  /* hard links added */
    bool unusable; /* a whiteout, too many entries: no table for this layer */
};

struct layer_entry;
/* Adds what the layer writer writes for e (mtime: the one it wrote). */
void toc_add(struct layer_toc *t, const struct layer_entry *e, int64_t mtime);
/* Sorts the table; false when it is unusable. */
bool toc_finish(struct layer_toc *t);
void toc_release(struct layer_toc *t);
void toc_free(struct layer_toc *t);

/* The entry of canon ("/a/b"), or NULL. */
const struct toc_entry *toc_find(const struct layer_toc *t, const char *canon);
/* Whether canon has entries below it (a directory the table does not list itself). */
bool toc_has_below(const struct layer_toc *t, const char *canon);
/* Calls fn with the name of each entry directly in the directory canon (sorted, no
 * duplicates, including directories only implied by deeper entries). */
void toc_children(const struct layer_toc *t, const char *canon,
                  void (*fn)(void *ctx, const char *name, size_t len), void *ctx);

/* Stores the table of the layer diff_id (a failure only costs an unpack later). */
int toc_save(struct store *s, const char *diff_id, const struct layer_toc *t, kiln_error_t **err);
/* The stored table of diff_id; NULL when there is none or it cannot be read. */
struct layer_toc *toc_load(struct store *s, const char *diff_id);
/* Removes the stored table of diff_id (a layer that leaked a secret). Missing is fine. */
void toc_remove(struct store *s, const char *diff_id);

#endif
