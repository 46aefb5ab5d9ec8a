/* kiln lint and kiln build --check (kiln/dockerfile.h): the Dockerfile and its .dockerignore
 * read by the one input loader (input.h), linted by the frontend (frontend/lint/), the findings
 * rendered. */
#include <stdlib.h>
#include <string.h>

#include "dockerfile.h"
#include "input.h"
#include "kiln/dockerfile.h"
#include "lint/lint.h"
#include "util.h"

static char *render(enum kiln_lint_format format, const struct lint_result *r, const char *name,
                    const char *data, size_t len, kiln_error_t **err)
{
    switch (format) {
    case KILN_LINT_JSON:
        return lint_output_json(r, name);
    case KILN_LINT_SARIF:
        return lint_output_sarif(r, name);
    default:
        return lint_output_text(r, name, data, len, err);
    }
}

/* BuildKit's "lint violation found for rules: A, B": the error-level rules, each once. */
static void error_rules(const struct lint_result *r, struct kiln_lint_result *out)
{
    bool seen[LINT_RULE_COUNT] = {false};
    for (size_t i = 0; i < r->n; i++) {
        if (r->v[i].level != LINT_ERROR || seen[r->v[i].rule->id])
            continue;
        seen[r->v[i].rule->id] = true;
        strv_push(&out->error_rules, &out->nerror_rules, xstrdup(r->v[i].rule->name));
    }
}

/* A build argument given without a value takes the environment's, when set. */
static struct kiln_kv *resolve_args(const struct kiln_lint_opts *o)
{
    struct kiln_kv *kv = xcalloc(o->nbuild_args + 1, sizeof(*kv));
    for (size_t i = 0; i < o->nbuild_args; i++) {
        const char *v =
            o->build_args[i].value ? o->build_args[i].value : getenv(o->build_args[i].key);
        kv[i] = (struct kiln_kv){o->build_args[i].key, (char *)v};
    }
    return kv;
}

static int lint_input(const struct kiln_lint_opts *o, const struct input *in,
                      struct kiln_lint_result *out, kiln_error_t **err)
{
    const char *name = strcmp(in->path, "-") == 0 ? "Dockerfile" : in->path;
    cleanup_df_file struct df_file *f = NULL;
    if (df_parse(name, in->data, in->len, &f, err) < 0)
        return -1;
    cleanup_free struct kiln_kv *args = resolve_args(o);
    struct lint_opts lo = {.ignore = in->ignore,
                           .build_args = args,
                           .nbuild_args = o->nbuild_args,
                           .target = o->target,
                           .contexts = o->contexts,
                           .ncontexts = o->ncontexts,
                           .target_platform = o->platform,
                           .strict = o->strict};
    struct lint_result r;
    if (lint_run(f, &lo, &r, err) < 0)
        return -1;
    out->report = render(o->format, &r, name, in->data, in->len, err);
    out->errors = lint_result_errors(&r);
    out->warnings = r.n - out->errors;
    error_rules(&r, out);
    lint_result_release(&r);
    return out->report ? 0 : -1;
}

int kiln_lint(const struct kiln_lint_opts *o, struct kiln_lint_result *r, kiln_error_t **err)
{
    memset(r, 0, sizeof(*r));
    struct input_opts io = {o->context ? o->context : ".", o->dockerfile, false};
    __attribute__((cleanup(input_release))) struct input in = {0};
    if (input_load(&io, &in, err) < 0 || lint_input(o, &in, r, err) < 0) {
        kiln_lint_result_release(r);
        return -1;
    }
    return 0;
}

void kiln_lint_result_release(struct kiln_lint_result *r)
{
    free(r->report);
    strv_free(r->error_rules);
    memset(r, 0, sizeof(*r));
}
