/* The build's network (network.h): the destination policy RUN's default network and ADD <url>
 * share, with the proxies of the build args (frontend/args.h) let through, and hints for steps
 * that failed on a network. */
#include <string.h>
#include <strings.h>

#include "build.h"
#include "network.h"
#include "net/netpolicy_host.h"
#include "net/url.h"
#include "sandbox/sandbox.h"
#include "util.h"

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

int network_init(struct build *b, kiln_error_t **err)
{
    netpolicy_init(&b->net);
    if (netpolicy_add_host_addresses(&b->net, err) < 0)
        return -1;
    for (size_t i = 0; i < b->o->nallow_net; i++)
        if (netpolicy_allow_spec(&b->net, b->o->allow_net[i], err) < 0)
            return -1;
    /* each proxy a RUN step or ADD <url> would use (args.h: BuildKit's ProxyEnv) */
    static const char *const groups[] = {"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "ALL_PROXY"};
    for (size_t i = 0; i < ARRAY_SIZE(groups); i++) {
        const char *v = df_proxy_value(b->plan.args, b->plan.nargs, groups[i]);
        if (v && *v && allow_proxy(b, groups[i], v, err) < 0)
            return -1;
    }
    netpolicy_finish(&b->net);
    return 0;
}

const char *network_proxy_for(struct build *b, const char *scheme, const char **no_proxy)
{
    const struct kiln_kv *args = b->plan.args;
    size_t n = b->plan.nargs;
    *no_proxy = df_proxy_value(args, n, "NO_PROXY");
    const char *v =
        df_proxy_value(args, n, !strcmp(scheme, "https") ? "HTTPS_PROXY" : "HTTP_PROXY");
    if (!v || !*v)
        v = df_proxy_value(args, n, "ALL_PROXY");
    return v && *v ? v : NULL;
}

static bool has_any(const char *s, const char *const *words, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcasestr(s, words[i]))
            return true;
    return false;
}

const char *network_hint(int network, const char *tail)
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
