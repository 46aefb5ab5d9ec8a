#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "kiln/kiln.h"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "version") == 0) {
        printf("kiln %s\n", KILN_VERSION);
        return 0;
    }
    /* Temporary on the frontend branch: the lead wires the command table in main. */
    if (argc > 1 && strcmp(argv[1], "parse") == 0)
        return cmd_parse(argc - 1, argv + 1);
    fprintf(stderr, "kiln: not implemented yet\n");
    return 2;
}
