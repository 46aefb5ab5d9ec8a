/* RUN --mount: BuildKit's instructions.parseMount. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"
#include "dockerfile.h"
#include "flags.h"
#include "suggest.h"
#include "util.h"

static const char *const mount_types[] = {"bind", "cache", "tmpfs", "secret", "ssh"};
static const char *const sharing_modes[] = {"shared", "private", "locked"};
static const char *const mount_keys[] = {
    "type", "from", "source", "target", "readonly",    "id", "sharing", "required",  "size", "mode",
    "uid",  "gid",  "src",    "dst",    "destination", "ro", "rw",      "readwrite", "env"};

struct mount_state {
    struct df_mount *m;
    bool ro_auto;
    bool type_deferred; /* type= holds a variable: type-dependent keys wait for expansion */
    const char *field;
    kiln_error_t **err;
};

void df_mount_release(struct df_mount *m)
{
    free(m->from);
    free(m->source);
    free(m->target);
    free(m->id);
    free(m->env);
    memset(m, 0, sizeof(*m));
}

static int fail_suggest(kiln_error_t **err, const char *msg, const char *val,
                        const char *const *opts, size_t n)
{
    cleanup_free char *full = suggest_wrap(msg, val, opts, n, true);
    return kiln_err(err, KILN_EINPUT, 0, "%s", full);
}

static int set_type(struct mount_state *st, const char *value)
{
    cleanup_free char *v = xstrdup(value);
    str_lower(v);
    for (size_t i = 0; i < ARRAY_SIZE(mount_types); i++)
        if (strcmp(v, mount_types[i]) == 0)
            return st->m->type = (enum df_mount_type)i, 0;
    cleanup_free char *msg = xasprintf("unsupported mount type \"%s\"", value);
    return fail_suggest(st->err, msg, value, mount_types, ARRAY_SIZE(mount_types));
}

static int set_sharing(struct mount_state *st, const char *value)
{
    cleanup_free char *v = xstrdup(value);
    str_lower(v);
    for (size_t i = 0; i < ARRAY_SIZE(sharing_modes); i++)
        if (strcmp(v, sharing_modes[i]) == 0)
            return st->m->sharing = (enum df_mount_sharing)(i + 1), 0;
    cleanup_free char *msg = xasprintf("unsupported sharing value \"%s\"", value);
    return fail_suggest(st->err, msg, value, sharing_modes, ARRAY_SIZE(sharing_modes));
}

static bool secret_or_ssh(const struct df_mount *m)
{
    return m->type == DF_MOUNT_SECRET || m->type == DF_MOUNT_SSH;
}

/* strconv.ParseUint(s, base, 32). */
static int parse_u32(const char *s, int base, uint32_t *out)
{
    if (!*s)
        return -1;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s >= '0' + base)
            return -1;
        v = v * (uint64_t)base + (uint64_t)(*s - '0');
        if (v > UINT32_MAX)
            return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

/* go-units RAMInBytes: "64m", "1.5GiB", "512 kb". */
static int parse_ram(const char *s, int64_t *out)
{
    const char *sep = NULL;
    for (const char *p = s; *p; p++)
        if (strchr("01234567890. ", *p))
            sep = p;
    if (!sep)
        return -1;
    cleanup_free char *num = xstrndup(s, (size_t)(sep - s) + (*sep != ' '));
    const char *sfx = sep + 1;
    size_t k = strspn(num, "0123456789");
    k += num[k] == '.' ? 1 + strspn(num + k + 1, "0123456789") : 0;
    if (k == 0 || (k == 1 && num[0] == '.'))
        return -1;
    if (num[k] == 'e' || num[k] == 'E') {
        size_t e = k + 1 + (num[k + 1] == '+' || num[k + 1] == '-');
        size_t d = strspn(num + e, "0123456789");
        k = d ? e + d : k;
    }
    if (num[k])
        return -1;
    double size = strtod(num, NULL);
    static const char units[] = "kmgtp";
    size_t sl = strlen(sfx);
    if (sl > 3)
        return -1;
    if (sl > 0 && (sfx[0] | 0x20) != 'b') {
        const char *u = strchr(units, sfx[0] | 0x20);
        if (!u || (sl == 2 && (sfx[1] | 0x20) != 'b') ||
            (sl == 3 && strcasecmp(sfx + 1, "ib") != 0))
            return -1;
        for (const char *m = units; m <= u; m++)
            size *= 1024;
    } else if (sl > 1) {
        return -1;
    }
    if (!(size < 9.2e18))
        return -1;
    *out = (int64_t)size;
    return 0;
}

static int bad_value(struct mount_state *st, const char *key, const char *value)
{
    return kiln_err(st->err, KILN_EINPUT, 0, "invalid value for %s: %s", key, value);
}

