/* Registry authentication, the parts that need no network: WWW-Authenticate challenges
 * (RFC 7235), the token endpoint's URL and response (the Docker token protocol), and the
 * Authorization header values. Pure. */
#ifndef KILN_REGISTRY_AUTH_H
#define KILN_REGISTRY_AUTH_H

#include <stddef.h>

#include "kiln/error.h"

#define REGISTRY_MAX_TOKEN      (64u * 1024)             /* a token endpoint's whole response */
#define REGISTRY_MAX_CHALLENGE  8192                     /* one WWW-Authenticate header */
#define REGISTRY_MAX_TOKEN_URL  (64u * 1024)             /* realm?service=...&scope=... */
#define REGISTRY_MAX_TOKEN_FORM (2 * REGISTRY_MAX_TOKEN) /* a refresh-token grant's form body */

enum registry_auth_scheme {
    REGISTRY_AUTH_NONE,
    REGISTRY_AUTH_BASIC,
    REGISTRY_AUTH_BEARER,
};

struct registry_challenge {
    enum registry_auth_scheme scheme;
    char *realm;   /* Basic: informative; Bearer: the token endpoint URL */
    char *service; /* Bearer, may be NULL */
    char *scope;   /* Bearer, may be NULL: the scope the registry asks for */
    char *error;   /* Bearer, may be NULL: "invalid_token", "insufficient_scope" */
};

/* Parses one WWW-Authenticate header value, which may hold several challenges
 * ("Basic realm=x, Bearer realm=y,service=z"). Keeps the best one kiln can answer: Bearer over
 * Basic; out->scheme is REGISTRY_AUTH_NONE when there is none. A malformed header is a
 * KILN_ENETWORK error. */
int registry_auth_parse_challenge(const char *header, struct registry_challenge *out,
                                  kiln_error_t **err);
void registry_challenge_release(struct registry_challenge *c);

/* The token request URL: realm with service and each scope appended as query parameters
 * (percent-encoded). Allocated; NULL with a KILN_ELIMIT error over REGISTRY_MAX_TOKEN_URL. */
char *registry_auth_token_url(const char *realm, const char *service, char *const *scopes,
                              size_t nscopes, kiln_error_t **err);
/* The token in a token endpoint response ({"token": ...} or {"access_token": ...}). The token
 * must be printable ASCII without spaces (it goes into a header). In secmem, in *out. */
int registry_auth_parse_token(const char *json, size_t len, char **out, kiln_error_t **err);

/* Credentials and tokens that kiln keeps (the client's Authorization header, the credentials
 * from the Docker config, a token) live in secmem (builder/secmem.h: not in core dumps, not in
 * forked children, wiped when freed); free them with registry_auth_free_secret(). A heap buffer
 * that holds one for a moment (a file being parsed, a form body) is freed with
 * registry_auth_wipe_free() (zeroed, then freed). */

/* "Basic <base64(user:pass)>", in secmem. */
char *registry_auth_basic(const char *user, const char *pass);
/* "Authorization: <scheme> <value>" (no scheme: "Authorization: <value>"), in secmem. */
char *registry_auth_header(const char *scheme, const char *value);
/* Percent-encodes s for a URL query or form body (unreserved characters kept). Allocated. */
char *registry_auth_urlencode(const char *s);
/* Wipes and frees a secret string in secmem. NULL is fine. */
void registry_auth_free_secret(char *s);
/* Zeroes and frees a heap string (malloc) that held a secret. NULL is fine. */
void registry_auth_wipe_free(char *s);

static inline void cleanup_secretp(char **s)
{
    registry_auth_free_secret(*s);
}
#define cleanup_secret __attribute__((cleanup(cleanup_secretp)))
static inline void cleanup_wipep(char **s)
{
    registry_auth_wipe_free(*s);
}
#define cleanup_wipe __attribute__((cleanup(cleanup_wipep)))

#endif
