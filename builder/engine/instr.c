/* Errors at an instruction (instr.h). */
#include <stdarg.h>

#include "build.h"
#include "instr.h"

int instr_wrap(struct build *b, const struct df_instr *in, kiln_error_t **err)
{
    return kiln_err_wrap(err, "%s:%d: %s", b->input.src.name, in->line, df_cmd_name(in->cmd));
}

int instr_err(struct build *b, const struct df_instr *in, kiln_error_t **err, enum kiln_code code,
              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kiln_verr(err, code, 0, fmt, ap);
    va_end(ap);
    return instr_wrap(b, in, err);
}
