/* EXPOSE: each word expanded and split as BuildKit's dispatchExpose, then its port specs
 * ([ip:][hostPort:]containerPort[/proto], the frontend's df_expose_split and df_expose_parse):
 * ExposeProtoCasing, ExposeInvalidFormat, and kiln's ExposeSsh. */
#include <string.h>

#include "frontend/lint/lint_internal.h"
#include "frontend/unicode.h"
#include "util.h"

#define SSH_PORT     22
#define SSH_PORT_TCP "22/tcp"

/* ExposeSsh: the spec opens 22/tcp (as BuildKit parses it; a spec it refuses opens nothing). */
static bool opens_ssh(const char *raw)
{
    cleanup_error kiln_error_t *err = NULL;
    cleanup_strv char **ports = NULL;
    size_t n = 0;
    if (df_expose_parse(raw, &ports, &n, &err) < 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(ports[i], SSH_PORT_TCP) == 0)
            return true;
    return false;
}

static void port_spec(struct lint_dispatch *d, const struct df_instr *in, const char *raw)
{
    __attribute__((cleanup(df_port_parts_release))) struct df_port_parts pp = {0};
    df_expose_split(raw, &pp);
    cleanup_free char *lower = unicode_lower(pp.proto);
    if (strcmp(lower, pp.proto) != 0)
        lint_emit(d->c, in, LINT_EXPOSE_PROTO_CASING,
                  xasprintf("Defined protocol '%s' in EXPOSE instruction should be lowercase", raw),
                  NULL);
    if (*pp.ip || *pp.host)
        lint_emit(d->c, in, LINT_EXPOSE_INVALID_FORMAT,
                  xasprintf("EXPOSE instruction should not define an IP address or host-port "
                            "mapping, found '%s'",
                            raw),
                  NULL);
    if (opens_ssh(raw))
        lint_emit(d->c, in, LINT_EXPOSE_SSH,
                  xasprintf("EXPOSE %s opens the SSH port %d", raw, SSH_PORT), NULL);
}

void lint_expose_instr(struct lint_dispatch *d, const struct df_instr *in)
{
    for (size_t i = 0; i < in->nargs; i++) {
        cleanup_error kiln_error_t *err = NULL;
        cleanup_strv char **words = NULL;
        size_t n = 0;
        if (df_scope_expand_words(&d->ls->scope, in->args[i], &words, &n, &err) < 0)
            continue;
        for (size_t k = 0; k < n; k++)
            port_spec(d, in, words[k]);
    }
}
