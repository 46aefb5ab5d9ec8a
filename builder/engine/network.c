/* The build's network: the destination policy RUN's default network and ADD <url> share, the
 * proxy build args (BuildKit's predefined ARGs), and hints for steps that failed on a network. */
#include <string.h>
#include <strings.h>

#include "build.h"
#include "net/netpolicy_host.h"
#include "net/url.h"
#include "sandbox/sandbox.h"
#include "util.h"

static const char *const proxy_args[] = {
    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
    "ftp_proxy",  "NO_PROXY",   "no_proxy",    "ALL_PROXY",   "all_proxy",
};

/* The operator's value of a proxy build arg, or NULL (without marking it used: a proxy is
 * never reported as an unused build arg). */
static const char *proxy_arg(struct build *b, const char *name)
{
    for (size_t i = b->o->nbuild_args; i-- > 0;) {
        const struct kiln_kv *kv = &b->o->build_args[i];
        if (!strcmp(kv->key, name))
            return kv->value ? kv->value : getenv(name);
    }
    return NULL;
}

/* A proxy the operator named is allowed through the policy: host (every address) and port. */
static int allow_proxy(struct build *b, const char *name, const char *value, kiln_error_t **err)
{
    struct url_parts u;
    if (url_parse(value, true, &u, err) < 0)
        return kiln_err_wrap(err, "--build-arg %s", name);
    cleanup_free char *spec = strchr(u.host, ':') ? xasprintf("[%s]:%u", u.host, u.port)
                                                  : xasprintf("%s:%u", u.host, u.port);
    url_parts_release(&u);
    if (netpolicy_allow_spec(&b->net, spec, err) < 0)
        return kiln_err_wrap(err, "--build-arg %s", name);
    return 0;
}

int build_network_init(struct build *b, kiln_error_t **err)
{
    netpolicy_init(&b->net);
    if (netpolicy_add_host_addresses(&b->net, err) < 0)
        return -1;
    for (size_t i = 0; i < b->o->nallow_net; i++)
        if (netpolicy_allow_spec(&b->net, b->o->allow_net[i], err) < 0)
            return -1;
    for (size_t i = 0; i < ARRAY_SIZE(proxy_args); i++) {
        const char *v = proxy_arg(b, proxy_args[i]);
        if (v && *v && strncasecmp(proxy_args[i], "no_", 3) != 0 &&
            allow_proxy(b, proxy_args[i], v, err) < 0)
            return -1;
    }
    netpolicy_finish(&b->net);
    return 0;
}

static bool env_has_key(char *const *env, size_t n, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < n; i++)
        if (!strncmp(env[i], key, kl) && env[i][kl] == '=')
            return true;
    return false;
}

void build_proxy_env(struct build *b, char *const *env, size_t nenv, char ***out, size_t *n)
{
    for (size_t i = 0; i < ARRAY_SIZE(proxy_args); i++) {
        const char *v = proxy_arg(b, proxy_args[i]);
        if (v && !env_has_key(env, nenv, proxy_args[i]))
            strv_push(out, n, xasprintf("%s=%s", proxy_args[i], v));
    }
}

const char *build_proxy_for(struct build *b, const char *scheme, const char **no_proxy)
{
    *no_proxy = proxy_arg(b, "NO_PROXY");
    if (!*no_proxy)
        *no_proxy = proxy_arg(b, "no_proxy");
    bool https = !strcmp(scheme, "https");
    const char *order[] = {https ? "HTTPS_PROXY" : "HTTP_PROXY",
                           https ? "https_proxy" : "http_proxy", "ALL_PROXY", "all_proxy"};
    for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
        const char *v = proxy_arg(b, order[i]);
        if (v && *v)
            return v;
    }
    return NULL;
}

static bool has_any(const char *s, const char *const *words, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcasestr(s, words[i]))
            return true;
    return false;
}

const char *build_network_hint(int network, const char *tail)
{
    static const char *const dns[] = {
        "Temporary failure resolving",
        "Could not resolve",
        "Name or service not known",
        "Temporary failure in name resolution",
        "bad address",
        "getaddrinfo",
        "EAI_AGAIN",
        "No address associated with hostname",
        "Name does not resolve",
    };
    static const char *const refused[] = {"Permission denied", "(13:", "EACCES"};
    static const char *const connect[] = {"connect", "socket", "network"};
    if (network == SANDBOX_NET_NONE)
        return "\nnote: the step had no network (--network=none): only loopback";
    if (network != SANDBOX_NET_DEFAULT)
        return "";
    if (has_any(tail, dns, ARRAY_SIZE(dns)))
        return "\nnote: names resolve through the build host's resolver (pasta forwards "
               "DNS queries sent to " NETPOLICY_DNS_FORWARD "); check the host's "
               "/etc/resolv.conf, or build with --network host --allow network.host";
    if (has_any(tail, refused, ARRAY_SIZE(refused)) && has_any(tail, connect, ARRAY_SIZE(connect)))
        return "\nnote: RUN reaches the outside world, not the build host, its networks, "
               "link-local or private addresses: --allow-net ADDR[:PORT] lets one through";
    return "";
}