static int set_bool_key(struct mount_state *st, const char *key, const char *value)
{
    bool b;
    if (flags_parse_bool(value, &b) < 0)
        return bad_value(st, key, value);
    if (strcmp(key, "required") == 0) {
        if (!secret_or_ssh(st->m))
            return kiln_err(st->err, KILN_EINPUT, 0, "unexpected key '%s' for mount type '%s'", key,
                            mount_types[st->m->type]);
        st->m->required = b;
        return 0;
    }
    bool is_ro = strcmp(key, "ro") == 0 || strcmp(key, "readonly") == 0;
    st->m->readonly = is_ro ? b : !b;
    st->ro_auto = false;
    return 0;
}

static int set_number_key(struct mount_state *st, const char *key, const char *value)
{
    struct df_mount *m = st->m;
    if (strcmp(key, "size") == 0) {
        if (m->type != DF_MOUNT_TMPFS)
            return kiln_err(st->err, KILN_EINPUT, 0, "unexpected key '%s' for mount type '%s'", key,
                            mount_types[m->type]);
        return parse_ram(value, &m->size) < 0 ? bad_value(st, key, value) : 0;
    }
    uint32_t v;
    if (parse_u32(value, strcmp(key, "mode") == 0 ? 8 : 10, &v) < 0)
        return kiln_err(st->err, KILN_EINPUT, 0, "invalid value %s for %s", value, key);
    if (key[0] == 'm')
        m->mode = v, m->has_mode = true;
    else if (key[0] == 'u')
        m->uid = v, m->has_uid = true;
    else
        m->gid = v, m->has_gid = true;
    return 0;
}

static void set_str(char **slot, const char *value)
{
    free(*slot);
    *slot = xstrdup(value);
}

static int set_key(struct mount_state *st, const char *key, const char *value)
{
    struct df_mount *m = st->m;
    if (strcmp(key, "type") == 0)
        return set_type(st, value);
    if (strcmp(key, "from") == 0)
        return set_str(&m->from, value), 0;
    if (strcmp(key, "source") == 0 || strcmp(key, "src") == 0)
        return set_str(&m->source, value), 0;
    if (!strcmp(key, "target") || !strcmp(key, "dst") || !strcmp(key, "destination"))
        return set_str(&m->target, value), 0;
    if (!strcmp(key, "readonly") || !strcmp(key, "ro") || !strcmp(key, "readwrite") ||
        !strcmp(key, "rw") || !strcmp(key, "required"))
        return set_bool_key(st, key, value);
    if (!strcmp(key, "size") || !strcmp(key, "mode") || !strcmp(key, "uid") || !strcmp(key, "gid"))
        return set_number_key(st, key, value);
    if (strcmp(key, "id") == 0)
        return set_str(&m->id, value), 0;
    if (strcmp(key, "sharing") == 0)
        return set_sharing(st, value);
    if (strcmp(key, "env") == 0)
        return set_str(&m->env, value), 0;
    cleanup_free char *msg = xasprintf("unexpected key '%s' in '%s'", key, st->field);
    return fail_suggest(st->err, msg, key, mount_keys, ARRAY_SIZE(mount_keys));
}

/* A field without '=': ro, rw, required. */
static int set_flag_key(struct mount_state *st, const char *key)
{
    if (!strcmp(key, "readonly") || !strcmp(key, "ro") || !strcmp(key, "readwrite") ||
        !strcmp(key, "rw") || !strcmp(key, "required"))
        return set_bool_key(st, key, "true");
    return kiln_err(st->err, KILN_EINPUT, 0, "invalid field '%s' must be a key=value pair",
                    st->field);
}

static bool may_expand(const char *v, char escape)
{
    return strchr(v, '$') || strchr(v, '\'') || strchr(v, '"') || strchr(v, escape);
}

static int static_from(struct mount_state *st, const char *value)
{
    const char *d = strchr(value, '$');
    if (d && d[1])
        return kiln_err(st->err, KILN_EINPUT, 0,
                        "'from' doesn't support variable expansion, define alias stage instead");
    return set_str(&st->m->from, value), 0;
}

static int one_field(struct mount_state *st, char escape, df_expand_fn expand, void *ctx)
{
    const char *eq = strchr(st->field, '=');
    cleanup_free char *key = xstrndup(st->field, eq ? (size_t)(eq - st->field) : strlen(st->field));
    str_lower(key);
    if (st->type_deferred && (!strcmp(key, "size") || !strcmp(key, "required")))
        return 0;
    if (!eq)
        return set_flag_key(st, key);
    cleanup_free char *value = NULL;
    if (expand) {
        if (expand(ctx, eq + 1, &value, st->err) < 0)
            return -1;
        return set_key(st, key, value);
    }
    if (strcmp(key, "from") == 0)
        return static_from(st, eq + 1);
    if (!may_expand(eq + 1, escape))
        return set_key(st, key, eq + 1);
    st->m->deferred = true; /* kept raw, checked when the builder expands it */
    st->type_deferred |= strcmp(key, "type") == 0;
    char **slot = !strcmp(key, "source") || !strcmp(key, "src") ? &st->m->source
                  : !strcmp(key, "target") || !strcmp(key, "dst") || !strcmp(key, "destination")
                      ? &st->m->target
                  : !strcmp(key, "id")  ? &st->m->id
                  : !strcmp(key, "env") ? &st->m->env
                                        : NULL;
    if (slot)
        set_str(slot, eq + 1);
    return 0;
}

