/* Image references with Docker's normalisation: "python" is docker.io/library/python:latest. */
#ifndef KILN_OCI_REFERENCE_H
#define KILN_OCI_REFERENCE_H

#include "kiln/error.h"

#define REFERENCE_MAX 512

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

#endif
