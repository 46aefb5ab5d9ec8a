/* kiln lint [-f FILE] [--format text|json|sarif] [--build-arg K=V] [--build-context NAME=V]
 * [--target STAGE] [--strict] [CONTEXT]: BuildKit's build checks and kiln's static security rules
 * on a Dockerfile, without building. CONTEXT (default ".") is where .dockerignore is read from
 * (CopyIgnoredFile). Exit status: 0 no error (warnings allowed), 1 a finding is an error
 * (error=true in the check directive, --strict, or a rule that is an error by default), 2 bad usage
 * or input. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "kiln/kiln.h"
#include "termsafe.h"
#include "util.h"

#define LINT_MAX_BUILD_ARGS 4096

struct lint_cli {
    struct kiln_lint_opts o;
    struct kiln_kv *build_args; /* owned: what o points to */
    size_t nbuild_args;
    char **contexts; /* --build-context names */
    size_t ncontexts;
};

typedef int (*lint_opt_fn)(struct lint_cli *c, const char *v, kiln_error_t **err);

static int opt_file(struct lint_cli *c, const char *v, kiln_error_t **err)
{
    (void)err;
    c->o.dockerfile = v;
    return 0;
}

static int opt_format(struct lint_cli *c, const char *v, kiln_error_t **err)
{
    static const char *const names[] = {
        [KILN_LINT_TEXT] = "text", [KILN_LINT_JSON] = "json", [KILN_LINT_SARIF] = "sarif"};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (strcmp(v, names[i]) == 0)
            return c->o.format = (enum kiln_lint_format)i, 0;
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
    c->build_args = xrealloc(c->build_args, (c->nbuild_args + 1) * sizeof(*c->build_args));
    /* K alone: kiln_lint takes the environment's value */
    c->build_args[c->nbuild_args++] = (struct kiln_kv){key, eq ? xstrdup(eq + 1) : NULL};
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
    c->o.target = v;
    return 0;
}

/* The target platform: the OS decides how paths read (windows/amd64: "C:\\go" is absolute). */
static int opt_platform(struct lint_cli *c, const char *v, kiln_error_t **err)
{
    const char *slash = strchr(v, '/');
    if (!slash || slash == v || !slash[1] || strchr(v, ','))
        return kiln_err(err, KILN_EUSAGE, 0,
                        "invalid value '%s' for --platform: expected OS/ARCH[/VARIANT]", v);
    c->o.platform = v;
    return 0;
}

static int opt_strict(struct lint_cli *c, const char *v, kiln_error_t **err)
{
    (void)v;
    (void)err;
    c->o.strict = true;
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

static int lint_apply(void *state, size_t i, const char *v, kiln_error_t **err)
{
    return opt_defs[i].apply(state, v, err);
}

static int parse_args(struct lint_cli *c, int argc, char **argv, kiln_error_t **err)
{
    int first;
    int r = cli_parse_args(&cli_lint, argc, argv, c, &first, err);
    if (r != 0)
        return r;
    c->o.context = first < argc ? argv[first] : ".";
    c->o.build_args = c->build_args;
    c->o.nbuild_args = c->nbuild_args;
    c->o.contexts = c->contexts;
    c->o.ncontexts = c->ncontexts;
    return 0;
}

/* BuildKit's "lint violation found for rules: A, B" for the error-level findings. */
static void print_violation(const struct kiln_lint_result *r)
{
    fputs("kiln: lint violation found for rules: ", stderr);
    for (size_t i = 0; i < r->nerror_rules; i++)
        fprintf(stderr, "%s%s", i ? ", " : "", r->error_rules[i]);
    fputc('\n', stderr);
}

int cli_lint_report(const struct kiln_lint_opts *o, bool violation, int *status, kiln_error_t **err)
{
    struct kiln_lint_result r;
    if (kiln_lint(o, &r, err) < 0)
        return -1;
    /* text quotes the Dockerfile: no escape sequence of it reaches the terminal */
    cleanup_free char *safe =
        o->format == KILN_LINT_TEXT ? termsafe_escape(r.report, strlen(r.report)) : NULL;
    fputs(safe ? safe : r.report, stdout);
    *status = r.errors > 0 ? 1 : 0;
    if (*status && violation)
        print_violation(&r);
    kiln_lint_result_release(&r);
    return 0;
}

int cmd_lint(int argc, char **argv)
{
    struct lint_cli c = {0};
    kiln_error_t *err = NULL;
    int status = 0;
    int r = parse_args(&c, argc, argv, &err);
    if (r == 0)
        r = cli_lint_report(&c.o, false, &status, &err);
    for (size_t i = 0; i < c.nbuild_args; i++)
        free(c.build_args[i].key), free(c.build_args[i].value);
    free(c.build_args);
    strv_free(c.contexts);
    if (r > 0 || (r < 0 && err->code == KILN_EUSAGE))
        return cli_parse_failed(&cli_lint, r, err);
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
    .apply = lint_apply,
    .min_args = 0,
    .max_args = 1,
    .args_what = "the context",
    .args_complete = "@dir",
    .run = cmd_lint,
};
