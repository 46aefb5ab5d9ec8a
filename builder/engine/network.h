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
/* The operator's proxy build args (HTTP_PROXY, HTTPS_PROXY, FTP_PROXY, NO_PROXY, ALL_PROXY, in
 * either case) as "K=V" for a RUN step's environment, as BuildKit passes them: not declared,
 * not in the history, the config or the cache key. Entries env already has are skipped. */
void network_proxy_env(struct build *b, char *const *env, size_t nenv, char ***out, size_t *n);
/* The proxy build arg for a URL's scheme ("https" → HTTPS_PROXY, https_proxy, ALL_PROXY...),
 * or NULL; *no_proxy the NO_PROXY value or NULL. */
const char *network_proxy_for(struct build *b, const char *scheme, const char **no_proxy);
/* What to tell the user when a RUN step failed on this network, from its last output, or "". */
const char *network_hint(int network, const char *tail);

#endif
