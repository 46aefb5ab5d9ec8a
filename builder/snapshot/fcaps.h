/* File capabilities (the security.capability xattr) across the id map.
 *
 * A value is v1 (12 bytes), v2 (20 bytes) or v3 (24 bytes: v2 plus the root uid of the user
 * namespace where it holds). A v1/v2 value holds for root of the namespace that reads it, so one
 * written by host root holds on the host. Layers carry container values: v2 (or v3 with a root
 * uid that is a container id); on disk kiln keeps host values.
 *
 * shift is kiln's view of the map (sandbox/idmap.h): uid != 0 when kiln runs as host root and
 * shifts ids itself; uid == 0 inside a user namespace (rootless), where the kernel converts
 * values between the namespace and the host on every get and set.
 */
#ifndef KILN_SNAPSHOT_FCAPS_H
#define KILN_SNAPSHOT_FCAPS_H

#include <stdbool.h>
#include <stddef.h>

#include "sandbox/idmap.h"

#define FCAPS_MAX 24

/* The value to set on disk for value (n bytes) from a layer, into out; returns its size, or 0
 * when it must be dropped (not a capability value, a root uid outside the map, or no map: shift
 * NULL). As root
 * (shift->uid != 0) the result is always v3 with root uid = host uid of the container root uid
 * of the value; in a user namespace it is v2 or v3 in the namespace's terms. */
size_t fcaps_to_disk(const void *value, size_t n, const struct idshift *shift,
                     unsigned char out[FCAPS_MAX]);

/* The value to put into a layer for value (n bytes) read from disk: v2 when it holds for
 * container root, v3 with a container root uid otherwise; 0 when it must be dropped. */
size_t fcaps_to_layer(const void *value, size_t n, const struct idshift *shift,
                      unsigned char out[FCAPS_MAX]);

/* Whether a value on disk may be copied as is within the mapped world: as root only v3 values
 * whose root uid is inside the map; in a user namespace any valid value (the kernel checks). */
bool fcaps_disk_ok(const void *value, size_t n, const struct idshift *shift);

#endif
