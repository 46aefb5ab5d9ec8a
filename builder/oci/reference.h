/* Image references with Docker's normalisation: "python" is docker.io/library/python:latest.
 *
 * Grammar (distribution/reference): [DOMAIN/]PATH[:TAG][@DIGEST]
 *   DOMAIN  a host name (components of [A-Za-z0-9-], dot-separated) or a bracketed IPv6
 *           address, with an optional :PORT. The first '/'-separated component is the domain
 *           when it holds a '.' or a ':', is "localhost", or has an uppercase letter; otherwise
 *           the domain is docker.io. "index.docker.io" is docker.io.
 *   PATH    lowercase components [a-z0-9]+ joined by '.', '_', '__' or runs of '-', separated by
 *           '/'; on docker.io a single component gets "library/" in front.
 *   TAG     [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   DIGEST  sha256:<64 lowercase hex> (the only algorithm kiln handles)
 * DOMAIN/PATH is at most 255 characters.
 */
#ifndef KILN_OCI_REFERENCE_H
#define KILN_OCI_REFERENCE_H

#include "kiln/error.h"

#define REFERENCE_MAX      512
#define REFERENCE_NAME_MAX 255

struct reference {
    char *domain; /* "docker.io", "127.0.0.1:5000" */
    char *path;   /* "library/python" */
    char *tag;    /* "latest" when neither tag nor digest is given; NULL with a digest only */
    char *digest; /* "sha256:..." or NULL */
};

int reference_parse(const char *s, struct reference *out, kiln_error_t **err);
void reference_release(struct reference *r);
/* "docker.io/library/python:3.12" (digest appended as "@sha256:..." when set). Allocated. */
char *reference_string(const struct reference *r);
/* The repository name without tag or digest: "docker.io/library/python". Allocated. */
char *reference_name(const struct reference *r);

static inline void cleanup_referencep(struct reference *r)
{
    reference_release(r);
}
#define cleanup_reference __attribute__((cleanup(cleanup_referencep)))

#endif
