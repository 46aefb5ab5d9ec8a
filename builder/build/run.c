/* RUN: executes a command in the sandbox and turns its changes into a layer. */
#include "build.h"

int dispatch_run(struct build *b, struct build_stage *st, const struct df_instr *in,
                 kiln_error_t **err)
{
    (void)st;
    return instr_err(b, in, err, KILN_EUNSUPPORTED,
                     "RUN is not supported yet (the sandbox is being built)");
}
