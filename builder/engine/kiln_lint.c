/* kiln lint and kiln build --check (kiln/dockerfile.h): the Dockerfile and its .dockerignore
 * read, parsed and linted by the frontend (frontend/lint/), the findings rendered. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dockerfile.h"
#include "fsutil.h"
#include "kiln/dockerfile.h"
#include "lint/lint.h"
#include "util.h"

static int read_dockerfile(const char *path, char **data, size_t *len, kiln_error_t **err)
{
    int rc = strcmp(path, "-") == 0
                 ? read_fd_limited(STDIN_FILENO, DF_MAX_FILE_SIZE, data, len, err)
                 : read_file_limited(AT_FDCWD, path, DF_MAX_FILE_SIZE, data, len, err);
    if (rc < 0 && (*err)->code == KILN_ELIMIT)
        return kiln_err(err, KILN_ELIMIT, 0, "Dockerfile '%s' is larger than %u bytes", path,
                        DF_MAX_FILE_SIZE);
    return rc < 0 ? kiln_err_wrap(err, "failed to read Dockerfile") : 0;
}

/* <Dockerfile>.dockerignore beats CONTEXT/.dockerignore; none is fine. */
static int read_ignore(const char *context, const char *dfpath, struct dockerignore **out,
                       kiln_error_t **err)
{
    cleanup_free char *own = dockerignore_specific_path(dfpath);
    cleanup_free char *def = xasprintf("%s/%s", context, DOCKERIGNORE_DEFAULT);
    const char *pick = own && access(own, F_OK) == 0 ? own : def;
    if (access(pick, F_OK) != 0)
        return 0;
    cleanup_free char *data = NULL;
    size_t len;
    if (read_file_limited(AT_FDCWD, pick, DOCKERIGNORE_MAX_SIZE, &data, &len, err) < 0)
        return -1;
    const char *base = strrchr(pick, '/');
    return dockerignore_parse(base ? base + 1 : pick, data, len, out, err);
}

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

static int lint_file(const struct kiln_lint_opts *o, const char *path, struct kiln_lint_result *out,
                     kiln_error_t **err)
{
    struct dockerignore *ig = NULL;
    const char *name = strcmp(path, "-") == 0 ? "Dockerfile" : path;
    cleanup_free char *data = NULL;
    size_t len = 0;
    cleanup_df_file struct df_file *f = NULL;
    if (read_dockerfile(path, &data, &len, err) < 0 || df_parse(name, data, len, &f, err) < 0 ||
        read_ignore(o->context ? o->context : ".", path, &ig, err) < 0) {
        dockerignore_free(ig);
        return -1;
    }
    cleanup_free struct kiln_kv *args = resolve_args(o);
    struct lint_opts lo = {.ignore = ig,
                           .build_args = args,
                           .nbuild_args = o->nbuild_args,
                           .target = o->target,
                           .contexts = o->contexts,
                           .ncontexts = o->ncontexts,
                           .target_platform = o->platform,
                           .strict = o->strict};
    struct lint_result r;
    int rc = lint_run(f, &lo, &r, err);
    dockerignore_free(ig);
    if (rc < 0)
        return -1;
    out->report = render(o->format, &r, name, data, len, err);
    out->errors = lint_result_errors(&r);
    out->warnings = r.n - out->errors;
    error_rules(&r, out);
    lint_result_release(&r);
    return out->report ? 0 : -1;
}

int kiln_lint(const struct kiln_lint_opts *o, struct kiln_lint_result *r, kiln_error_t **err)
{
    memset(r, 0, sizeof(*r));
    cleanup_free char *path = o->dockerfile
                                  ? xstrdup(o->dockerfile)
                                  : xasprintf("%s/Dockerfile", o->context ? o->context : ".");
    if (lint_file(o, path, r, err) < 0) {
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
