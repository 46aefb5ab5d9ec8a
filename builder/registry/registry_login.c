/* Authentication against a registry's challenge: Basic credentials, or a Bearer token from the
 * token endpoint (anonymous, with Basic credentials, or with an identity token). Runs with the
 * client's lock held, so that parallel workers fetch one token between them. */
#include <string.h>

#include "registry_client.h"
#include "util.h"

static int load_creds(struct registry_client *c, kiln_error_t **err)
{
    if (c->cred_loaded)
        return 0;
    c->cred_loaded = true;
    if (registry_creds_lookup(c->o->auth_file, c->domain, &c->cred, &c->cred_source, err) < 0)
        return kiln_err_wrap(err, "credentials for %s", c->domain);
    return 0;
}

static void set_authz(struct registry_client *c, char *authz)
{
    registry_auth_free_secret(c->authz);
    c->authz = authz;
    c->auth_gen++;
}

/* Credentials travel only over TLS, or to a host where plain HTTP is allowed anyway. */
static int realm_check(struct registry_client *c, const char *realm, kiln_error_t **err)
{
    if (str_has_prefix(realm, "https://"))
        return 0;
    if (!str_has_prefix(realm, "http://"))
        return kiln_err(err, KILN_ENETWORK, 0, "registry %s: token realm '%.200s' is not a URL",
                        c->host, realm);
    const char *h = realm + 7;
    cleanup_free char *host = xstrndup(h, strcspn(h, "/?#"));
    bool insecure = false;
    for (size_t i = 0; i < c->o->ninsecure; i++)
        insecure |= !strcasecmp(c->o->insecure[i], host);
    if (registry_client_is_loopback(host) || insecure || registry_cred_empty(&c->cred))
        return 0;
    return kiln_err(err, KILN_ENETWORK, 0,
                    "registry %s: token realm '%.200s' is not HTTPS; refusing to send "
                    "credentials to it",
                    c->host, realm);
}

/* The form body of an OAuth2 refresh-token grant. */
static char *refresh_form(struct registry_client *c, const struct registry_challenge *ch,
                          kiln_error_t **err)
{
    struct buf b = BUF_INIT(REGISTRY_MAX_TOKEN_FORM);
    cleanup_wipe char *rt = registry_auth_urlencode(c->cred.identity_token);
    int rc = buf_addf(&b, err, "grant_type=refresh_token&client_id=kiln&refresh_token=%s", rt);
    if (rc == 0 && ch->service) {
        cleanup_free char *s = registry_auth_urlencode(ch->service);
        rc = buf_addf(&b, err, "&service=%s", s);
    }
    for (size_t i = 0; rc == 0 && i < c->nscopes; i++) {
        cleanup_free char *s = registry_auth_urlencode(c->scopes[i]);
        rc = buf_addf(&b, err, "%s%s", i ? "%20" : "&scope=", s);
    }
    char *form = buf_detach(&b);
    if (rc == 0)
        return form;
    registry_auth_wipe_free(form);
    kiln_err_wrap(err, "token request");
    return NULL;
}

static int fetch_token(struct registry_conn *conn, const struct registry_challenge *ch,
                       kiln_error_t **err)
{
    struct registry_client *c = conn->c;
    if (realm_check(c, ch->realm, err) < 0)
        return -1;
    cleanup_free char *url =
        registry_auth_token_url(ch->realm, ch->service, c->scopes, c->nscopes, err);
    if (!url)
        return -1;
    cleanup_secret char *basic = NULL;
    cleanup_wipe char *form = NULL;
    struct registry_req req = {
        .method = "GET", .url = url, .what = "GET token", .anonymous = true, .timeout = 120};
    if (c->cred.identity_token) {
        if (!(form = refresh_form(c, ch, err)))
            return -1;
        req = (struct registry_req){.method = "POST",
                                    .url = ch->realm,
                                    .what = "POST token",
                                    .anonymous = true,
                                    .timeout = 120,
                                    .content_type = "application/x-www-form-urlencoded",
                                    .body = form,
                                    .body_len = strlen(form),
                                    .has_body = true};
    } else if (c->cred.username && c->cred.password) {
        cleanup_secret char *b = registry_auth_basic(c->cred.username, c->cred.password);
        basic = registry_auth_header(NULL, b);
        req.authz = basic;
    }
    struct buf body = BUF_INIT(REGISTRY_MAX_TOKEN);
    req.out = &body;
    struct registry_resp resp = {0};
    int rc = registry_client_do(conn, &req, &resp, err);
    registry_resp_release(&resp);
    char *token = NULL;
    if (rc == 0)
        rc = registry_auth_parse_token(buf_str(&body), body.len, &token, err);
    if (body.data)
        explicit_bzero(body.data, body.len);
    buf_release(&body);
    if (rc < 0)
        return kiln_err_wrap(err, "registry %s", c->host);
    set_authz(c, registry_auth_header("Bearer", token));
    registry_auth_free_secret(token);
    return 0;
}