static int final_checks(struct mount_state *st)
{
    struct df_mount *m = st->m;
    const char *t = mount_types[m->type];
    bool file_info = secret_or_ssh(m) || m->type == DF_MOUNT_CACHE;
    if (!file_info && (m->has_mode || m->has_uid || m->has_gid))
        return kiln_err(st->err, KILN_EINPUT, 0, "%s not allowed for \"%s\" type mounts",
                        m->has_mode  ? "mode"
                        : m->has_uid ? "uid"
                                     : "gid",
                        t);
    if (st->ro_auto)
        m->readonly = m->type != DF_MOUNT_CACHE && m->type != DF_MOUNT_TMPFS;
    if (m->type == DF_MOUNT_SECRET) {
        const char *msg = m->from      ? "secret mount should not have a from"
                          : m->sharing ? "secret mount should not define sharing"
                          : !m->source && !m->target && !m->id
                              ? "invalid secret mount. one of source, target required"
                          : m->source && m->id ? "both source and id can't be set"
                                               : NULL;
        if (msg)
            return kiln_err(st->err, KILN_EINPUT, 0, "%s", msg);
    }
    if (m->sharing && m->type != DF_MOUNT_CACHE)
        return kiln_err(st->err, KILN_EINPUT, 0, "invalid cache sharing set for %s mount", t);
    return 0;
}

int df_mount_parse(const char *spec, char escape, df_expand_fn expand, void *ctx,
                   struct df_mount *out, kiln_error_t **err)
{
    cleanup_strv char **fields = NULL;
    size_t n = 0;
    if (csv_fields(spec, &fields, &n, err) < 0)
        return kiln_err_wrap(err, "failed to parse csv mounts");
    memset(out, 0, sizeof(*out));
    struct mount_state st = {out, true, false, NULL, err};
    for (size_t i = 0; i < n; i++) {
        st.field = fields[i];
        if (one_field(&st, escape, expand, ctx) < 0) {
            df_mount_release(out);
            return -1;
        }
    }
    if (out->deferred) {
        if (st.ro_auto) /* the type may still change: the builder re-parses */
            out->readonly = out->type != DF_MOUNT_CACHE && out->type != DF_MOUNT_TMPFS;
        return 0;
    }
    if (final_checks(&st) < 0) {
        df_mount_release(out);
        return -1;
    }
    return 0;
}

static char *base_name(const char *p)
{
    cleanup_free char *c = path_clean(p);
    const char *slash = strrchr(c, '/');
    if (strcmp(c, "/") == 0)
        return xstrdup("/");
    return xstrdup(slash ? slash + 1 : c);
}

static int secret_defaults(const struct df_mount *m, char **id, char **target, kiln_error_t **err)
{
    const char *i = m->source && *m->source ? m->source : m->id;
    if (!i || !*i) {
        if (!m->target || !*m->target)
            return kiln_err(err, KILN_EINPUT, 0, "one of source, target required");
        *id = base_name(m->target);
    } else {
        *id = xstrdup(i);
    }
    if (m->target && *m->target) {
        *target = xstrdup(m->target);
    } else if (!m->env) {
        cleanup_free char *b = base_name(*id);
        *target = xasprintf("/run/secrets/%s", b);
    }
    return 0;
}

int df_mount_defaults(const struct df_mount *m, char **id, char **target, kiln_error_t **err)
{
    *id = *target = NULL;
    switch (m->type) {
    case DF_MOUNT_SECRET:
        return secret_defaults(m, id, target, err);
    case DF_MOUNT_SSH:
        if (m->source && *m->source)
            return kiln_err(err, KILN_EINPUT, 0, "ssh does not support source");
        *id = xstrdup(m->id && *m->id ? m->id : "default");
        *target = m->target && *m->target ? xstrdup(m->target) : NULL;
        return 0;
    case DF_MOUNT_CACHE:
        *id = m->id && *m->id ? xstrdup(m->id) : path_clean(m->target ? m->target : "");
        *target = m->target ? xstrdup(m->target) : NULL;
        return 0;
    default:
        *target = m->target ? xstrdup(m->target) : NULL;
        return 0;
    }
}
