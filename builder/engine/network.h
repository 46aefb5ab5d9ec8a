/* The build's network (network.c): the destination policy RUN's default network and ADD <url>
 * share (b->net), the proxy build args (BuildKit's predefined ARGs), and hints for steps that
 * failed on a network. */
#ifndef KILN_ENGINE_NETWORK_H
#define KILN_ENGINE_NETWORK_H

#include <stddef.h>

#include "kiln/error.h"

struct build;

#define BUILD_MAX_DOWNLOAD (4ull << 30) /* ADD <url> without --max-download-size */

/* The build's destination policy: the host's addresses, --allow-net, and the operator's proxy
 * build args (a proxy given on the command line is allowed: the operator named it). */
int network_init(struct build *b, kiln_error_t **err);
/* The proxy of the build args for a URL's scheme (https: HTTPS_PROXY, else ALL_PROXY; either
 * spelling, as BuildKit's ProxyEnv picks it), or NULL; *no_proxy the NO_PROXY value or NULL.
 * RUN steps get the proxies through the frontend (df_scope_proxy_env). */
const char *network_proxy_for(struct build *b, const char *scheme, const char **no_proxy);
/* What to tell the user when a RUN step failed on this network, from its last output, or "". */
const char *network_hint(int network, const char *tail);

#endif
