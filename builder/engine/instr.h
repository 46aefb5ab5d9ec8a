/* Errors at an instruction (instr.c): "Dockerfile:LINE: INSTR: message", as BuildKit words
 * them. */
#ifndef KILN_ENGINE_INSTR_H
#define KILN_ENGINE_INSTR_H

#include "dockerfile.h"
#include "kiln/error.h"

struct build;

/* Raises "Dockerfile:LINE: INSTR: msg" for an instruction. */
int instr_err(struct build *b, const struct df_instr *in, kiln_error_t **err, enum kiln_code code,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Wraps *err with "Dockerfile:LINE: INSTR". */
int instr_wrap(struct build *b, const struct df_instr *in, kiln_error_t **err);

#endif
