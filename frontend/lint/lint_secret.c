/* Secrets: BuildKit's secret-looking ARG/ENV names (SecretsUsedInArgOrEnv), and the token
 * formats of well-known credentials (kiln's SecretValueInArgOrEnv). A token is never returned
 * in full: only its public prefix, the rest masked. */
#include <ctype.h>
#include <strings.h>
#include <string.h>

#include "buf.h"
#include "frontend/lint/lint_internal.h"
#include "util.h"

/* (?i)(?:_|^)(?:apikey|auth|...|token)(?:_|$), unless (?i)(?:_|^)(?:public|file|version)(?:_|$):
 * the same as testing each '_'-separated word. */
static bool has_word(const char *key, const char *const *words, size_t n)
{
    for (const char *p = key;;) {
        size_t len = strcspn(p, "_");
        for (size_t i = 0; i < n; i++)
            if (strlen(words[i]) == len && strncasecmp(p, words[i], len) == 0)
                return true;
        if (!p[len])
            return false;
        p += len + 1;
    }
}

bool lint_secret_name(const char *key)
{
    static const char *const deny[] = {"apikey",   "auth",  "credential", "credentials", "key",
                                       "password", "pword", "passwd",     "secret",      "token"};
    static const char *const allow[] = {"public", "file", "version"};
    return has_word(key, deny, ARRAY_SIZE(deny)) && !has_word(key, allow, ARRAY_SIZE(allow));
}

enum charset { CS_UPPER_DIGIT, CS_ALNUM, CS_ALNUM_UNDERSCORE, CS_ALNUM_DASH, CS_BASE64URL };

struct token_format {
    const char *prefix;
    enum charset cs;
    size_t min, max; /* characters after the prefix */
    const char *kind;
};

static const struct token_format formats[] = {
    {"AKIA", CS_UPPER_DIGIT, 16, 16, "an AWS access key ID"},
    {"ASIA", CS_UPPER_DIGIT, 16, 16, "an AWS temporary access key ID"},
    {"ghp_", CS_ALNUM, 36, 36, "a GitHub personal access token"},
    {"gho_", CS_ALNUM, 36, 36, "a GitHub OAuth token"},
    {"ghu_", CS_ALNUM, 36, 36, "a GitHub user-to-server token"},
    {"ghs_", CS_ALNUM, 36, 36, "a GitHub server-to-server token"},
    {"ghr_", CS_ALNUM, 36, 36, "a GitHub refresh token"},
    {"github_pat_", CS_ALNUM_UNDERSCORE, 22, 255, "a GitHub fine-grained access token"},
    {"glpat-", CS_BASE64URL, 20, 255, "a GitLab personal access token"},
    {"xoxb-", CS_ALNUM_DASH, 10, 255, "a Slack bot token"},
    {"xoxa-", CS_ALNUM_DASH, 10, 255, "a Slack app token"},
    {"xoxp-", CS_ALNUM_DASH, 10, 255, "a Slack user token"},
    {"xoxr-", CS_ALNUM_DASH, 10, 255, "a Slack refresh token"},
    {"xoxs-", CS_ALNUM_DASH, 10, 255, "a Slack session token"},
    {"sk_live_", CS_ALNUM, 16, 255, "a Stripe live secret key"},
    {"rk_live_", CS_ALNUM, 16, 255, "a Stripe live restricted key"},
    {"npm_", CS_ALNUM, 36, 36, "an npm access token"},
    {"pypi-", CS_BASE64URL, 40, 1024, "a PyPI API token"},
};

static bool in_set(enum charset cs, char ch)
{
    unsigned char u = (unsigned char)ch;
    switch (cs) {
    case CS_UPPER_DIGIT:
        return isupper(u) || isdigit(u);
    case CS_ALNUM:
        return isalnum(u);
    case CS_ALNUM_UNDERSCORE:
        return isalnum(u) || ch == '_';
    case CS_ALNUM_DASH:
        return isalnum(u) || ch == '-';
    default:
        return isalnum(u) || ch == '-' || ch == '_';
    }
}

