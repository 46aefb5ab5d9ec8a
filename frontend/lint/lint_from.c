/* FROM: UndefinedArgInFrom, RedundantTargetPlatform, FromPlatformFlagConstDisallowed,
 * InvalidDefaultArgInFrom (BuildKit's buildDispatchStates and
 * validateBaseImagesWithDefaultArgs), and kiln's BaseImageNotPinned and BaseImageLatest. */
#include <ctype.h>
#include <string.h>

#include "frontend/lint/lint_internal.h"
#include "frontend/suggest.h"
#include "frontend/unicode.h"
#include "util.h"

/* ARGs a FROM may use: the meta ARGs (with or without a value) and the predefined ones. */
static void from_keys(struct lint_ctx *c, struct lint_names *keys)
{
    lint_names_copy(keys, &c->meta_names);
    for (size_t i = 0; i < c->global.n; i++)
        lint_names_add(keys, c->global.v[i].key);
}

static void undefined_args(struct lint_ctx *c, const struct df_instr *from,
                           const struct lint_names *unmatched)
{
    struct lint_names keys = {0};
    from_keys(c, &keys);
    for (size_t i = 0; i < unmatched->n; i++) {
        const char *arg = unmatched->v[i];
        if (lint_names_has(&keys, arg))
            continue;
        cleanup_free char *s = suggest_search(arg, (const char *const *)keys.v, keys.n, true);
        lint_emit(c, from, LINT_UNDEFINED_ARG_IN_FROM,
                  s ? xasprintf("FROM argument '%s' is not declared (did you mean %s?)", arg, s)
                    : xasprintf("FROM argument '%s' is not declared", arg),
                  NULL);
    }
    lint_names_release(&keys);
}

/* platforms.Parse, enough to know the OS and architecture of a constant. */
static bool parse_platform(const char *s, char **os, char **arch)
{
    static const char *const oses[] = {"linux",   "windows", "darwin",  "freebsd", "netbsd",
                                       "openbsd", "solaris", "illumos", "aix",     "android",
                                       "ios",     "plan9",   "js",      "wasip1",  "dragonfly"};
    cleanup_free char *l = unicode_lower(s);
    for (const char *p = l; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_.-/", *p))
            return false;
    char *slash = strchr(l, '/');
    if (slash) {
        *os = xstrndup(l, (size_t)(slash - l));
        *arch = xstrndup(slash + 1, strcspn(slash + 1, "/"));
        return **os && **arch;
    }
    for (size_t i = 0; i < ARRAY_SIZE(oses); i++)
        if (strcmp(l, oses[i]) == 0) {
            *os = xstrdup(l);
            *arch = xstrdup("amd64");
            return true;
        }
    *os = xstrdup("linux");
    *arch = xstrdup(strcmp(l, "x86_64") == 0 ? "amd64" : strcmp(l, "aarch64") == 0 ? "arm64" : l);
    return *l != '\0';
}

static void const_platform(struct lint_ctx *c, const struct df_stage *s, const char *value)
{
    cleanup_free char *os = NULL, *arch = NULL;
    if (!parse_platform(value, &os, &arch))
        return;
    const char *name = s->name ? s->name : "";
    if (strstr(name, os) || strstr(name, arch))
        return;
    lint_emit(c, s->from, LINT_FROM_PLATFORM_FLAG_CONST_DISALLOWED,
              xasprintf("FROM --platform flag should not use constant value \"%s\"", value), NULL);
}

static void platform_checks(struct lint_ctx *c, const struct df_stage *s)
{
    struct lint_names matched = {0}, unmatched = {0};
    cleanup_free char *v =
        lint_scope_expand(&c->global, c->f->escape, s->platform, false, &matched, &unmatched);
    undefined_args(c, s->from, &unmatched);
    const char *tp = df_vars_get(&c->global, "TARGETPLATFORM");
    if (v && matched.n == 1 && unmatched.n == 0 && strcmp(matched.v[0], "TARGETPLATFORM") == 0 &&
        tp && strcmp(v, tp) == 0)
        lint_emit(c, s->from, LINT_REDUNDANT_TARGET_PLATFORM,
                  xasprintf("Setting platform to predefined %s in FROM is redundant as this is "
                            "the default behavior",
                            s->platform),
                  NULL);
    if (v && matched.n == 0 && unmatched.n == 0)
        const_platform(c, s, v);
    lint_names_release(&matched);
    lint_names_release(&unmatched);
}

static bool is_context(const struct lint_opts *o, const char *name)
{
    for (size_t i = 0; i < o->ncontexts; i++)
        if (strcmp(o->contexts[i], name) == 0)
            return true;
    return false;
}

static void base_image_rules(struct lint_ctx *c, const struct df_stage *s, const char *base)
{
    cleanup_free char *tag = NULL;
    bool digest;
    lint_ref_split(base, &tag, &digest);
    if (!digest)
        lint_emit(c, s->from, LINT_BASE_IMAGE_NOT_PINNED,
                  xasprintf("Base image '%s' is not pinned by digest: its content can change "
                            "under the same name",
                            base),
                  xasprintf("FROM %s@sha256:<digest> (the digest of the image you tested)", base));
    if (!digest && !tag)
        lint_emit(c, s->from, LINT_BASE_IMAGE_LATEST,
                  xasprintf("Base image '%s' has no tag, which means 'latest'", base), NULL);
    else if (!digest && strcmp(tag, "latest") == 0)
        lint_emit(c, s->from, LINT_BASE_IMAGE_LATEST,
                  xasprintf("Base image '%s' uses the 'latest' tag", base), NULL);
}

/* Where the stage starts (the plan's base, stages.h; none without a plan): an earlier stage,
 * scratch, a named context or an image. base: FROM's image expanded, NULL when it does not. */
static void resolve_base(struct lint_ctx *c, size_t i, const char *base)
{
    const struct df_stage *s = &c->f->stages[i];
    struct lint_stage *ls = &c->stages[i];
    ls->base = c->plan ? c->plan->stages[i].base : -1;
    if (ls->base >= 0 || !base)
        return;
    cleanup_free char *lower = unicode_lower(base);
    ls->scratch = strcmp(lower, "scratch") == 0;
    ls->image = !ls->scratch && !is_context(c->o, base);
    if (ls->image && *base)
        base_image_rules(c, s, base);
}

static void default_base(struct lint_ctx *c, const struct df_stage *s)
{
    struct lint_names un = {0};
    cleanup_free char *v =
        lint_scope_expand(&c->global_defaults, c->f->escape, s->base, false, NULL, &un);
    lint_names_release(&un);
    if (v && !lint_ref_valid(v))
        lint_emit_at(c, NULL, LINT_INVALID_DEFAULT_ARG_IN_FROM, s->from->line, s->from->end_line,
                     xasprintf("Default value for ARG %s results in empty or invalid base image "
                               "name",
                               s->base),
                     NULL);
}

void lint_from_checks(struct lint_ctx *c, size_t i)
{
    const struct df_stage *s = &c->f->stages[i];
    default_base(c, s);
    struct lint_names unmatched = {0};
    cleanup_free char *base =
        lint_scope_expand(&c->global, c->f->escape, s->base, false, NULL, &unmatched);
    undefined_args(c, s->from, &unmatched);
    lint_names_release(&unmatched);
    if (s->platform)
        platform_checks(c, s);
    resolve_base(c, i, base);
}
