/* --add-host and --ulimit (runopts.h). */
#include <arpa/inet.h>
#include <string.h>
#include <sys/resource.h>

#include "buf.h"
#include "runopts.h"
#include "util.h"

static int bad_host(const char *v, kiln_error_t **err)
{
    return kiln_err(err, KILN_EUSAGE, 0, "invalid host %s", v);
}

/* One IP: brackets removed, parsed as IPv4 or IPv6, written back canonical. */
static char *canonical_ip(const char *s, size_t len)
{
    if (len > 2 && s[0] == '[' && s[len - 1] == ']')
        s++, len -= 2;
    char in[INET6_ADDRSTRLEN + 1], out[INET6_ADDRSTRLEN];
    unsigned char bin[16];
    if (len == 0 || len >= sizeof(in))
        return NULL;
    memcpy(in, s, len);
    in[len] = '\0';
    int af = strchr(in, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(af, in, bin) != 1 || !inet_ntop(af, bin, out, sizeof(out)))
        return NULL;
    return xstrdup(out);
}

static bool host_ok(const char *h)
{
    for (; *h; h++)
        if ((unsigned char)*h <= ' ' || *h == 0x7f || *h == '#')
            return false;
    return true;
}

int runopts_add_host(const char *v, struct kiln_kv **hosts, size_t *n, kiln_error_t **err)
{
    const char *sep = strchr(v, '=');
    if (!sep)
        sep = strchr(v, ':');
    if (!sep || sep == v || !sep[1])
        return bad_host(v, err);
    cleanup_free char *host = xstrndup(v, (size_t)(sep - v));
    str_lower(host);
    if (!host_ok(host))
        return bad_host(v, err);
    if (!strcmp(sep + 1, "host-gateway"))
        return kiln_err(err, KILN_EUNSUPPORTED, 0,
                        "--add-host %s: host-gateway is not supported: RUN steps reach no address "
                        "of the build host unless the operator allows it",
                        v);
    for (const char *p = sep + 1; p;) { /* every ','-separated field, an empty last one too */
        size_t len = strcspn(p, ",");
        cleanup_free char *ip = canonical_ip(p, len);
        if (!ip)
            return bad_host(v, err);
        if (*n >= RUNOPTS_MAX_HOSTS)
            return kiln_err(err, KILN_EUSAGE, 0, "too many --add-host entries");
        *hosts = xrealloc(*hosts, (*n + 1) * sizeof(**hosts));
        (*hosts)[(*n)++] = (struct kiln_kv){xstrdup(host), steal_ptr(ip)};
        p = p[len] == ',' ? p + len + 1 : NULL;
    }
    return 0;
}

static const struct {
    const char *name;
    int resource;
} ulimit_names[] = {
    {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},         {"fsize", RLIMIT_FSIZE},
    {"locks", RLIMIT_LOCKS},       {"memlock", RLIMIT_MEMLOCK},
    {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},     {"nproc", RLIMIT_NPROC},
    {"rss", RLIMIT_RSS},           {"rtprio", RLIMIT_RTPRIO},
    {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
};

/* strconv.ParseInt(s, 10, 64); below -1 (unlimited) is refused by the caller. */
static int limit_value(const char *s, int64_t *out)
{
    return parse_i64(s, INT64_MIN + 1, INT64_MAX, out);
}

static uint64_t rlim(int64_t v)
{
    return v < 0 ? (uint64_t)RLIM_INFINITY : (uint64_t)v;
}

static int ulimit_values(const char *v, const char *vals, int64_t *soft, int64_t *hard,
                         kiln_error_t **err)
{
    const char *colon = strchr(vals, ':');
    if (colon && strchr(colon + 1, ':'))
        return kiln_err(err, KILN_EUSAGE, 0,
                        "too many limit value arguments - %s, can only have up to two, "
                        "`soft[:hard]`",
                        vals);
    cleanup_free char *s = colon ? xstrndup(vals, (size_t)(colon - vals)) : xstrdup(vals);
    if (limit_value(s, soft) < 0 || (colon && limit_value(colon + 1, hard) < 0))
        return kiln_err(err, KILN_EUSAGE, 0, "invalid ulimit argument: %s", v);
    if (!colon)
        *hard = *soft;
    if (*hard != -1 && *soft == -1)
        return kiln_err(err, KILN_EUSAGE, 0,
                        "ulimit soft limit must be less than or equal to hard limit: soft: -1 "
                        "(unlimited), hard: %lld",
                        (long long)*hard);
    if (*hard != -1 && *soft > *hard)
        return kiln_err(err, KILN_EUSAGE, 0,
                        "ulimit soft limit must be less than or equal to hard limit: %lld > %lld",
                        (long long)*soft, (long long)*hard);
    if (*soft < -1 || *hard < -1)
        return kiln_err(err, KILN_EUSAGE, 0, "invalid ulimit argument: %s", v);
    return 0;
}

int runopts_ulimit(const char *v, struct kiln_ulimit *out, size_t *n, kiln_error_t **err)
{
    const char *eq = strchr(v, '=');
    if (!eq)
        return kiln_err(err, KILN_EUSAGE, 0, "invalid ulimit argument: %s", v);
    cleanup_free char *name = xstrndup(v, (size_t)(eq - v));
    int res = -1;
    for (size_t i = 0; i < ARRAY_SIZE(ulimit_names); i++)
        if (!strcmp(name, ulimit_names[i].name))
            res = ulimit_names[i].resource;
    if (res < 0)
        return kiln_err(err, KILN_EUSAGE, 0, "invalid ulimit type: %s", name);
    int64_t soft, hard;
    if (ulimit_values(v, eq + 1, &soft, &hard, err) < 0)
        return -1;
    if (res == RLIMIT_CORE && (soft != 0 || hard != 0))
        return kiln_err(err, KILN_EUSAGE, 0,
                        "--ulimit %s: core dumps stay off in RUN steps (a dump would go to the "
                        "build host's core_pattern handler)",
                        v);
    size_t i = 0;
    while (i < *n && out[i].resource != res)
        i++;
    if (i == *n && *n >= KILN_MAX_ULIMITS)
        return kiln_err(err, KILN_EUSAGE, 0, "too many --ulimit flags");
    out[i] = (struct kiln_ulimit){res, rlim(soft), rlim(hard)};
    *n += i == *n;
    return 0;
}

char *runopts_hosts_text(const struct kiln_kv *hosts, size_t n)
{
    if (!n)
        return NULL;
    cleanup_strv char **lines = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        lines[i] = xasprintf("%s\t%s\n", hosts[i].value, hosts[i].key);
    return strv_join(lines, n, "");
}

int kiln_build_add_host(struct kiln_build_opts *o, const char *v, kiln_error_t **err)
{
    return runopts_add_host(v, &o->extra_hosts, &o->nextra_hosts, err);
}

int kiln_build_ulimit(struct kiln_build_opts *o, const char *v, kiln_error_t **err)
{
    return runopts_ulimit(v, o->ulimits, &o->nulimits, err);
}
