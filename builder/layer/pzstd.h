/* Parallel zstd whose output does not depend on the number of cores.
 *
 * libzstd's own workers compress jobs of PZSTD_JOB bytes in parallel; with one worker or more
 * its frames are the same bytes whatever the number of workers (only its single-threaded mode,
 * zero workers, differs), so kiln always asks for at least one. The job size bounds the
 * memory: a few MiB at the default level, however large the layer. One frame, without the
 * content size (the stream's length is not known in advance) and without a checksum (the
 * layer's digest covers it), as containerd and BuildKit write them.
 *
 * The output callback runs in the caller's thread, in order. */
#ifndef KILN_LAYER_PZSTD_H
#define KILN_LAYER_PZSTD_H

#include <stddef.h>

#include "kiln/error.h"

#define PZSTD_JOB           (1u << 20)
#define PZSTD_MAX_THREADS   8
#define PZSTD_DEFAULT_LEVEL 3
#define PZSTD_MAX_LEVEL     22

/* Receives compressed bytes in order; returns 0, or -1 after raising *err. */
typedef int (*pzstd_emit_fn)(void *ctx, const void *p, size_t n, kiln_error_t **err);

struct pzstd;

/* level 1-22 (0 or less: PZSTD_DEFAULT_LEVEL); threads 0: one per online core (at most
 * PZSTD_MAX_THREADS). */
int pzstd_new(int level, unsigned threads, pzstd_emit_fn emit, void *ctx, struct pzstd **out,
              kiln_error_t **err);
int pzstd_write(struct pzstd *z, const void *p, size_t n, kiln_error_t **err);
/* Ends the frame. The stream is done afterwards. */
int pzstd_finish(struct pzstd *z, kiln_error_t **err);
/* Stops the workers and frees z (finished or not). NULL is fine. */
void pzstd_free(struct pzstd *z);

#endif
