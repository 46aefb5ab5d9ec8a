/* One stage of the build (stage.c), as the plan has it (plan.h): its FROM (scratch, a named
 * context, an earlier stage or an image), its ONBUILD triggers, then every instruction
 * through the dispatch table (dispatch.h), with progress around each step; its variables are
 * the frontend's scope (frontend/expand.h). Images that COPY --from names are built stages
 * too ("externals", schedule.h), without a Dockerfile stage. */
#ifndef KILN_ENGINE_STAGE_H
#define KILN_ENGINE_STAGE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "dockerfile.h"
#include "expand.h"
#include "kiln/kiln.h"
#include "digest/digest.h"
#include "oci/image.h"
#include "snapshot/view.h"

struct build;
struct layer_toc;
struct stage_lazy;

enum stage_state { STAGE_PENDING, STAGE_BUILDING, STAGE_DONE, STAGE_FAILED };

struct build_stage {
    struct df_stage *df;    /* NULL for an external image */
    int index;              /* the stage's index in the file and the plan; -1 for an external */
    enum stage_state state; /* guarded by build.lock */
    pthread_t owner;        /* the thread building it */
    struct image *img;
    struct df_scope scope; /* ARG and ENV as the stage's steps see them */
    size_t step, nsteps;   /* progress: the last step begun, and how many there are */
    char **snapshots;      /* snapshot directory per layer of img, filled lazily (NULL: not yet) */
    struct layer_toc **tocs; /* per layer not unpacked: its table, which views use meanwhile */
    size_t nsnapshots;       /* entries of both */
    struct stage_lazy *lazy; /* what the view needs to unpack a layer of tocs */
    struct view *view;       /* over snapshots; NULL until needed, reset when layers change */
    int user_line;           /* line of the USER (or FROM) that set the effective user */
    char base_digest[DIGEST_STR_LEN + 1]; /* the resolved base manifest, "" for scratch */
    char *base_ref; /* the base as resolved (for provenance), NULL for scratch */
    char *title; /* for progress: the plan's display name ("" for a single stage), an image's ref */
    char chain[DIGEST_STR_LEN + 1]; /* cache key chain: the base, then each layer */
    bool cmd_set;                   /* CMD set in this stage (ENTRYPOINT resets an inherited CMD) */
};

/* The steps of one stage, once its dependencies are built. */
int stage_run(struct build *b, struct build_stage *st, kiln_error_t **err);
/* An image named by COPY --from (a named layout or docker-image context, or a registry
 * reference), pulled or imported once per build, as a built stage whose view can be read. */
int stage_external(struct build *b, const char *name, struct build_stage **out, kiln_error_t **err);
/* The view of a stage's current rootfs. A layer with a table of contents (a COPY's) is read
 * from it and unpacked only when a file of it is opened (layer/toc.h); others are unpacked. */
int stage_view(struct build *b, struct build_stage *st, struct view **out, kiln_error_t **err);
/* Every layer of the stage unpacked (st->snapshots complete), as a RUN step's rootfs needs. */
int stage_snapshots(struct build *b, struct build_stage *st, kiln_error_t **err);
/* Adds a new layer to the stage's image, extends the cache chain, invalidates the view. */
int stage_add_layer(struct build *b, struct build_stage *st, const char *digest,
                    const char *diff_id, uint64_t size, const char *media_type, kiln_error_t **err);
void stage_release(struct build_stage *st);

#endif
