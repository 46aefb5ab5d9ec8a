/* One way in (input.c): the Dockerfile and the .dockerignore every command reads, so that
 * `kiln build`, `kiln lint` and `kiln parse` judge the same files.
 *
 *   Dockerfile   -f PATH, or "-" for standard input, or CONTEXT/Dockerfile (CONTEXT/dockerfile
 *                when that is missing, as BuildKit); at most DF_MAX_FILE_SIZE bytes. Messages
 *                call it by its base name ("Dockerfile" for standard input), as BuildKit.
 *   .dockerignore  <Dockerfile path>.dockerignore when that file exists (BuildKit's
 *                Dockerfile-specific ignore file; none for standard input), else
 *                CONTEXT/.dockerignore when there is a context and the file exists; at most
 *                DOCKERIGNORE_MAX_SIZE bytes.
 *
 * Errors: "failed to read Dockerfile: open 'PATH': ..." (KILN_EINPUT for a missing file),
 * "Dockerfile 'PATH' is larger than N bytes" (KILN_ELIMIT), the ignore file's read or syntax
 * errors ("NAME:LINE: ..."), KILN_EUSAGE when there is neither a Dockerfile nor a context.
 */
#ifndef KILN_ENGINE_INPUT_H
#define KILN_ENGINE_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "dockerignore.h"
#include "kiln/error.h"

struct input_opts {
    const char *context;    /* the context directory, or NULL (none) */
    const char *dockerfile; /* -f: a path or "-" (standard input); NULL: CONTEXT/Dockerfile */
    bool no_ignore;         /* the Dockerfile only (kiln parse) */
};

struct input {
    char *path; /* the Dockerfile as read (as given, or under the context); "-": stdin */
    char *name; /* what messages call it: its base name, "Dockerfile" for stdin */
    char *data; /* NUL-terminated, len bytes */
    size_t len;
    struct dockerignore *ignore; /* NULL: no ignore file */
    char *ignore_path;           /* the file it was read from, or NULL */
};

int input_load(const struct input_opts *o, struct input *out, kiln_error_t **err);
void input_release(struct input *in);

#endif
