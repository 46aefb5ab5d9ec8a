/* The table of Dockerfiles in testdata/lint/: each case directory holds a Dockerfile, an
 * `expect` file, and optionally a .dockerignore and an `args` file.
 *
 * expect: one finding per line, "Rule LINE [text the message contains]"; the findings must be
 * exactly these (so a clean Dockerfile has an empty expect file and any false positive fails).
 * "!Rule" asserts the rule never fires; "@errors N" the number of findings at level error.
 * args: one per line, "K=V" (a build argument), "--strict", "--target=STAGE",
 * "--platform=OS/ARCH" or "--context=NAME" (a named build context). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "dockerfile.h"
#include "dockerignore.h"
#include "lint/lint.h"
#include "util.h"

#define CASES KILN_SOURCE_DIR "/testdata/lint"

static char *slurp(const char *dir, const char *name, size_t *len)
{
    cleanup_free char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *data = xmalloc(1u << 20);
    *len = fread(data, 1, (1u << 20) - 1, f);
    data[*len] = '\0';
    fclose(f);
    return data;
}

struct expectation {
    char rule[64];
    int line;
    char text[512];
    bool negative, matched;
};

struct case_opts {
    struct kiln_kv args[32];
    size_t nargs;
    char *contexts[8];
    size_t ncontexts;
    struct lint_opts o;
};

/* The next line of *text (NUL-terminated in place), or NULL at the end. */
static char *next_line(char **text)
{
    if (!*text || !**text)
        return NULL;
    char *line = *text, *nl = strchr(line, '\n');
    *text = nl ? nl + 1 : NULL;
    if (nl)
        *nl = '\0';
    return line;
}

static void parse_args(char *text, struct case_opts *co)
{
    for (char *line; (line = next_line(&text));) {
        if (strcmp(line, "--strict") == 0) {
            co->o.strict = true;
        } else if (str_has_prefix(line, "--target=")) {
            co->o.target = xstrdup(line + strlen("--target="));
        } else if (str_has_prefix(line, "--platform=")) {
            co->o.target_platform = xstrdup(line + strlen("--platform="));
        } else if (str_has_prefix(line, "--context=") && co->ncontexts < 8) {
            co->contexts[co->ncontexts++] = xstrdup(line + strlen("--context="));
        } else if (co->nargs < 32) {
            char *eq = strchr(line, '=');
            co->args[co->nargs].key = eq ? xstrndup(line, (size_t)(eq - line)) : xstrdup(line);
            co->args[co->nargs++].value = eq ? xstrdup(eq + 1) : NULL;
        }
    }
    co->o.build_args = co->args;
    co->o.nbuild_args = co->nargs;
    co->o.contexts = co->contexts;
    co->o.ncontexts = co->ncontexts;
}

static size_t parse_expect(char *text, struct expectation *ex, size_t max, long *errors)
{
    size_t n = 0;
    for (char *line; n < max && (line = next_line(&text));) {
        if (line[0] == '#' || !line[0])
            continue;
        if (sscanf(line, "@errors %ld", errors) == 1)
            continue;
        struct expectation *e = &ex[n++];
        memset(e, 0, sizeof(*e));
        e->negative = line[0] == '!';
        int off = 0;
        sscanf(line + e->negative, "%63s %d %n", e->rule, &e->line, &off);
        if (off > 0)
            snprintf(e->text, sizeof(e->text), "%s", line + e->negative + off);
    }
    return n;
}

static bool satisfies(const struct expectation *e, const struct lint_finding *f)
{
    return !e->negative && !e->matched && strcmp(e->rule, f->rule->name) == 0 &&
           e->line == f->line && strstr(f->message, e->text);
}

static void check_findings(const char *name, const struct lint_result *r, struct expectation *ex,
                           size_t n, long errors)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct lint_finding *f = &r->v[i];
        bool ok = false;
        for (size_t k = 0; k < n && !ok; k++)
            if (satisfies(&ex[k], f))
                ex[k].matched = ok = true;
        for (size_t k = 0; k < n; k++)
            cr_expect(!(ex[k].negative && strcmp(ex[k].rule, f->rule->name) == 0),
                      "%s: %s must not fire (line %d: %s)", name, f->rule->name, f->line,
                      f->message);
        cr_expect(ok, "%s: unexpected finding %s %d %s", name, f->rule->name, f->line, f->message);
    }
    for (size_t k = 0; k < n; k++)
        cr_expect(ex[k].negative || ex[k].matched, "%s: missing finding %s %d %s", name, ex[k].rule,
                  ex[k].line, ex[k].text);
    if (errors >= 0)
        cr_expect_eq((long)lint_result_errors(r), errors, "%s: %zu errors, expected %ld", name,
                     lint_result_errors(r), errors);
}

static void run_case(const char *name)
{
    cleanup_free char *dir = xasprintf("%s/%s", CASES, name);
    size_t len = 0, ilen = 0, alen = 0, elen = 0;
    cleanup_free char *df = slurp(dir, "Dockerfile", &len);
    cleanup_free char *ig_text = slurp(dir, ".dockerignore", &ilen);
    cleanup_free char *args = slurp(dir, "args", &alen);
    cleanup_free char *expect = slurp(dir, "expect", &elen);
    cr_assert(df && expect, "%s: Dockerfile and expect are required", name);
    struct df_file *f = NULL;
    struct dockerignore *ig = NULL;
    kiln_error_t *err = NULL;
    cr_assert_eq(df_parse("Dockerfile", df, len, &f, &err), 0, "%s: %s", name, err ? err->msg : "");
    if (ig_text)
        cr_assert_eq(dockerignore_parse(".dockerignore", ig_text, ilen, &ig, &err), 0);
    struct case_opts co = {.o = {.ignore = ig}};
    if (args)
        parse_args(args, &co);
    struct expectation ex[64];
    long errors = -1;
    size_t n = parse_expect(expect, ex, 64, &errors);
    struct lint_result r;
    cr_assert_eq(lint_run(f, &co.o, &r, &err), 0, "%s: %s", name, err ? err->msg : "");
    check_findings(name, &r, ex, n, errors);
    lint_result_release(&r);
    for (size_t i = 0; i < co.nargs; i++)
        free(co.args[i].key), free(co.args[i].value);
    for (size_t i = 0; i < co.ncontexts; i++)
        free(co.contexts[i]);
    free((char *)co.o.target);
    free((char *)co.o.target_platform);
    dockerignore_free(ig);
    df_file_free(f);
}

static int is_case(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

Test(lint_cases, every_testdata_case_gives_exactly_its_findings)
{
    struct dirent **list = NULL;
    int n = scandir(CASES, &list, is_case, alphasort);
    cr_assert_gt(n, 50, "testdata/lint has %d cases", n);
    for (int i = 0; i < n; i++) {
        run_case(list[i]->d_name);
        free(list[i]);
    }
    free(list);
}
