/* kiln parse: replaced by the frontend's dump (BuildKit's Node.Dump format). */
#include <stdio.h>

#include "commands.h"

int cmd_parse(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "kiln parse: not supported yet\n");
    return 2;
}