/* The length of the token at s for format t (0 when there is none): prefix, then between min
 * and max characters of the set, not followed by another one. */
static size_t token_at(const char *s, const struct token_format *t)
{
    size_t pl = strlen(t->prefix), n = 0;
    if (strncmp(s, t->prefix, pl) != 0)
        return 0;
    while (s[pl + n] && in_set(t->cs, s[pl + n]) && n <= t->max)
        n++;
    return n >= t->min && n <= t->max ? pl + n : 0;
}

/* A JSON Web Token: three base64url parts, the first two starting with "eyJ" ('{"'). */
static size_t jwt_at(const char *s)
{
    size_t i = 0;
    for (int part = 0; part < 3; part++) {
        if (part < 2 && strncmp(s + i, "eyJ", 3) != 0)
            return 0;
        size_t start = i;
        while (in_set(CS_BASE64URL, s[i]))
            i++;
        if (i - start < 8)
            return 0;
        if (part < 2 && s[i++] != '.')
            return 0;
    }
    return i;
}

/* "-----BEGIN [RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP ]PRIVATE KEY-----" */
static size_t private_key_at(const char *s)
{
    if (strncmp(s, "-----BEGIN ", 11) != 0)
        return 0;
    const char *end = strstr(s + 11, "-----");
    if (!end || end - s > 64)
        return 0;
    size_t n = (size_t)(end - s) + 5;
    return n >= 27 && strncmp(end - 11, "PRIVATE KEY", 11) == 0 ? n : 0;
}

static char *mask(const char *prefix, size_t len)
{
    return xasprintf("%s****, %zu characters", prefix, len);
}

/* The token at s (its length, 0 for none), its kind and the public prefix to show. */
static size_t token_match(const char *s, const char **kind, const char **prefix)
{
    for (size_t k = 0; k < ARRAY_SIZE(formats); k++) {
        size_t n = token_at(s, &formats[k]);
        if (n) {
            *kind = formats[k].kind;
            *prefix = formats[k].prefix;
            return n;
        }
    }
    size_t n = jwt_at(s);
    if (n) {
        *kind = "a JSON Web Token";
        *prefix = "eyJ";
        return n;
    }
    n = private_key_at(s);
    *kind = "a private key";
    *prefix = NULL; /* the header is not secret: shown whole */
    return n;
}

int lint_secret_token(const char *s, const char **kind, char **masked)
{
    for (size_t i = 0; s[i]; i++) {
        if (i > 0 && isalnum((unsigned char)s[i - 1]))
            continue; /* a token starts a word */
        const char *prefix;
        size_t n = token_match(s + i, kind, &prefix);
        if (n) {
            *masked = prefix ? mask(prefix, n) : xstrndup(s + i, n);
            return 1;
        }
    }
    return 0;
}

char *lint_secret_redact(const char *s, size_t len)
{
    cleanup_free char *copy = xstrndup(s, len);
    struct buf b = BUF_INIT(2 * len + 64);
    for (size_t i = 0; copy[i];) {
        const char *kind, *prefix;
        size_t n = (i > 0 && isalnum((unsigned char)copy[i - 1]))
                       ? 0
                       : token_match(copy + i, &kind, &prefix);
        int rc;
        if (n && prefix) {
            rc = buf_addf(&b, NULL, "%s****", prefix);
            i += n;
        } else if (n) { /* a private key: the header, then the body masked up to its end */
            const char *end = strstr(copy + i + n, "-----END");
            rc = buf_addf(&b, NULL, "%.*s****", (int)n, copy + i);
            i = end ? (size_t)(end - copy) : strlen(copy);
        } else {
            rc = buf_addch(&b, copy[i++], NULL);
        }
        if (rc < 0) { /* cannot happen within 2 * len + 64; never show a part unmasked */
            buf_release(&b);
            return xstrdup("****");
        }
    }
    return buf_detach(&b);
}
