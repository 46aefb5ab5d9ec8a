/* The instructions (dispatch.c): one function per instruction, looked up by df_cmd. The
 * instructions that change only the image config are in dispatch.c; COPY and ADD in copy_instr.c,
 * RUN in run.c. Errors name the instruction (instr.h). */
#ifndef KILN_ENGINE_DISPATCH_H
#define KILN_ENGINE_DISPATCH_H

#include "dockerfile.h"
#include "kiln/error.h"

struct build;
struct build_stage;

typedef int (*dispatch_fn)(struct build *b, struct build_stage *st, const struct df_instr *in,
                           kiln_error_t **err);
dispatch_fn dispatch_lookup(enum df_cmd cmd);

/* copy_instr.c */
int copy_instr(struct build *b, struct build_stage *st, const struct df_instr *in,
               kiln_error_t **err);
/* run.c */
int run_instr(struct build *b, struct build_stage *st, const struct df_instr *in,
              kiln_error_t **err);

#endif
