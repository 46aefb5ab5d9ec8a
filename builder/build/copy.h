/* COPY and ADD: selecting sources and writing them into a new layer. */
#ifndef KILN_BUILD_COPY_H
#define KILN_BUILD_COPY_H

#include <sys/stat.h>

#include "build.h"
#include "layer/layer_writer.h"
#include "strset.h"

struct copy_job {
    struct build *b;
    struct build_stage *st;
    const struct df_instr *in;
    bool is_add;
    struct view *src;        /* where sources come from */
    bool src_is_context;     /* the main context: .dockerignore applies */
    struct view *dest;       /* the stage's rootfs */
    struct layer_writer *w;
    bool chown;
    uint32_t uid, gid;
    bool chmod;
    unsigned mode;
    struct strset emitted;   /* directories already in the layer */
    size_t count;
};

/* Writes a parent chain of target (an absolute canonical path): every directory missing in
 * the image and not yet in the layer, as 0755 owned by the --chown owner. */
int copy_parents(struct copy_job *j, const char *target, kiln_error_t **err);
/* Copies the source path (canonical in j->src, with its stat) to the image path target. */
int copy_tree(struct copy_job *j, const char *src, const struct stat *st, const char *target,
              kiln_error_t **err);
/* ADD of a local archive: if src is a tar (plain, gzip, bzip2, xz), extracts it under target
 * and returns 1; returns 0 when it is not an archive. */
int copy_extract_archive(struct copy_job *j, const char *src, const char *target,
                         kiln_error_t **err);

#endif
