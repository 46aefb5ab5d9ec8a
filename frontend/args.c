/* BuildKit's predefined build arguments and step defaults (args.h). */
#include <string.h>

#include "args.h"
#include "util.h"
#include "vec.h"

static const char *const proxy_names[] = {
    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
    "NO_PROXY",   "no_proxy",   "ALL_PROXY",   "all_proxy",   NULL,
};
static const char *const platform_names[] = {
    "BUILDPLATFORM", "BUILDOS",        "BUILDOSVERSION", "BUILDARCH",
    "BUILDVARIANT",  "TARGETPLATFORM", "TARGETOS",       "TARGETOSVERSION",
    "TARGETARCH",    "TARGETVARIANT",  "TARGETSTAGE",    NULL,
};
static const char *const epoch_names[] = {"SOURCE_DATE_EPOCH", NULL};
static const char *const buildkit_names[] = {
    "BUILDKIT_SANDBOX_HOSTNAME",     "BUILDKIT_DOCKERFILE_CHECK",
    "BUILDKIT_CACHE_MOUNT_NS",       "BUILDKIT_SYNTAX",
    "BUILDKIT_INLINE_CACHE",         "BUILDKIT_MULTI_PLATFORM",
    "BUILDKIT_CONTEXT_KEEP_GIT_DIR", "BUILDKIT_SBOM_SCAN_CONTEXT",
    "BUILDKIT_SBOM_SCAN_STAGE",      NULL,
};

const char *const *df_arg_names(enum df_arg_kind kind)
{
    static const char *const none[] = {NULL};
    switch (kind) {
    case DF_ARG_PROXY:
        return proxy_names;
    case DF_ARG_PLATFORM:
        return platform_names;
    case DF_ARG_EPOCH:
        return epoch_names;
    case DF_ARG_BUILDKIT:
        return buildkit_names;
    default:
        return none;
    }
}

static bool listed(const char *const *names, const char *name)
{
    for (; *names; names++)
        if (strcmp(*names, name) == 0)
            return true;
    return false;
}

enum df_arg_kind df_arg_predefined(const char *name)
{
    static const enum df_arg_kind kinds[] = {DF_ARG_PROXY, DF_ARG_PLATFORM, DF_ARG_EPOCH,
                                             DF_ARG_BUILDKIT};
    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
        if (listed(df_arg_names(kinds[i]), name))
            return kinds[i];
    return DF_ARG_NONE;
}

bool df_arg_in_env(const char *name)
{
    return strcmp(name, "BUILDKIT_SBOM_SCAN_CONTEXT") != 0 &&
           strcmp(name, "BUILDKIT_SBOM_SCAN_STAGE") != 0;
}

const char *df_proxy_value(const struct kiln_kv *args, size_t nargs, const char *upper)
{
    cleanup_free char *lower = xstrdup(upper);
    str_lower(lower);
    const char *best_key = NULL, *v = NULL;
    for (size_t i = 0; i < nargs; i++) {
        const struct kiln_kv *a = &args[i];
        bool match = strcmp(a->key, upper) == 0 || strcmp(a->key, lower) == 0;
        if (match && a->value && (!best_key || strcmp(a->key, best_key) >= 0))
            best_key = a->key, v = a->value;
    }
    return v;
}

void df_proxy_env(const struct kiln_kv *args, size_t nargs,
                  bool (*has_name)(void *ctx, const char *name), void *ctx, char ***out, size_t *n)
{
    for (size_t i = 0; proxy_names[i]; i += 2) {
        const char *v = df_proxy_value(args, nargs, proxy_names[i]);
        if (!v || !*v)
            continue;
        for (size_t k = i; k < i + 2; k++)
            if (!has_name || !has_name(ctx, proxy_names[k]))
                strv_add(out, n, xasprintf("%s=%s", proxy_names[k], v));
    }
}
