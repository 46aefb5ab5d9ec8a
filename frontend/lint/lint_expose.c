/* EXPOSE: each word expanded and split as BuildKit's dispatchExpose, then its port specs
 * ([ip:][hostPort:]containerPort[/proto]): ExposeProtoCasing, ExposeInvalidFormat, and kiln's
 * ExposeSsh. */
#include <string.h>

#include "frontend/lint/lint_internal.h"
#include "frontend/unicode.h"
#include "util.h"

#define SSH_PORT 22

/* splitParts: with more than three ':'-separated parts, the leading ones are the IP. */
static void split_parts(const char *raw, char **ip, char **host, const char **container)
{
    const char *last = strrchr(raw, ':');
    *ip = *host = NULL;
    *container = last ? last + 1 : raw;
    if (!last)
        return;
    const char *prev = last;
    while (prev > raw && prev[-1] != ':')
        prev--;
    *host = xstrndup(prev, (size_t)(last - prev));
    if (prev > raw)
        *ip = xstrndup(raw, (size_t)(prev - 1 - raw));
}

/* "start[-end]" as numbers (0 on a malformed range: BuildKit fails the build there). */
static void port_range(const char *s, size_t n, uint64_t *start, uint64_t *end)
{
    cleanup_free char *p = xstrndup(s, n);
    char *dash = strchr(p, '-');
    if (dash)
        *dash = '\0';
    *start = *end = 0;
    if (parse_u64(p, 65535, start) < 0)
        return;
    if (!dash || parse_u64(dash + 1, 65535, end) < 0)
        *end = *start;
}

static void port_spec(struct lint_dispatch *d, const struct df_instr *in, const char *raw)
{
    cleanup_free char *ip = NULL, *host = NULL;
    const char *container;
    split_parts(raw, &ip, &host, &container);
    const char *slash = strchr(container, '/');
    const char *proto = slash ? slash + 1 : "";
    cleanup_free char *lower = unicode_lower(proto);
    if (strcmp(lower, proto) != 0)
        lint_emit(d->c, in, LINT_EXPOSE_PROTO_CASING,
                  xasprintf("Defined protocol '%s' in EXPOSE instruction should be lowercase", raw),
                  NULL);
    if ((ip && *ip) || (host && *host))
        lint_emit(d->c, in, LINT_EXPOSE_INVALID_FORMAT,
                  xasprintf("EXPOSE instruction should not define an IP address or host-port "
                            "mapping, found '%s'",
                            raw),
                  NULL);
    uint64_t start, end;
    port_range(container, slash ? (size_t)(slash - container) : strlen(container), &start, &end);
    bool tcp = !*lower || strcmp(lower, "tcp") == 0;
    if (tcp && start <= SSH_PORT && SSH_PORT <= end)
        lint_emit(d->c, in, LINT_EXPOSE_SSH,
                  xasprintf("EXPOSE %s opens the SSH port %d", raw, SSH_PORT), NULL);
}

void lint_expose_instr(struct lint_dispatch *d, const struct df_instr *in)
{
    for (size_t i = 0; i < in->nargs; i++) {
        size_t n = 0;
        cleanup_strv char **words =
            lint_scope_expand_words(&d->ls->env, d->c->f->escape, in->args[i], &n);
        for (size_t k = 0; words && k < n; k++)
            port_spec(d, in, words[k]);
    }
}
