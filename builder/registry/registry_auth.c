#include <ctype.h>
#include <openssl/evp.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "registry_auth.h"
#include "secmem.h"
#include "util.h"

static bool is_tchar(char c)
{
    return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* A token or a quoted string at *p; advances *p. NULL when neither is there. */
static char *parse_value(const char **p)
{
    const char *s = *p;
    if (*s != '"') {
        const char *e = s;
        while (is_tchar(*e) || *e == '/' || *e == ':' || *e == '=')
            e++;
        if (e == s)
            return NULL;
        *p = e;
        return xstrndup(s, (size_t)(e - s));
    }
    cleanup_buf struct buf b = BUF_INIT(REGISTRY_MAX_CHALLENGE);
    for (s++; *s && *s != '"'; s++) {
        if (*s == '\\' && s[1])
            s++;
        if (buf_addch(&b, *s, NULL) < 0)
            return NULL;
    }
    if (*s != '"')
        return NULL;
    *p = s + 1;
    return buf_detach(&b);
}

static void set_param(struct registry_challenge *c, const char *k, size_t kn, char *v)
{
    char **slot = NULL;
    if (kn == 5 && !strncasecmp(k, "realm", 5))
        slot = &c->realm;
    else if (kn == 7 && !strncasecmp(k, "service", 7))
        slot = &c->service;
    else if (kn == 5 && !strncasecmp(k, "scope", 5))
        slot = &c->scope;
    else if (kn == 5 && !strncasecmp(k, "error", 5))
        slot = &c->error;
    if (slot && !*slot)
        *slot = v;
    else
        free(v);
}

/* One "name=value" auth-param at *p; returns 1 when *p is not a param (a new challenge). */
static int parse_param(const char **p, struct registry_challenge *c)
{
    const char *k = skip_ows(*p), *e = k;
    while (is_tchar(*e))
        e++;
    const char *eq = skip_ows(e);
    if (e == k || *eq != '=')
        return 1;
    const char *v = skip_ows(eq + 1);
    char *val = parse_value(&v);
    if (!val)
        return -1;
    set_param(c, k, (size_t)(e - k), val);
    *p = skip_ows(v);
    return 0;
}

static enum registry_auth_scheme scheme_of(const char *s, size_t n)
{
    if (n == 5 && !strncasecmp(s, "basic", 5))
        return REGISTRY_AUTH_BASIC;
    if (n == 6 && !strncasecmp(s, "bearer", 6))
        return REGISTRY_AUTH_BEARER;
    return REGISTRY_AUTH_NONE;
}

/* One challenge at *p (scheme, then params up to the next challenge or the end). */
static int parse_one(const char **p, struct registry_challenge *c)
{
    const char *s = skip_ows(*p), *e = s;
    while (is_tchar(*e))
        e++;
    if (e == s)
        return -1;
    c->scheme = scheme_of(s, (size_t)(e - s));
    const char *q = skip_ows(e);
    for (;;) {
        int r = parse_param(&q, c);
        if (r < 0)
            return -1;
        if (r > 0 || *q != ',')
            break;
        q = skip_ows(q + 1);
        while (*q == ',')
            q = skip_ows(q + 1);
    }
    *p = q;
    return 0;
}

static int challenge_rank(const struct registry_challenge *c)
{
    if (c->scheme == REGISTRY_AUTH_BEARER && c->realm)
        return 2;
    return c->scheme == REGISTRY_AUTH_BASIC ? 1 : 0;
}

int registry_auth_parse_challenge(const char *header, struct registry_challenge *out,
                                  kiln_error_t **err)
{
    memset(out, 0, sizeof(*out));
    if (strlen(header) > REGISTRY_MAX_CHALLENGE)
        return kiln_err(err, KILN_ENETWORK, 0, "WWW-Authenticate header is too long");
    const char *p = skip_ows(header);
    while (*p) {
        struct registry_challenge c = {0};
        if (parse_one(&p, &c) < 0) {
            registry_challenge_release(&c);
            registry_challenge_release(out);
            return kiln_err(err, KILN_ENETWORK, 0, "malformed WWW-Authenticate header");
        }
        if (challenge_rank(&c) > challenge_rank(out)) {
            registry_challenge_release(out);
            *out = c;
        } else {
            registry_challenge_release(&c);
        }
        p = skip_ows(p);
        while (*p == ',')
            p = skip_ows(p + 1);
    }
    return 0;
}

void registry_challenge_release(struct registry_challenge *c)
{
    free(c->realm);
    free(c->service);
    free(c->scope);
    free(c->error);
    memset(c, 0, sizeof(*c));
}

char *registry_auth_urlencode(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = xmalloc(3 * n + 1); /* every byte may become %XX */
    char *o = out;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (isalnum(*c) || strchr("-._~", *c)) {
            *o++ = (char)*c;
        } else {
            *o++ = '%';
            *o++ = hex[*c >> 4];
            *o++ = hex[*c & 15];
        }
    }
    *o = '\0';
    return out;
}

