/* Flags of kiln build that shape every RUN step, parsed as buildx and Docker parse them (pure:
 * no I/O). Errors are KILN_EUSAGE with buildx's or Docker's wording. */
#ifndef KILN_ENGINE_RUNOPTS_H
#define KILN_ENGINE_RUNOPTS_H

#include <stddef.h>

#include "kiln/kiln.h"

#define RUNOPTS_MAX_HOSTS 4096 /* --add-host entries */

/* --add-host HOST:IP or HOST=IP (buildx's toBuildkitExtraHosts): IP may be a ',' list, each
 * optionally in brackets ([::1]); the host is lowercased (BuildKit's parseExtraHosts) and must
 * not hold white space or control characters; "host-gateway" is refused (kiln's steps reach no
 * address of the host by default). Appends one entry per IP, in canonical form. */
int runopts_add_host(const char *v, struct kiln_kv **hosts, size_t *n, kiln_error_t **err);

/* --ulimit NAME=SOFT[:HARD] (go-units ParseUlimit): Docker's names, -1 for unlimited, soft at
 * most hard. core is refused unless 0 (a dump would go to the host's core_pattern handler). A
 * later value for the same name replaces the earlier one. */
int runopts_ulimit(const char *v, struct kiln_ulimit *out, size_t *n, kiln_error_t **err);

/* /etc/hosts lines for the hosts ("IP\tNAME\n", in order), or NULL for none. */
char *runopts_hosts_text(const struct kiln_kv *hosts, size_t n);

#endif
