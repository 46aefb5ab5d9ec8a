/* The inputs of a build: the Dockerfile and the .dockerignore as every command reads them
 * (input.h), the Dockerfile parsed, the main context (a view that hides every ignored path)
 * and the named contexts of --build-context (a directory, or an image in an OCI layout or a
 * registry). Set before the first stage starts, read-only afterwards. */
#ifndef KILN_ENGINE_CONTEXT_H
#define KILN_ENGINE_CONTEXT_H

#include <stddef.h>

#include "dockerfile.h"
#include "dockerignore.h"
#include "input.h"
#include "kiln/kiln.h"
#include "digest/digest.h"
#include "snapshot/view.h"

#define BUILD_MAX_CONTEXT_ENTRIES 1000000u /* entries one COPY or bind mount may select */

struct build;

struct build_context {
    char *name;
    enum kiln_context_type type;
    char *path;
    char *ref;
    struct view *view; /* a directory context */
};

struct build_input {
    struct input src; /* the Dockerfile (src.name is what messages call it), .dockerignore */
    char df_digest[DIGEST_STR_LEN + 1];
    struct df_file *df;
    struct view *ctx_view; /* the main context; NULL when the Dockerfile came from stdin */
    struct build_context *contexts;
    size_t ncontexts;
};

/* Reads and parses the Dockerfile and reads the .dockerignore (input.h). */
int context_read(struct build *b, kiln_error_t **err);
/* Opens the main context (hiding what the .dockerignore ignores) and the named contexts. */
int context_open(struct build *b, kiln_error_t **err);
/* The named context of that name ("alpine:3.19" also finds a context "alpine"), or NULL. */
struct build_context *context_find(struct build *b, const char *name);
/* Imports an oci-layout named context into the store; the manifest digest in out. */
int context_import_layout(struct build *b, struct build_context *c, char out[DIGEST_STR_LEN + 1],
                          kiln_error_t **err);
void context_release(struct build_input *in);

#endif
