/* What kiln build prints when it succeeded: the digest the output's name points to, or with -q
 * the image ID (kiln_build_image_id); the library writes --iidfile and --metadata-file
 * (kiln_build_report_write). Nothing when the output itself goes to stdout. */
#include <stdio.h>

#include "build_cli.h"
#include "util.h"

int cli_result_report(const struct build_cli *c, const struct kiln_build_result *res,
                      kiln_error_t **err)
{
    if (!cli_output_to_stdout(&c->o.output) && *res->exported_digest)
        printf("%s\n", c->quiet ? kiln_build_image_id(res) : res->exported_digest);
    return kiln_build_report_write(&c->report, &c->o, res, err);
}
