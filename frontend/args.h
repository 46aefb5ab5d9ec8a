/* BuildKit's predefined build arguments and the defaults of a build step: one list for the
 * builder, the linter and the scoping rules (expand.h).
 *
 *   proxies    HTTP_PROXY http_proxy HTTPS_PROXY https_proxy FTP_PROXY ftp_proxy NO_PROXY
 *              no_proxy ALL_PROXY all_proxy: usable without ARG; given as build args they reach
 *              every RUN (both spellings, BuildKit's ProxyEnv) but are neither expandable nor in
 *              the history, the config or a cache key unless a stage declares them with ARG
 *   platform   BUILDPLATFORM BUILDOS BUILDOSVERSION BUILDARCH BUILDVARIANT TARGETPLATFORM
 *              TARGETOS TARGETOSVERSION TARGETARCH TARGETVARIANT TARGETSTAGE: in the global
 *              scope (a build arg of the same name overrides each)
 *   epoch      SOURCE_DATE_EPOCH: in the global scope when the builder has an epoch
 *   buildkit   BUILDKIT_SANDBOX_HOSTNAME BUILDKIT_DOCKERFILE_CHECK BUILDKIT_CACHE_MOUNT_NS
 *              BUILDKIT_SYNTAX BUILDKIT_INLINE_CACHE BUILDKIT_MULTI_PLATFORM
 *              BUILDKIT_CONTEXT_KEEP_GIT_DIR BUILDKIT_SBOM_SCAN_CONTEXT BUILDKIT_SBOM_SCAN_STAGE:
 *              options of the build itself (the builder says what it does with each); the two
 *              SBOM ones never enter a step's environment, even when declared
 * None of them is an "unused" build argument.
 *
 * Pure: no I/O.
 */
#ifndef KILN_FRONTEND_ARGS_H
#define KILN_FRONTEND_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "kiln/kiln.h"

/* The PATH of a step whose image sets none (not for Windows images): BuildKit's
 * system.DefaultPathEnv, which the image config gets too. */
#define DF_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

enum df_arg_kind {
    DF_ARG_NONE, /* not predefined */
    DF_ARG_PROXY,
    DF_ARG_PLATFORM,
    DF_ARG_EPOCH,
    DF_ARG_BUILDKIT,
};

/* What kind of predefined build argument name is (exact case), DF_ARG_NONE for others. */
enum df_arg_kind df_arg_predefined(const char *name);
/* The names of one kind, NULL-terminated (static). */
const char *const *df_arg_names(enum df_arg_kind kind);
/* False for the build args BuildKit never puts in a step's environment (nonEnvArgs). */
bool df_arg_in_env(const char *name);

/* The value BuildKit's ProxyEnv carries for the proxy group of upper (HTTP_PROXY, HTTPS_PROXY,
 * FTP_PROXY, NO_PROXY, ALL_PROXY): the build arg of either spelling with a value, the
 * lower-case one when both are given (the last in sorted key order); NULL when none. args with
 * a NULL value are skipped. */
const char *df_proxy_value(const struct kiln_kv *args, size_t nargs, const char *upper);
/* "K=V" for every proxy build arg of a RUN step, both spellings of each group with a non-empty
 * value (BuildKit's proxyEnvList), except the names has_name says the step's environment
 * already sets. Appended to *out (NULL-terminated), *n counts them. */
void df_proxy_env(const struct kiln_kv *args, size_t nargs,
                  bool (*has_name)(void *ctx, const char *name), void *ctx, char ***out, size_t *n);

#endif
