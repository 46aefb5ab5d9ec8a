/* The build's inputs (context.h): the Dockerfile and .dockerignore (input.h), the main context
 * directory and the named contexts of --build-context (a directory, or an image in an OCI
 * layout). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "fsutil.h"
#include "oci/layout.h"
#include "util.h"

static int open_dir_view(const char *path, const char *what, struct view **out, kiln_error_t **err)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return kiln_err_errno(err, KILN_EINPUT, "%s '%s'", what, path);
    if (!S_ISDIR(st.st_mode))
        return kiln_err(err, KILN_EINPUT, 0, "%s '%s' is not a directory", what, path);
    const char *dirs[] = {path};
    return view_new(dirs, 1, out, err);
}

int context_read(struct build *b, kiln_error_t **err)
{
    struct input_opts io = {b->o->context, b->o->dockerfile, false};
    struct build_input *in = &b->input;
    if (input_load(&io, &in->src, err) < 0)
        return -1;
    sha256_buf(in->src.data, in->src.len, in->df_digest);
    return df_parse(in->src.name, in->src.data, in->src.len, &in->df, err);
}

/* The .dockerignore as the context view's filter: an ignored path does not exist for COPY, ADD
 * and bind mounts, whatever route leads to it (a symlink to an ignored file, a link to an
 * ignored directory, a path through one), as BuildKit never transfers ignored files. A directory
 * an exception may re-include below stays visible; its ignored entries do not. */
static bool ignored_entry(void *ctx, const char *canon, bool dir)
{
    const struct dockerignore *ig = ctx;
    const char *rel = canon[0] == '/' ? canon + 1 : canon;
    return *rel && dockerignore_excluded(ig, rel) &&
           !(dir && dockerignore_may_include_below(ig, rel));
}

int context_open(struct build *b, kiln_error_t **err)
{
    const struct kiln_build_opts *o = b->o;
    if (o->context) {
        if (open_dir_view(o->context, "build context", &b->input.ctx_view, err) < 0)
            return -1;
        if (b->input.src.ignore)
            view_set_hidden(b->input.ctx_view, ignored_entry, b->input.src.ignore);
    }
    b->input.contexts = xcalloc(o->ncontexts ? o->ncontexts : 1, sizeof(*b->input.contexts));
    for (size_t i = 0; i < o->ncontexts; i++) {
        const struct kiln_named_context *nc = &o->contexts[i];
        struct build_context *c = &b->input.contexts[b->input.ncontexts++];
        c->name = xstrdup(nc->name);
        c->type = nc->type;
        c->path = xstrdup(nc->path);
        c->ref = nc->ref ? xstrdup(nc->ref) : NULL;
        if (c->type == KILN_CONTEXT_DIR &&
            open_dir_view(c->path, "build context", &c->view, err) < 0)
            return kiln_err_wrap(err, "--build-context %s", c->name);
    }
    return 0;
}

struct build_context *context_find(struct build *b, const char *name)
{
    for (size_t i = 0; i < b->input.ncontexts; i++)
        if (!strcmp(b->input.contexts[i].name, name))
            return &b->input.contexts[i];
    /* "alpine:3.19" also matches a context named "alpine" with no tag given */
    const char *colon = strrchr(name, ':');
    if (colon && !strchr(colon, '/')) {
        for (size_t i = 0; i < b->input.ncontexts; i++)
            if (strlen(b->input.contexts[i].name) == (size_t)(colon - name) &&
                !strncmp(b->input.contexts[i].name, name, (size_t)(colon - name)))
                return &b->input.contexts[i];
    }
    return NULL;
}

int context_import_layout(struct build *b, struct build_context *c, char out[DIGEST_STR_LEN + 1],
                          kiln_error_t **err)
{
    if (layout_import(b->store, c->path, c->ref, b->platform.os, b->platform.arch, out, err) < 0)
        return kiln_err_wrap(err, "--build-context %s", c->name);
    return 0;
}

void context_release(struct build_input *in)
{
    for (size_t i = 0; i < in->ncontexts; i++) {
        free(in->contexts[i].name);
        free(in->contexts[i].path);
        free(in->contexts[i].ref);
        view_free(in->contexts[i].view);
    }
    free(in->contexts);
    view_free(in->ctx_view);
    df_file_free(in->df);
    input_release(&in->src);
}
