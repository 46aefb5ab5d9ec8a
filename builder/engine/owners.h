/* Owners as the image sees them (owners.c): a view of the store's snapshots shows host ids;
 * layers, warnings and COPY's parents need container ids. */
#ifndef KILN_ENGINE_OWNERS_H
#define KILN_ENGINE_OWNERS_H

#include <stdint.h>
#include <sys/stat.h>

struct build;

/* The container ids of a file a stage's view shows: views of snapshots show host ids (the
 * store's mapped range, sandbox/idmap.h); an id outside the map is nobody (65534), as the
 * differ writes it. */
void owners_in_container(const struct build *b, const struct stat *st, uint32_t *uid,
                         uint32_t *gid);

#endif
