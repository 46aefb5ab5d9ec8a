/* Registry credentials from the files Docker, podman and skopeo use:
 *   $REGISTRY_AUTH_FILE                       (containers-auth.json), when set; else
 *   $DOCKER_CONFIG/config.json, else ~/.docker/config.json
 * For a registry host the file gives, in this order: a credential helper from
 * credHelpers[host], else one from credsStore (run as "docker-credential-NAME get" with the
 * server URL on stdin); else (or when the helper has nothing for the host) the auths[host]
 * entry ("auth": base64 "user:password", or "username"/"password", or "identitytoken").
 * Keys match by host: "https://index.docker.io/v1/", "index.docker.io" and "docker.io" all
 * name Docker Hub; a scheme and a path in a key are ignored.
 *
 * Secrets are zeroed when released and never appear in an error message: errors name the file
 * and the host only.
 */
#ifndef KILN_REGISTRY_CREDS_H
#define KILN_REGISTRY_CREDS_H

#include <stdbool.h>
#include <stddef.h>

#include "kiln/error.h"

#define REGISTRY_MAX_CONFIG        (1024u * 1024) /* a config.json or auth.json */
#define REGISTRY_MAX_HELPER        (64u * 1024)   /* a credential helper's output */
#define REGISTRY_HELPER_TIMEOUT_MS 30000

struct registry_cred {
    char *username;
    char *password;
    char *identity_token; /* an OAuth2 refresh token (docker login with a token) */
};

/* What a config file holds for one host. */
struct registry_cred_config {
    char *helper;              /* the helper name (docker-credential-<helper>), or NULL */
    struct registry_cred cred; /* from auths; all NULL when there is no entry */
};

bool registry_cred_empty(const struct registry_cred *c);
void registry_cred_release(struct registry_cred *c);
void registry_cred_config_release(struct registry_cred_config *c);

/* True when a config key ("https://index.docker.io/v1/", "host:5000", "http://h/v2/") names
 * the registry host ("docker.io", "host:5000"). */
bool registry_creds_key_matches(const char *key, const char *host);
/* Parses a config file's contents (what = the file name, for messages) for host. */
int registry_creds_parse(const char *json, size_t len, const char *what, const char *host,
                         struct registry_cred_config *out, kiln_error_t **err);
/* A helper name is [A-Za-z0-9._-]+: it becomes part of a program name. */
bool registry_creds_helper_name_ok(const char *name);
/* Parses a helper's "get" output: {"ServerURL":..., "Username":..., "Secret":...}. A
 * Username of "<token>" makes Secret an identity token. */
int registry_creds_parse_helper(const char *json, size_t len, struct registry_cred *out,
                                kiln_error_t **err);
/* The server URL a helper is asked about: "https://index.docker.io/v1/" for Docker Hub, else
 * the host. */
const char *registry_creds_server_url(const char *host);

/* Finds the credentials for host. auth_file NULL: the search order above. Returns 0 with an
 * empty *out when there are none; *source (allocated, may be NULL) names where they came
 * from, for messages. */
int registry_creds_lookup(const char *auth_file, const char *host, struct registry_cred *out,
                          char **source, kiln_error_t **err);

#endif
