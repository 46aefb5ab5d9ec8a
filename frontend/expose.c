/* EXPOSE port specs: BuildKit's portSpecs.parsePort. */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "expand.h"
#include "util.h"
#include "vec.h"

/* strconv.ParseInt(s, 10, 0) within 0..65535; the error text without "strconv." context. */
static const char *port_number(const char *s, size_t n, long *out)
{
    if (n == 0)
        return "value is empty";
    size_t i = (s[0] == '+' || s[0] == '-') ? 1 : 0;
    if (i == n)
        return "invalid syntax";
    long v = 0;
    bool big = false;
    for (size_t k = i; k < n; k++) {
        if (s[k] < '0' || s[k] > '9')
            return "invalid syntax";
        if (v < 1000000)
            v = v * 10 + (s[k] - '0');
        else
            big = true;
    }
    if (big || (s[0] == '-' && v != 0) || v > 65535)
        return "value out of range (0–65535)";
    *out = v;
    return NULL;
}

static int port_range(const char *s, long *start, long *end, const char *what, kiln_error_t **err)
{
    if (!*s)
        return kiln_err(err, KILN_EINPUT, 0, "invalid %s: %s", what, s);
    const char *dash = strchr(s, '-');
    size_t sl = dash ? (size_t)(dash - s) : strlen(s);
    if (port_number(s, sl, start))
        return kiln_err(err, KILN_EINPUT, 0, "invalid %s: %s", what, s);
    *end = *start;
    if (!dash)
        return 0;
    if (sl == strlen(dash + 1) && strncmp(s, dash + 1, sl) == 0)
        return 0; /* "80-80" */
    if (port_number(dash + 1, strlen(dash + 1), end) || *end < *start)
        return kiln_err(err, KILN_EINPUT, 0, "invalid %s: %s", what, s);
    return 0;
}

static int check_ip(char *ip, kiln_error_t **err)
{
    if (!*ip)
        return 0;
    size_t n = strlen(ip);
    if (ip[0] == '[') {
        if (n < 2 || ip[n - 1] != ']')
            return kiln_err(err, KILN_EINPUT, 0, "invalid IP address %s", ip);
        memmove(ip, ip + 1, n - 2);
        ip[n - 2] = '\0';
    }
    unsigned char tmp[16];
    if (inet_pton(AF_INET, ip, tmp) != 1 && inet_pton(AF_INET6, ip, tmp) != 1)
        return kiln_err(err, KILN_EINPUT, 0, "invalid IP address: %s", ip);
    return 0;
}

/* [ip:][hostport:]containerport: the last two ':' separated parts are the ports. */
static void split_parts(const char *raw, char **ip, char **host, char **cont)
{
    const char *last = strrchr(raw, ':');
    if (!last) {
        *ip = xstrdup(""), *host = xstrdup(""), *cont = xstrdup(raw);
        return;
    }
    *cont = xstrdup(last + 1);
    const char *prev = last;
    while (prev > raw && prev[-1] != ':')
        prev--;
    *host = xstrndup(prev, (size_t)(last - prev));
    *ip = prev > raw ? xstrndup(raw, (size_t)(prev - 1 - raw)) : xstrdup("");
}

void df_expose_split(const char *spec, struct df_port_parts *out)
{
    cleanup_free char *cont = NULL;
    split_parts(spec, &out->ip, &out->host, &cont);
    const char *slash = strchr(cont, '/');
    out->port = slash ? xstrndup(cont, (size_t)(slash - cont)) : xstrdup(cont);
    out->proto = xstrdup(slash ? slash + 1 : "");
}

void df_port_parts_release(struct df_port_parts *p)
{
    free(p->ip), free(p->host), free(p->port), free(p->proto);
}

/* The protocol lowercased, tcp by default; tcp, udp or sctp. */
static int check_proto(const struct df_port_parts *pp, char **proto, const char *raw,
                       kiln_error_t **err)
{
    *proto = xstrdup(*pp->proto ? pp->proto : "tcp");
    str_lower(*proto);
    if (!*pp->port)
        return kiln_err(err, KILN_EINPUT, 0, "invalid port: \"%s\": no port specified", raw);
    if (strcmp(*proto, "tcp") && strcmp(*proto, "udp") && strcmp(*proto, "sctp"))
        return kiln_err(err, KILN_EINPUT, 0, "invalid port: \"%s\": invalid proto: %s", raw,
                        pp->proto);
    return 0;
}

int df_expose_parse(const char *spec, char ***out, size_t *n, kiln_error_t **err)
{
    __attribute__((cleanup(df_port_parts_release))) struct df_port_parts pp = {0};
    df_expose_split(spec, &pp);
    cleanup_free char *proto = NULL;
    char *ip = pp.ip, *host = pp.host, *port = pp.port;
    long start, end, hs, he;
    if (check_proto(&pp, &proto, spec, err) < 0 || check_ip(ip, err) < 0 ||
        port_range(port, &start, &end, "containerPort", err) < 0)
        return -1;
    if (*host) {
        if (port_range(host, &hs, &he, "hostPort", err) < 0)
            return -1;
        if (end - start != he - hs && end != start)
            return kiln_err(err, KILN_EINPUT, 0,
                            "invalid ranges specified for container and host Ports: %s and %s",
                            port, host);
    }
    char **v = NULL;
    size_t count = 0;
    for (long p = start; p <= end; p++)
        strv_add(&v, &count, xasprintf("%ld/%s", p, proto));
    *out = v;
    *n = count;
    return 0;
}
