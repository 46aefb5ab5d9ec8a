/* The commands' option tables read with getopt_long: one parser for every command. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util.h"

#define CLI_OPT_BASE  1000 /* getopt_long's value for option i is CLI_OPT_BASE + i */
#define CLI_MAX_OPTS  128
#define CLI_MAX_SHORT (2 * CLI_MAX_OPTS + 4)

/* ":h" then each short name, with ':' when it takes a value (the leading ':' makes getopt
 * report a missing value apart from an unknown flag). */
static void short_names(const struct cli_command *c, char *out)
{
    size_t n = 0;
    out[n++] = ':';
    out[n++] = 'h';
    for (size_t i = 0; i < c->nopts; i++) {
        const struct cli_opt *o = cli_command_opt(c, i);
        if (!o->short_name)
            continue;
        out[n++] = o->short_name;
        if (o->arg)
            out[n++] = ':';
    }
    out[n] = '\0';
}

static void long_names(const struct cli_command *c, struct option *out)
{
    for (size_t i = 0; i < c->nopts; i++) {
        const struct cli_opt *o = cli_command_opt(c, i);
        out[i] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL,
                                 CLI_OPT_BASE + (int)i};
    }
    out[c->nopts] = (struct option){"help", no_argument, NULL, 'h'};
    out[c->nopts + 1] = (struct option){0};
}

/* The table index of what getopt_long returned, or -1. */
static int opt_index(const struct cli_command *c, int ch)
{
    if (ch >= CLI_OPT_BASE && ch < CLI_OPT_BASE + (int)c->nopts)
        return ch - CLI_OPT_BASE;
    for (size_t i = 0; ch > 0 && ch < 256 && i < c->nopts; i++)
        if (cli_command_opt(c, i)->short_name == ch)
            return (int)i;
    return -1;
}

static int bad_flag(int ch, char **argv, kiln_error_t **err)
{
    const char *what = ch == ':' ? "flag needs an argument" : "unknown flag";
    if (optopt > 0 && optopt < 256)
        return kiln_err(err, KILN_EUSAGE, 0, "%s: -%c", what, optopt);
    return kiln_err(err, KILN_EUSAGE, 0, "%s: %s", what, argv[optind - 1]);
}

static int check_count(const struct cli_command *c, int n, kiln_error_t **err)
{
    if (n >= c->min_args && (c->max_args < 0 || n <= c->max_args))
        return 0;
    const char *what = c->args_what ? c->args_what : "";
    const char *open = c->args_what ? " (" : "", *close = c->args_what ? ")" : "";
    if (c->max_args == 0)
        return kiln_err(err, KILN_EUSAGE, 0, "\"kiln %s\" accepts no arguments", c->name);
    if (c->min_args == c->max_args)
        return kiln_err(err, KILN_EUSAGE, 0, "\"kiln %s\" requires exactly %d argument%s%s%s%s",
                        c->name, c->min_args, c->min_args == 1 ? "" : "s", open, what, close);
    if (c->max_args > 0 && n > c->max_args)
        return kiln_err(err, KILN_EUSAGE, 0, "\"kiln %s\" takes at most %d argument%s%s%s%s",
                        c->name, c->max_args, c->max_args == 1 ? "" : "s", open, what, close);
    return kiln_err(err, KILN_EUSAGE, 0, "\"kiln %s\" requires at least %d argument%s%s%s%s",
                    c->name, c->min_args, c->min_args == 1 ? "" : "s", open, what, close);
}

int cli_parse_args(const struct cli_command *c, int argc, char **argv, void *state, int *first,
                   kiln_error_t **err)
{
    if (c->nopts > CLI_MAX_OPTS)
        return kiln_err(err, KILN_EINTERNAL, 0, "kiln %s: too many options", c->name);
    struct option longs[CLI_MAX_OPTS + 2];
    char shorts[CLI_MAX_SHORT];
    long_names(c, longs);
    short_names(c, shorts);
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        if (ch == 'h')
            return 1;
        int i = opt_index(c, ch);
        if (i < 0)
            return bad_flag(ch, argv, err);
        if (c->apply(state, (size_t)i, optarg ? optarg : "", err) < 0)
            return -1;
    }
    *first = optind;
    return check_count(c, argc - optind, err);
}

int cli_parse_failed(const struct cli_command *c, int r, kiln_error_t *err)
{
    if (r > 0) {
        cli_print_help(stdout, c);
        return 0;
    }
    if (err && err->code == KILN_EUSAGE) {
        int st = cli_usage_error(c->name, "%s", err->msg);
        kiln_error_free(err);
        return st;
    }
    return cli_fail(err);
}
