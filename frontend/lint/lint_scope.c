/* Sets of names, and expansion that records which variables it found set or unset (BuildKit's
 * ProcessWordWithMatches) for FROM and --platform in the global scope; a stage's variables are
 * the frontend's scope (expand.h). */
#include <string.h>

#include "frontend/lint/lint_internal.h"
#include "frontend/shell.h"
#include "util.h"

void lint_names_add(struct lint_names *s, const char *name)
{
    if (lint_names_has(s, name))
        return;
    s->v = xrealloc(s->v, (s->n + 2) * sizeof(*s->v));
    s->v[s->n++] = xstrdup(name);
    s->v[s->n] = NULL;
}

bool lint_names_has(const struct lint_names *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], name) == 0)
            return true;
    return false;
}

void lint_names_copy(struct lint_names *dst, const struct lint_names *src)
{
    for (size_t i = 0; i < src->n; i++)
        lint_names_add(dst, src->v[i]);
}

void lint_names_release(struct lint_names *s)
{
    strv_free(s->v);
    s->v = NULL;
    s->n = 0;
}

struct tracker {
    const struct df_vars *vars;
    struct lint_names *matched, *unmatched;
};

/* The lookup callback: BuildKit's getEnv, which records every name it is asked for. */
static const char *track(void *ctx, const char *name)
{
    struct tracker *t = ctx;
    const char *v = df_vars_get(t->vars, name);
    struct lint_names *set = v ? t->matched : t->unmatched;
    if (set)
        lint_names_add(set, name);
    return v;
}

char *lint_scope_expand(const struct df_vars *vars, char escape, const char *word, bool heredoc,
                        struct lint_names *matched, struct lint_names *unmatched)
{
    struct tracker t = {vars, matched, unmatched};
    cleanup_error kiln_error_t *err = NULL;
    char *out = NULL;
    int rc = heredoc ? shell_expand_heredoc(word, track, &t, &out, &err)
                     : shell_expand_word(word, escape, track, &t, &out, &err);
    return rc < 0 ? NULL : out;
}

/* Config Env names of the official images most Dockerfiles build on (golang, python, node,
 * openjdk/eclipse-temurin, ruby, php, rust, nginx, httpd, maven, gradle, dotnet). */
/* clang-format off */
static const char *const image_env[] = {
    "GOLANG_VERSION", "GOPATH", "GOTOOLCHAIN", "PYTHON_VERSION", "PYTHON_SHA256", "GPG_KEY",
    "PYTHON_PIP_VERSION", "PYTHON_GET_PIP_URL", "PYTHON_GET_PIP_SHA256",
    "PYTHON_SETUPTOOLS_VERSION", "LANG", "LC_ALL", "NODE_VERSION", "YARN_VERSION",
    "JAVA_HOME", "JAVA_VERSION", "JAVA_OPTS", "RUBY_VERSION", "RUBY_DOWNLOAD_SHA256",
    "RUBY_DOWNLOAD_URL", "RUBY_MAJOR", "GEM_HOME", "BUNDLE_APP_CONFIG",
    "BUNDLE_SILENCE_ROOT_WARNING", "PHP_VERSION", "PHP_INI_DIR", "PHPIZE_DEPS", "PHP_CFLAGS",
    "PHP_CPPFLAGS", "PHP_LDFLAGS", "PHP_URL", "PHP_ASC_URL", "PHP_SHA256", "RUSTUP_HOME",
    "CARGO_HOME", "RUST_VERSION", "NGINX_VERSION", "NJS_VERSION", "NJS_RELEASE", "PKG_RELEASE",
    "HTTPD_PREFIX", "HTTPD_VERSION", "HTTPD_SHA256", "MAVEN_HOME", "MAVEN_CONFIG",
    "GRADLE_HOME", "GRADLE_VERSION", "DOTNET_VERSION", "ASPNET_VERSION",
    "DOTNET_RUNNING_IN_CONTAINER", "APP_UID", "ASPNETCORE_HTTP_PORTS",
};
/* clang-format on */

bool lint_scope_image_env(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(image_env); i++)
        if (strcmp(image_env[i], name) == 0)
            return true;
    return false;
}
