/* Instruction flags with the rules and words of BuildKit's BFlags: every flag an instruction
 * takes is declared with a type; unknown, duplicate, valueless and non-boolean flags are
 * errors. Internal to the frontend. */
#ifndef KILN_FRONTEND_FLAGS_H
#define KILN_FRONTEND_FLAGS_H

#include <stdbool.h>
#include <stddef.h>

#include "dockerfile.h"
#include "kiln/error.h"

enum flag_type { FLAG_BOOL, FLAG_STRING, FLAG_STRINGS };

struct flag_spec {
    const char *name;
    enum flag_type type;
};

/* Splits "--name[=value]" words into df_flags (value NULL without '='). */
void flags_split(char *const *words, size_t n, struct df_flag **out, size_t *nout);
void flags_free(struct df_flag *f, size_t n);

/* BFlags.Parse: validates flags against specs. Errors are KILN_EINPUT with BuildKit's words. */
int flags_check(const struct df_flag *flags, size_t n, const struct flag_spec *specs, size_t nspecs,
                kiln_error_t **err);

/* A validated boolean flag: its value, or def when absent. */
bool flags_bool(const struct df_flag *flags, size_t n, const char *name, bool def);
/* A validated boolean flag as -1 (absent), 0 or 1. */
int flags_tristate(const struct df_flag *flags, size_t n, const char *name);

/* strconv.ParseBool. */
int flags_parse_bool(const char *s, bool *out);

#endif
