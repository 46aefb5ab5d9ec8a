/* RUN --device: BuildKit's instructions.ParseDevice. */
#include <string.h>

#include "csv.h"
#include "dockerfile.h"
#include "flags.h"
#include "instr_internal.h"
#include "suggest.h"
#include "util.h"

static int device_kv(struct df_device *d, const char *field, const char *key, const char *value,
                     kiln_error_t **err)
{
    static const char *const keys[] = {"name", "required"};
    if (strcmp(key, "name") == 0) {
        if (d->name)
            return kiln_err(err, KILN_EINPUT, 0, "device name already set to %s", d->name);
        d->name = xstrdup(value);
        return 0;
    }
    if (strcmp(key, "required") == 0) {
        if (flags_parse_bool(value, &d->required) < 0)
            return kiln_err(err, KILN_EINPUT, 0, "invalid value for %s: %s", key, value);
        return 0;
    }
    if (!d->name) {
        d->name = xstrdup(field);
        return 0;
    }
    cleanup_free char *msg = xasprintf("unexpected key '%s' in '%s'", key, field);
    cleanup_free char *full = suggest_wrap(msg, key, keys, ARRAY_SIZE(keys), true);
    return kiln_err(err, KILN_EINPUT, 0, "%s", full);
}

static int device_field(struct df_device *d, const char *field, kiln_error_t **err)
{
    const char *eq = strchr(field, '=');
    cleanup_free char *key = xstrndup(field, eq ? (size_t)(eq - field) : strlen(field));
    str_lower(key);
    if (eq)
        return device_kv(d, field, key, eq + 1, err);
    if (strcmp(key, "required") == 0) {
        d->required = true;
        return 0;
    }
    if (d->name)
        return kiln_err(err, KILN_EINPUT, 0, "invalid field '%s' must be a key=value pair", field);
    d->name = xstrdup(field);
    return 0;
}

int device_parse(const char *spec, struct df_device *out, kiln_error_t **err)
{
    cleanup_strv char **fields = NULL;
    size_t n = 0;
    if (csv_fields(spec, &fields, &n, err) < 0)
        return kiln_err_wrap(err, "failed to parse csv devices");
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        if (device_field(out, fields[i], err) < 0) {
            free(out->name);
            out->name = NULL;
            return -1;
        }
    }
    return 0;
}
