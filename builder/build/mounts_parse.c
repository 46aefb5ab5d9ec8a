/* RUN --mount values, parsed as BuildKit's instructions.ParseMount.
 *
 * Isolated on purpose: the frontend's parser (struct df_mount in instr->mounts, with
 * df_mount_parse and df_mount_defaults) replaces this file when it lands in main. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mounts.h"
#include "util.h"

#define MOUNT_MAX_FIELDS 64

static void set_str(char **slot, const char *v)
{
    free(*slot);
    *slot = xstrdup(v);
}

/* Go's strconv.ParseBool. */
static int parse_gobool(const char *v, bool *out)
{
    static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        if (!strcmp(v, t[i]))
            return *out = true, 0;
        if (!strcmp(v, f[i]))
            return *out = false, 0;
    }
    return -1;
}

/* Splits a CSV record (Go's encoding/csv, one line): quoted fields may hold commas, "" is a
 * quote. */
static int csv_split(const char *s, char ***out, size_t *n, kiln_error_t **err)
{
    while (*s) {
        if (*n >= MOUNT_MAX_FIELDS)
            return kiln_err(err, KILN_ELIMIT, 0, "more than %d fields", MOUNT_MAX_FIELDS);
        size_t cap = strlen(s) + 1, k = 0;
        char *f = xmalloc(cap);
        if (*s == '"') {
            for (s++; *s && !(*s == '"' && s[1] != '"'); s++)
                f[k++] = *s == '"' ? *++s : *s;
            if (*s != '"' || (s[1] && s[1] != ',')) {
                free(f);
                return kiln_err(err, KILN_EINPUT, 0, "extraneous or missing \" in quoted-field");
            }
            s++;
        } else {
            for (; *s && *s != ','; s++)
                f[k++] = *s;
        }
        f[k] = '\0';
        strv_push(out, n, f);
        if (*s == ',' && !*++s)
            strv_push(out, n, xstrdup(""));
    }
    return 0;
}

static int parse_type(char **fields, size_t n, struct run_mount *m, kiln_error_t **err)
{
    static const char *const names[] = {"bind", "cache", "tmpfs", "secret", "ssh"};
    m->type = RUN_MOUNT_BIND;
    for (size_t i = 0; i < n; i++) {
        if (strncasecmp(fields[i], "type=", 5) != 0)
            continue;
        size_t k = 0;
        while (k < ARRAY_SIZE(names) && strcasecmp(fields[i] + 5, names[k]))
            k++;
        if (k == ARRAY_SIZE(names))
            return kiln_err(err, KILN_EINPUT, 0, "unsupported mount type \"%s\"", fields[i] + 5);
        m->type = (enum run_mount_type)k;
    }
    return 0;
}

static const char *type_name(enum run_mount_type t)
{
    static const char *const names[] = {"bind", "cache", "tmpfs", "secret", "ssh"};
    return names[t];
}

static int parse_id32(const char *key, const char *v, int base, uint32_t *out, kiln_error_t **err)
{
    char *end = NULL;
    errno = 0;
    unsigned long long x = strtoull(v, &end, base);
    if (!*v || *end || errno || x > UINT32_MAX || *v == '-' || *v == '+')
        return kiln_err(err, KILN_EINPUT, 0, "invalid value %s for %s", v, key);
    *out = (uint32_t)x;
    return 0;
}

static bool is_ro_key(const char *key)
{
    return !strcmp(key, "readonly") || !strcmp(key, "ro");
}

static bool is_rw_key(const char *key)
{
    return !strcmp(key, "readwrite") || !strcmp(key, "rw");
}

/* A bare key (no '='): ro, rw, required. */
static int bare_field(struct run_mount *m, const char *key, bool *ro_auto, kiln_error_t **err)
{
    if (is_ro_key(key) || is_rw_key(key)) {
        m->readonly = is_ro_key(key);
        *ro_auto = false;
        return 0;
    }
    if (!strcmp(key, "required") && (m->type == RUN_MOUNT_SECRET || m->type == RUN_MOUNT_SSH))
        return m->required = true, 0;
    if (!strcmp(key, "required"))
        return kiln_err(err, KILN_EINPUT, 0, "unexpected key '%s' for mount type '%s'", key,
                        type_name(m->type));
    return kiln_err(err, KILN_EINPUT, 0, "invalid field '%s' must be a key=value pair", key);
}

static int bool_field(const char *key, const char *v, bool *out, kiln_error_t **err)
{
    if (parse_gobool(v, out) < 0)
        return kiln_err(err, KILN_EINPUT, 0, "invalid value for %s: %s", key, v);
    return 0;
}

static int only_for(struct run_mount *m, const char *key, bool ok, kiln_error_t **err)
{
    if (!ok)
        return kiln_err(err, KILN_EINPUT, 0, "unexpected key '%s' for mount type '%s'", key,
                        type_name(m->type));
    return 0;
}

static int sharing_field(struct run_mount *m, const char *v, kiln_error_t **err)
{
    if (only_for(m, "sharing", m->type == RUN_MOUNT_CACHE, err) < 0)
        return -1;
    if (!strcasecmp(v, "shared"))
        m->sharing = RUN_SHARING_SHARED;
    else if (!strcasecmp(v, "private"))
        m->sharing = RUN_SHARING_PRIVATE;
    else if (!strcasecmp(v, "locked"))
        m->sharing = RUN_SHARING_LOCKED;
    else
        return kiln_err(err, KILN_EINPUT, 0, "unsupported sharing value \"%s\"", v);
    return 0;
}

