/* kiln lint [-f FILE] [--format text|json|sarif] [--build-arg K=V] [--build-context NAME=V]
 * [--target STAGE] [--strict] [CONTEXT]: BuildKit's build checks and kiln's static security rules
 * on a Dockerfile, without building. CONTEXT (default ".") is where .dockerignore is read from
 * (CopyIgnoredFile). Exit status: 0 no error (warnings allowed), 1 a finding is an error
 * (error=true in the check directive, --strict, or a rule that is an error by default), 2 bad usage
 * or input. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dockerfile.h"
#include "engine/input.h"
#include "lint/lint.h"
#include "termsafe.h"
#include "util.h"

#define LINT_MAX_BUILD_ARGS 4096

enum lint_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_SARIF };

struct lint_cli {
    const char *file;    /* -f; NULL: CONTEXT/Dockerfile */
    const char *context; /* default "." */
    enum lint_format format;
    struct kiln_kv *build_args;
    size_t nbuild_args;
    char **contexts; /* --build-context names */
    size_t ncontexts;
    struct lint_opts opts;
    void (*on_result)(const struct lint_result *r); /* kiln build --check: on errors */
};

typedef int (*lint_opt_fn)(struct lint_cli *c, const char *v, kiln_error_t **err);

static int opt_file(struct lint_cli *c, const char *v, kiln_error_t **err)
{
    (void)err;
    c->file = v;
    return 0;
}

static int opt_format(struct lint_cli *c, const char *v, kiln_error_t **err)
{
    static const char *const names[] = {"text", "json", "sarif"};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (strcmp(v, names[i]) == 0)
            return c->format = (enum lint_format)i, 0;
    return kiln_err(err, KILN_EUSAGE, 0,
                    "invalid value '%s' for --format: expected text, json "
                    "or sarif",
                    v);
}

static int opt_build_arg(struct lint_cli *c, const char *v, kiln_error_t **err)
{
    const char *eq = strchr(v, '=');
    if (!*v || eq == v)
        return kiln_err(err, KILN_EUSAGE, 0,
                        "invalid value '%s' for --build-arg: expected "
                        "KEY[=VALUE]",
                        v);
    if (c->nbuild_args >= LINT_MAX_BUILD_ARGS)
        return kiln_err(err, KILN_EUSAGE, 0, "too many --build-arg flags");
    char *key = eq ? xstrndup(v, (size_t)(eq - v)) : xstrdup(v);
    const char *env = eq ? NULL : getenv(key);
    c->build_args = xrealloc(c->build_args, (c->nbuild_args + 1) * sizeof(*c->build_args));
    c->build_args[c->nbuild_args++] = (struct kiln_kv){key, eq    ? xstrdup(eq + 1)
                                                            : env ? xstrdup(env)
                                                                  : NULL};
    return 0;
}

/* Only the name matters to the linter: FROM <name> is then not an image. */
static int opt_build_context(struct lint_cli *c, const char *v, kiln_error_t **err)
{
    const char *eq = strchr(v, '=');
    if (!eq || eq == v || !eq[1])
        return kiln_err(err, KILN_EUSAGE, 0,
                        "invalid value '%s' for --build-context: expected "
                        "NAME=VALUE",
                        v);
    if (c->ncontexts >= LINT_MAX_BUILD_ARGS)
        return kiln_err(err, KILN_EUSAGE, 0, "too many --build-context flags");
    strv_push(&c->contexts, &c->ncontexts, xstrndup(v, (size_t)(eq - v)));
    return 0;
}

static int opt_target(struct lint_cli *c, const char *v, kiln_error_t **err)
{
    (void)err;
    c->opts.target = v;
    return 0;
}

/* The target platform: the OS decides how paths read (windows/amd64: "C:\\go" is absolute). */
static int opt_platform(struct lint_cli *c, const char *v, kiln_error_t **err)
{
    const char *slash = strchr(v, '/');
    if (!slash || slash == v || !slash[1] || strchr(v, ','))
        return kiln_err(err, KILN_EUSAGE, 0,
                        "invalid value '%s' for --platform: expected OS/ARCH[/VARIANT]", v);
    c->opts.target_platform = v;
    return 0;
}

