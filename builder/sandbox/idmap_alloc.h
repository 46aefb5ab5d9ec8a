/* Internal to builder/sandbox: the host id range of a new store when kiln runs as root.
 *
 * Each store gets IDMAP_COUNT ids of its own, the same base for uids and gids, recorded in
 * ROOT/idmap (existing stores keep the range they recorded) and in a host-wide list of the
 * ranges kiln gave out, KILN_IDMAP_RANGES or IDMAP_RANGES_DEFAULT. A new range overlaps no
 * range of another user in /etc/subuid or /etc/subgid, no live store in the list, and not
 * IDMAP_ROOT_BASE (which every store used before stores had their own ranges). It is taken
 * from root's own subordinate range when root has one of at least two ranges (the same in
 * /etc/subuid and /etc/subgid; its first range is skipped, older kilns used it), else from
 * [IDMAP_ROOT_BASE, 2^31). When kiln is root of a user namespace other than the initial one (in
 * a container), ids that namespace does not map are taken too, and the range may start at
 * IDMAP_MIN_BASE: the container needs IDMAP_MIN_BASE + IDMAP_COUNT ids (an error says so). */
#ifndef KILN_SANDBOX_IDMAP_ALLOC_H
#define KILN_SANDBOX_IDMAP_ALLOC_H

#include <stdint.h>

#include "idmap.h"

#define IDMAP_RANGES_DEFAULT "/var/lib/kiln/idmap-ranges"

/* The list's path: $KILN_IDMAP_RANGES when it is absolute, else IDMAP_RANGES_DEFAULT. */
const char *idmap_ranges_path(void);

/* Gives the store at root a range: writes ROOT/idmap and the list, under the list's lock. When
 * another kiln wrote ROOT/idmap meanwhile, *base is the one it recorded. */
int idmap_alloc_store(const char *root, uint32_t *base, kiln_error_t **err);

#endif