static int value_field(struct run_mount *m, const char *key, const char *v, bool *ro_auto,
                       kiln_error_t **err)
{
    bool b = false;
    if (!strcmp(key, "type"))
        return 0;
    if (!strcmp(key, "from"))
        return set_str(&m->from, v), 0;
    if (!strcmp(key, "source") || !strcmp(key, "src"))
        return set_str(&m->source, v), 0;
    if (!strcmp(key, "target") || !strcmp(key, "dst") || !strcmp(key, "destination"))
        return set_str(&m->target, v), 0;
    if (!strcmp(key, "id"))
        return set_str(&m->id, v), 0;
    if (!strcmp(key, "env"))
        return set_str(&m->env, v), 0;
    if (is_ro_key(key) || is_rw_key(key)) {
        *ro_auto = false;
        if (bool_field(key, v, &b, err) < 0)
            return -1;
        m->readonly = is_ro_key(key) ? b : !b;
        return 0;
    }
    if (!strcmp(key, "required"))
        return only_for(m, key, m->type == RUN_MOUNT_SECRET || m->type == RUN_MOUNT_SSH, err) < 0
                   ? -1
                   : bool_field(key, v, &m->required, err);
    if (!strcmp(key, "size")) {
        uint64_t sz;
        if (only_for(m, key, m->type == RUN_MOUNT_TMPFS, err) < 0)
            return -1;
        if (parse_size(v, &sz) < 0 || sz > INT64_MAX)
            return kiln_err(err, KILN_EINPUT, 0, "invalid value for size: %s", v);
        return m->size = (int64_t)sz, 0;
    }
    if (!strcmp(key, "sharing"))
        return sharing_field(m, v, err);
    if (!strcmp(key, "mode"))
        return m->has_mode = true, parse_id32(key, v, 8, &m->mode, err);
    if (!strcmp(key, "uid"))
        return m->has_uid = true, parse_id32(key, v, 10, &m->uid, err);
    if (!strcmp(key, "gid"))
        return m->has_gid = true, parse_id32(key, v, 10, &m->gid, err);
    return kiln_err(err, KILN_EINPUT, 0, "unexpected key '%s' in '%s=%s'", key, key, v);
}

static int one_field(struct run_mount *m, const char *field, mount_expand_fn expand, void *ctx,
                     bool *ro_auto, kiln_error_t **err)
{
    const char *eq = strchr(field, '=');
    cleanup_free char *key = xstrndup(field, eq ? (size_t)(eq - field) : strlen(field));
    str_lower(key);
    if (!eq)
        return *field ? bare_field(m, key, ro_auto, err) : 0;
    cleanup_free char *v = NULL;
    if (expand && strcmp(key, "from") != 0 && expand(ctx, eq + 1, &v, err) < 0)
        return -1;
    return value_field(m, key, v ? v : eq + 1, ro_auto, err);
}

static int check_mount(struct run_mount *m, bool ro_auto, kiln_error_t **err)
{
    bool info =
        m->type == RUN_MOUNT_SECRET || m->type == RUN_MOUNT_SSH || m->type == RUN_MOUNT_CACHE;
    if (!info && (m->has_mode || m->has_uid || m->has_gid))
        return kiln_err(err, KILN_EINPUT, 0, "%s not allowed for \"%s\" type mounts",
                        m->has_mode  ? "mode"
                        : m->has_uid ? "uid"
                                     : "gid",
                        type_name(m->type));
    if (m->has_mode && m->mode > 07777)
        return kiln_err(err, KILN_EINPUT, 0, "invalid value %o for mode", m->mode);
    if (ro_auto)
        m->readonly = m->type != RUN_MOUNT_CACHE && m->type != RUN_MOUNT_TMPFS;
    if (m->type != RUN_MOUNT_SECRET)
        return 0;
    if (m->from)
        return kiln_err(err, KILN_EINPUT, 0, "secret mount should not have a from");
    if (!m->source && !m->target && !m->id)
        return kiln_err(err, KILN_EINPUT, 0, "one of source, target required");
    if (m->source && m->id)
        return kiln_err(err, KILN_EINPUT, 0, "both source and id can't be set");
    return 0;
}

int mount_parse(const char *spec, mount_expand_fn expand, void *ctx, struct run_mount *out,
                kiln_error_t **err)
{
    memset(out, 0, sizeof(*out));
    cleanup_strv char **fields = NULL;
    size_t n = 0;
    bool ro_auto = true;
    if (csv_split(spec, &fields, &n, err) < 0 || parse_type(fields, n, out, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (one_field(out, fields[i], expand, ctx, &ro_auto, err) < 0) {
            run_mount_release(out);
            return -1;
        }
    if (check_mount(out, ro_auto, err) < 0) {
        run_mount_release(out);
        return -1;
    }
    return 0;
}

void run_mount_release(struct run_mount *m)
{
    free(m->from), free(m->source), free(m->target), free(m->id), free(m->env);
    memset(m, 0, sizeof(*m));
}
