/* COPY and ADD: the words BuildKit expands (sources, destination, --chown, --chmod, ADD
 * --checksum, heredoc bodies), CopyIgnoredFile (BuildKit's validateCopySourcePath), and
 * kiln's AddRemoteWithoutChecksum and ChmodWorldWritable for --chmod. */
#include <string.h>

#include "buf.h"
#include "frontend/lint/lint_internal.h"
#include "frontend/unicode.h"
#include "util.h"

static bool remote_source(const char *s)
{
    return str_has_prefix(s, "http://") || str_has_prefix(s, "https://") ||
           str_has_prefix(s, "git@") || str_has_prefix(s, "git://");
}

/* Patterns that exclude every entry of the context root (copySourceRootIgnored). */
static bool root_ignored(const struct dockerignore *ig)
{
    for (size_t i = 0; i < dockerignore_count(ig); i++) {
        bool ex;
        int line;
        const char *p = dockerignore_pattern(ig, i, &ex, &line);
        if (!ex && (strcmp(p, "*") == 0 || strcmp(p, "**") == 0 || strcmp(p, "**/*") == 0))
            return true;
    }
    return false;
}

/* BuildKit checks nothing when the file has exceptions ("!pattern"): a file inside an
 * excluded directory may be re-included, which a static check cannot tell. */
static bool has_exceptions(const struct dockerignore *ig)
{
    for (size_t i = 0; i < dockerignore_count(ig); i++) {
        bool ex;
        int line;
        dockerignore_pattern(ig, i, &ex, &line);
        if (ex)
            return true;
    }
    return false;
}

static void ignored_source(struct lint_dispatch *d, const struct df_instr *in, const char *src)
{
    const struct dockerignore *ig = d->c->o->ignore;
    cleanup_free char *clean = path_clean(src);
    bool root = strcmp(clean, ".") == 0 || strcmp(clean, "/") == 0;
    if (root ? !root_ignored(ig) : !dockerignore_excluded(ig, clean))
        return;
    cleanup_free char *q = unicode_quoted(clean, strlen(clean));
    lint_emit(d->c, in, LINT_COPY_IGNORED_FILE,
              xasprintf("Attempting to %s file %s that is excluded by .dockerignore",
                        in->cmd == DF_ADD ? "Add" : "Copy", q),
              NULL);
}

static void sources(struct lint_dispatch *d, const struct df_instr *in, const char *checksum)
{
    const struct dockerignore *ig = d->c->o->ignore;
    bool check_ignored = ig && !in->copy.from && !has_exceptions(ig);
    for (size_t i = 0; i + 1 < in->nargs; i++) {
        if (df_instr_heredoc_source(in, in->args[i]))
            continue;
        cleanup_free char *src = lint_dispatch_expand(d, in->args[i], false);
        if (!src)
            continue;
        bool remote = in->cmd == DF_ADD && remote_source(src);
        if (check_ignored && !remote)
            ignored_source(d, in, src);
        if (remote && !checksum)
            lint_emit(d->c, in, LINT_ADD_REMOTE_WITHOUT_CHECKSUM,
                      xasprintf("ADD downloads '%s' without --checksum: its content is not "
                                "verified",
                                src),
                      NULL);
    }
}

void lint_copy_instr(struct lint_dispatch *d, const struct df_instr *in)
{
    const struct df_copy_opts *o = &in->copy;
    /* expanded for UndefinedVar (the observer reports while they expand) */
    if (o->chown)
        free(lint_dispatch_expand(d, o->chown, false));
    if (o->checksum && in->cmd == DF_ADD)
        free(lint_dispatch_expand(d, o->checksum, false));
    cleanup_free char *chmod = o->chmod ? lint_dispatch_expand(d, o->chmod, false) : NULL;
    sources(d, in, o->checksum);
    if (in->nargs > 0)
        free(lint_dispatch_expand(d, in->args[in->nargs - 1], false));
    for (size_t i = 0; i < in->nheredocs; i++)
        if (in->heredocs[i].expand)
            free(lint_dispatch_expand(d, in->heredocs[i].content, true));
    if (chmod && lint_run_mode_world_writable(chmod))
        lint_emit(d->c, in, LINT_CHMOD_WORLD_WRITABLE,
                  xasprintf("%s --chmod=%s makes the files world-writable", in->keyword, chmod),
                  NULL);
}