static int login_locked(struct registry_conn *conn, const struct registry_challenge *ch,
                        kiln_error_t **err)
{
    struct registry_client *c = conn->c;
    if (ch->scheme == REGISTRY_AUTH_NONE)
        return 0;
    if (load_creds(c, err) < 0)
        return -1;
    if (ch->scheme == REGISTRY_AUTH_BEARER)
        return fetch_token(conn, ch, err);
    if (!c->cred.username || !c->cred.password)
        return 0; /* the request's 401 will say there are no credentials */
    cleanup_secret char *b = registry_auth_basic(c->cred.username, c->cred.password);
    set_authz(c, registry_auth_header(NULL, b));
    return 0;
}

int registry_login(struct registry_conn *conn, const struct registry_challenge *chal,
                   kiln_error_t **err)
{
    pthread_mutex_lock(&conn->c->lock);
    int rc = login_locked(conn, chal, err);
    pthread_mutex_unlock(&conn->c->lock);
    return rc;
}

static bool has_scope(struct registry_client *c, const char *scope)
{
    for (size_t i = 0; i < c->nscopes; i++)
        if (!strcmp(c->scopes[i], scope))
            return true;
    return false;
}

/* 0: authenticated again, retry; 1: nothing more to try. */
static int retry_locked(struct registry_conn *conn, const struct registry_resp *resp, unsigned gen,
                        kiln_error_t **err)
{
    struct registry_client *c = conn->c;
    if (c->auth_gen != gen)
        return 0; /* another request already authenticated again */
    struct registry_challenge ch;
    if (!resp->www_auth || registry_auth_parse_challenge(resp->www_auth, &ch, NULL) < 0)
        return 1;
    bool had = c->authz != NULL;
    bool again = !had;
    if (ch.scheme == REGISTRY_AUTH_BEARER) {
        /* a scope kiln did not ask for (a mount source), or an expired token */
        for (char *s = ch.scope, *sp; s && *s; s = sp ? sp + 1 : NULL) {
            sp = strchr(s, ' ');
            cleanup_free char *one = sp ? xstrndup(s, (size_t)(sp - s)) : xstrdup(s);
            if (*one && !has_scope(c, one)) {
                strv_push(&c->scopes, &c->nscopes, steal_ptr(one));
                again = true;
            }
        }
        again |= ch.error && !strcmp(ch.error, "invalid_token");
    }
    int rc = 1;
    if (again && ch.scheme != REGISTRY_AUTH_NONE) {
        unsigned before = c->auth_gen;
        rc = login_locked(conn, &ch, err) < 0 ? -1 : c->auth_gen != before ? 0 : 1;
    }
    registry_challenge_release(&c->chal);
    c->chal = ch;
    return rc;
}

int registry_login_retry(struct registry_conn *conn, const struct registry_resp *resp, unsigned gen,
                         kiln_error_t **err)
{
    pthread_mutex_lock(&conn->c->lock);
    int rc = retry_locked(conn, resp, gen, err);
    pthread_mutex_unlock(&conn->c->lock);
    return rc;
}