static int add_param(struct buf *b, char *sep, const char *key, const char *value,
                     kiln_error_t **err)
{
    cleanup_free char *e = registry_auth_urlencode(value);
    int rc = buf_addf(b, err, "%c%s=%s", *sep, key, e);
    *sep = '&';
    return rc;
}

char *registry_auth_token_url(const char *realm, const char *service, char *const *scopes,
                              size_t nscopes, kiln_error_t **err)
{
    cleanup_buf struct buf b = BUF_INIT(REGISTRY_MAX_TOKEN_URL);
    char sep = strchr(realm, '?') ? '&' : '?';
    if (buf_addstr(&b, realm, err) < 0 ||
        (service && add_param(&b, &sep, "service", service, err) < 0))
        return kiln_err_wrap(err, "token URL"), NULL;
    for (size_t i = 0; i < nscopes; i++)
        if (add_param(&b, &sep, "scope", scopes[i], err) < 0)
            return kiln_err_wrap(err, "token URL"), NULL;
    return buf_detach(&b);
}

static bool token_chars_ok(const char *t)
{
    if (!*t)
        return false;
    for (const char *c = t; *c; c++)
        if (*c < 0x21 || *c > 0x7e)
            return false;
    return true;
}

int registry_auth_parse_token(const char *json, size_t len, char **out, kiln_error_t **err)
{
    if (len > REGISTRY_MAX_TOKEN)
        return kiln_err(err, KILN_ELIMIT, 0, "token response is larger than %u bytes",
                        REGISTRY_MAX_TOKEN);
    /* never echo the response: it holds a secret */
    cleanup_json json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    const char *t = json_string_value(json_object_get(j, "token"));
    if (!t || !*t)
        t = json_string_value(json_object_get(j, "access_token"));
    if (!t)
        return kiln_err(err, KILN_ENETWORK, 0, "token response holds no token");
    if (!token_chars_ok(t))
        return kiln_err(err, KILN_ENETWORK, 0, "token response holds a malformed token");
    *out = secmem_strdup(t, 0);
    return 0;
}

char *registry_auth_basic(const char *user, const char *pass)
{
    size_t nu = strlen(user), np = strlen(pass), n = nu + 1 + np;
    cleanup_secret char *plain = secmem_alloc(n + 1, 0);
    memcpy(plain, user, nu);
    plain[nu] = ':';
    memcpy(plain + nu + 1, pass, np);
    char *out = secmem_alloc(strlen("Basic ") + 4 * ((n + 2) / 3) + 1, 0);
    memcpy(out, "Basic ", 6);
    EVP_EncodeBlock((unsigned char *)out + 6, (const unsigned char *)plain, (int)n);
    return out;
}

char *registry_auth_header(const char *scheme, const char *value)
{
    size_t ns = scheme ? strlen(scheme) + 1 : 0, nv = strlen(value);
    char *h = secmem_alloc(strlen("Authorization: ") + ns + nv + 1, 0);
    size_t o = strlen("Authorization: ");
    memcpy(h, "Authorization: ", o);
    if (scheme) {
        memcpy(h + o, scheme, ns - 1);
        h[o + ns - 1] = ' ';
        o += ns;
    }
    memcpy(h + o, value, nv);
    return h;
}

void registry_auth_free_secret(char *s)
{
    secmem_free(s);
}

void registry_auth_wipe_free(char *s)
{
    if (!s)
        return;
    explicit_bzero(s, strlen(s));
    free(s);
}