static int opt_strict(struct lint_cli *c, const char *v, kiln_error_t **err)
{
    (void)v;
    (void)err;
    c->opts.strict = true;
    return 0;
}

static const struct lint_opt_def {
    struct cli_opt o; /* first: the table is also cli_lint's */
    lint_opt_fn apply;
} opt_defs[] = {
    {{"file", 'f', true, "PATH", "Dockerfile (default CONTEXT/Dockerfile; - for stdin)", "@file"},
     opt_file},
    {{"format", 0, true, "FMT", "text, json or sarif (default text)", "text json sarif"},
     opt_format},
    {{"build-arg", 0, true, "K[=V]",
      "Build argument (K alone: from the environment); BUILDKIT_DOCKERFILE_CHECK=... too", NULL},
     opt_build_arg},
    {{"build-context", 0, true, "NAME=VALUE", "A named context (FROM NAME is then not an image)",
      NULL},
     opt_build_context},
    {{"target", 0, true, "STAGE", "The stage to build (FinalUserRoot)", "@stage"}, opt_target},
    {{"platform", 0, true, "OS/ARCH",
      "Target platform (default linux/amd64; windows/... reads paths as Windows does)",
      "linux/amd64 windows/amd64"},
     opt_platform},
    {{"strict", 0, false, NULL, "Warnings are errors (exit 1)", NULL}, opt_strict},
};

static void lint_usage(FILE *f)
{
    cli_print_help(f, &cli_lint);
}

static const struct lint_opt_def *find_opt(int ch)
{
    for (size_t i = 0; i < ARRAY_SIZE(opt_defs); i++)
        if (ch == 1000 + (int)i || (opt_defs[i].o.short_name && ch == opt_defs[i].o.short_name))
            return &opt_defs[i];
    return NULL;
}

static int parse_args(struct lint_cli *c, int argc, char **argv, kiln_error_t **err)
{
    struct option longs[ARRAY_SIZE(opt_defs) + 2];
    for (size_t i = 0; i < ARRAY_SIZE(opt_defs); i++)
        longs[i] =
            (struct option){opt_defs[i].o.name, opt_defs[i].o.arg ? required_argument : no_argument,
                            NULL, 1000 + (int)i};
    longs[ARRAY_SIZE(opt_defs)] = (struct option){"help", no_argument, NULL, 'h'};
    longs[ARRAY_SIZE(opt_defs) + 1] = (struct option){0};
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "hf:", longs, NULL)) != -1) {
        if (ch == 'h')
            return 1;
        const struct lint_opt_def *d = find_opt(ch);
        if (!d)
            return kiln_err(err, KILN_EUSAGE, 0, "%s: %s",
                            optopt == 'f' ? "flag needs an argument" : "unknown flag",
                            argv[optind - 1]);
        if (d->apply(c, optarg ? optarg : "", err) < 0)
            return -1;
    }
    if (argc - optind > 1)
        return kiln_err(err, KILN_EUSAGE, 0,
                        "\"kiln lint\" takes at most 1 argument (the "
                        "context)");
    c->context = optind < argc ? argv[optind] : ".";
    return 0;
}

static char *render(const struct lint_cli *c, const struct lint_result *r, const char *name,
                    const char *data, size_t len)
{
    switch (c->format) {
    case FORMAT_JSON:
        return lint_output_json(r, name);
    case FORMAT_SARIF:
        return lint_output_sarif(r, name);
    default:
        return lint_output_text(r, name, data, len);
    }
}

/* The Dockerfile and the .dockerignore kiln build would read (input.h); findings name the
 * Dockerfile by its path, as given (SARIF locations are relative to the repository). */
