/* Shared by the files of the instruction layer (BuildKit's instructions package). */
#ifndef KILN_FRONTEND_INSTR_INTERNAL_H
#define KILN_FRONTEND_INSTR_INTERNAL_H

#include <stddef.h>

#include "ast.h"
#include "dockerfile.h"
#include "kiln/error.h"

/* Converts one syntax-tree node into a validated instruction (ParseInstruction). Errors are
 * KILN_EINPUT with BuildKit's words and no location. On error *out is released. */
int instr_from_node(const struct df_node *nd, char escape, struct df_warning **warnings,
                    size_t *nwarnings, struct df_instr *out, kiln_error_t **err);
/* Frees what an instruction owns (not the struct itself). */
void instr_release(struct df_instr *in);

/* HEALTHCHECK: args are the node's (type word first); fills in->health and in->args. */
int healthcheck_parse(struct df_instr *in, kiln_error_t **err);

/* RUN --device value. */
int device_parse(const char *spec, struct df_device *out, kiln_error_t **err);

/* Appends a warning to a vector. */
void warning_add(struct df_warning **v, size_t *n, int line, const char *rule, char *msg);

#endif
