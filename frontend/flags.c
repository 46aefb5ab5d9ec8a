#include <string.h>
#include <strings.h>

#include "flags.h"
#include "suggest.h"
#include "util.h"

void flags_split(char *const *words, size_t n, struct df_flag **out, size_t *nout)
{
    *out = n ? xcalloc(n, sizeof(**out)) : NULL;
    *nout = n;
    for (size_t i = 0; i < n; i++) {
        const char *w = words[i] + 2; /* every flag word starts with "--" */
        const char *eq = strchr(w, '=');
        (*out)[i].name = eq ? xstrndup(w, (size_t)(eq - w)) : xstrdup(w);
        (*out)[i].value = eq ? xstrdup(eq + 1) : NULL;
    }
}

void flags_free(struct df_flag *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(f[i].name);
        free(f[i].value);
    }
    free(f);
}

int flags_parse_bool(const char *s, bool *out)
{
    static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        if (strcmp(s, t[i]) == 0)
            return *out = true, 0;
        if (strcmp(s, f[i]) == 0)
            return *out = false, 0;
    }
    return -1;
}

static const struct flag_spec *find_spec(const struct flag_spec *specs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(specs[i].name, name) == 0)
            return &specs[i];
    return NULL;
}

static int unknown_flag(const struct df_flag *f, const struct flag_spec *specs, size_t n,
                        kiln_error_t **err)
{
    const char **names = xcalloc(n + 1, sizeof(*names));
    for (size_t i = 0; i < n; i++)
        names[i] = specs[i].name;
    cleanup_free char *msg = xasprintf("unknown flag: --%s", f->name);
    cleanup_free char *full = suggest_wrap(msg, f->name, names, n, true);
    free(names);
    return kiln_err(err, KILN_EINPUT, 0, "%s", full);
}

static int check_value(const struct df_flag *f, const struct flag_spec *s, kiln_error_t **err)
{
    if (s->type != FLAG_BOOL) {
        if (!f->value)
            return kiln_err(err, KILN_EINPUT, 0, "missing a value on flag: --%s", f->name);
        return 0;
    }
    if (f->value && !*f->value)
        return kiln_err(err, KILN_EINPUT, 0, "missing a value on flag: --%s", f->name);
    if (f->value && strcasecmp(f->value, "true") != 0 && strcasecmp(f->value, "false") != 0)
        return kiln_err(err, KILN_EINPUT, 0, "expecting boolean value for flag --%s, not: %s",
                        f->name, f->value);
    return 0;
}

int flags_check(const struct df_flag *flags, size_t n, const struct flag_spec *specs, size_t nspecs,
                kiln_error_t **err)
{
    for (size_t i = 0; i < n; i++) {
        const struct flag_spec *s = find_spec(specs, nspecs, flags[i].name);
        if (!s)
            return unknown_flag(&flags[i], specs, nspecs, err);
        for (size_t k = 0; k < i && s->type != FLAG_STRINGS; k++)
            if (strcmp(flags[k].name, flags[i].name) == 0)
                return kiln_err(err, KILN_EINPUT, 0, "duplicate flag specified: --%s",
                                flags[i].name);
        if (check_value(&flags[i], s, err) < 0)
            return -1;
    }
    return 0;
}

int flags_tristate(const struct df_flag *flags, size_t n, const char *name)
{
    int v = -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(flags[i].name, name) == 0)
            v = !flags[i].value || strcasecmp(flags[i].value, "true") == 0;
    return v;
}

bool flags_bool(const struct df_flag *flags, size_t n, const char *name, bool def)
{
    int v = flags_tristate(flags, n, name);
    return v < 0 ? def : v == 1;
}
