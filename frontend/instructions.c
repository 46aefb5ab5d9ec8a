/* stub, replaced below */
#include <string.h>
#include "ast.h"
#include "dockerfile.h"
#include "util.h"
const char *df_cmd_name(enum df_cmd cmd)
{
    (void)cmd;
    return "?";
}
const char *df_instr_flag(const struct df_instr *in, const char *name, bool *present)
{
    (void)in, (void)name, (void)present;
    return NULL;
}
void df_file_free(struct df_file *f)
{
    free(f);
}
int df_parse(const char *name, const char *data, size_t len, struct df_file **out,
             kiln_error_t **err)
{
    (void)name, (void)data, (void)len, (void)out;
    return kiln_err(err, KILN_EUNSUPPORTED, 0, "todo");
}
