/* The Dockerfile and its .dockerignore, as BuildKit picks them (input.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "dockerfile.h"
#include "fsutil.h"
#include "input.h"
#include "util.h"

/* CONTEXT/Dockerfile, or CONTEXT/dockerfile when only that one exists (moby/moby#10858). */
static char *dockerfile_path(const struct input_opts *o, kiln_error_t **err)
{
    if (o->dockerfile)
        return xstrdup(o->dockerfile);
    if (!o->context)
        return kiln_err(err, KILN_EUSAGE, 0, "no Dockerfile given"), NULL;
    char *path = xasprintf("%s/Dockerfile", o->context);
    cleanup_free char *lower = xasprintf("%s/dockerfile", o->context);
    if (access(path, F_OK) != 0 && errno == ENOENT && access(lower, F_OK) == 0) {
        free(path);
        return steal_ptr(lower);
    }
    return path;
}

static int read_dockerfile(struct input *in, kiln_error_t **err)
{
    bool std = strcmp(in->path, "-") == 0;
    int rc =
        std ? read_fd_limited(STDIN_FILENO, DF_MAX_FILE_SIZE, &in->data, &in->len, err)
            : read_file_limited(AT_FDCWD, in->path, DF_MAX_FILE_SIZE, &in->data, &in->len, err);
    if (rc == 0)
        return 0;
    if ((*err)->code == KILN_ELIMIT)
        return kiln_err(err, KILN_ELIMIT, 0, "Dockerfile '%s' is larger than %u bytes",
                        std ? "-" : in->path, DF_MAX_FILE_SIZE);
    return kiln_err_wrap(err, "failed to read Dockerfile");
}

/* The ignore file at path, when it exists: 1 and *out, 0 when it does not. */
static int read_ignore(const char *path, struct dockerignore **out, kiln_error_t **err)
{
    cleanup_free char *data = NULL;
    size_t len = 0;
    if (read_file_limited(AT_FDCWD, path, DOCKERIGNORE_MAX_SIZE, &data, &len, err) < 0) {
        if ((*err)->errnum != ENOENT)
            return -1;
        kiln_error_free(*err);
        *err = NULL;
        return 0;
    }
    const char *base = strrchr(path, '/');
    return dockerignore_parse(base ? base + 1 : path, data, len, out, err) < 0 ? -1 : 1;
}

/* <Dockerfile>.dockerignore beats CONTEXT/.dockerignore; only one is read. */
static int pick_ignore(const struct input_opts *o, struct input *in, kiln_error_t **err)
{
    cleanup_free char *own = dockerignore_specific_path(in->path);
    int rc = own ? read_ignore(own, &in->ignore, err) : 0;
    if (rc > 0)
        in->ignore_path = steal_ptr(own);
    if (rc != 0 || !o->context)
        return rc < 0 ? -1 : 0;
    cleanup_free char *def = xasprintf("%s/%s", o->context, DOCKERIGNORE_DEFAULT);
    rc = read_ignore(def, &in->ignore, err);
    if (rc > 0)
        in->ignore_path = steal_ptr(def);
    return rc < 0 ? -1 : 0;
}

int input_load(const struct input_opts *o, struct input *out, kiln_error_t **err)
{
    memset(out, 0, sizeof(*out));
    out->path = dockerfile_path(o, err);
    if (!out->path)
        return -1;
    const char *slash = strrchr(out->path, '/');
    out->name = xstrdup(!strcmp(out->path, "-") ? "Dockerfile" : slash ? slash + 1 : out->path);
    if (read_dockerfile(out, err) < 0 || (!o->no_ignore && pick_ignore(o, out, err) < 0)) {
        input_release(out);
        return -1;
    }
    return 0;
}

void input_release(struct input *in)
{
    free(in->path);
    free(in->name);
    free(in->data);
    dockerignore_free(in->ignore);
    free(in->ignore_path);
    memset(in, 0, sizeof(*in));
}