static int run(struct lint_cli *c, int *status, kiln_error_t **err)
{
    struct input_opts io = {c->context, c->file, false};
    __attribute__((cleanup(input_release))) struct input in = {0};
    cleanup_df_file struct df_file *f = NULL;
    if (input_load(&io, &in, err) < 0)
        return -1;
    const char *name = strcmp(in.path, "-") == 0 ? "Dockerfile" : in.path;
    const char *data = in.data;
    size_t len = in.len;
    if (df_parse(name, data, len, &f, err) < 0)
        return -1;
    c->opts.ignore = in.ignore;
    c->opts.build_args = c->build_args;
    c->opts.nbuild_args = c->nbuild_args;
    c->opts.contexts = c->contexts;
    c->opts.ncontexts = c->ncontexts;
    struct lint_result r;
    int rc = lint_run(f, &c->opts, &r, err);
    if (rc == 0) {
        cleanup_free char *out = render(c, &r, name, data, len);
        /* text quotes the Dockerfile: no escape sequence of it reaches the terminal */
        cleanup_free char *safe =
            c->format == FORMAT_TEXT ? termsafe_escape(out, strlen(out)) : NULL;
        fputs(safe ? safe : out, stdout);
        *status = lint_result_errors(&r) > 0 ? 1 : 0;
        if (*status && c->on_result)
            c->on_result(&r);
        lint_result_release(&r);
    }
    return rc;
}

/* BuildKit's "lint violation found for rules: A, B" for the error-level findings. */
static void print_violation(const struct lint_result *r)
{
    if (r->build_error)
        fprintf(stderr, "kiln: %s\n", r->build_error);
    bool seen[LINT_RULE_COUNT] = {false};
    const char *sep = "";
    size_t rules = 0;
    for (size_t i = 0; i < r->n; i++)
        rules += r->v[i].level == LINT_ERROR;
    if (!rules)
        return;
    fputs("kiln: lint violation found for rules: ", stderr);
    for (size_t i = 0; i < r->n; i++) {
        if (r->v[i].level != LINT_ERROR || seen[r->v[i].rule->id])
            continue;
        seen[r->v[i].rule->id] = true;
        fprintf(stderr, "%s%s", sep, r->v[i].rule->name);
        sep = ", ";
    }
    fputc('\n', stderr);
}

int cli_check(const struct cli_check_req *q, int *status, kiln_error_t **err)
{
    struct lint_cli c = {.file = q->dockerfile, .context = q->context ? q->context : "."};
    c.opts.target = q->target;
    c.opts.strict = q->strict;
    c.build_args = xcalloc(q->nbuild_args + 1, sizeof(*c.build_args));
    for (size_t i = 0; i < q->nbuild_args; i++) {
        const char *v =
            q->build_args[i].value ? q->build_args[i].value : getenv(q->build_args[i].key);
        c.build_args[c.nbuild_args++] = (struct kiln_kv){q->build_args[i].key, (char *)v};
    }
    c.contexts = (char **)q->contexts;
    c.ncontexts = q->ncontexts;
    c.on_result = print_violation;
    int rc = run(&c, status, err);
    free(c.build_args);
    return rc;
}

int cmd_lint(int argc, char **argv)
{
    struct lint_cli c = {.format = FORMAT_TEXT};
    kiln_error_t *err = NULL;
    int status = 0;
    int r = parse_args(&c, argc, argv, &err);
    if (r == 0)
        r = run(&c, &status, &err);
    for (size_t i = 0; i < c.nbuild_args; i++)
        free(c.build_args[i].key), free(c.build_args[i].value);
    free(c.build_args);
    strv_free(c.contexts);
    if (r > 0) {
        lint_usage(stdout);
        return 0;
    }
    if (r < 0 && err->code == KILN_EUSAGE) {
        int st = cli_usage_error("lint", "%s", err->msg);
        kiln_error_free(err);
        return st;
    }
    if (r < 0) {
        cli_fail(err);
        return 2; /* bad input: the Dockerfile, the .dockerignore or a check option */
    }
    return fflush(stdout) == 0 ? status : 2;
}

const struct cli_command cli_lint = {
    .name = "lint",
    .summary = "Check a Dockerfile (BuildKit's build checks and kiln's security rules)",
    .usage = "kiln lint [OPTIONS] [CONTEXT]",
    .description =
        "Check a Dockerfile with BuildKit's build checks and kiln's security rules, without "
        "building. CONTEXT (default .) holds the .dockerignore. \"# check=error=true\" makes "
        "BuildKit's checks errors; --strict makes every finding one.\n\nExit status: 0 no "
        "errors (warnings allowed), 1 an error was found, 2 bad usage or input.",
    .opts = opt_defs,
    .nopts = ARRAY_SIZE(opt_defs),
    .stride = sizeof(opt_defs[0]),
    .args_complete = "@dir",
    .run = cmd_lint,
};
