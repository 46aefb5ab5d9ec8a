/* Owners as the image sees them: a view of the store's snapshots shows host ids, layers,
 * warnings and COPY's parents need container ids. */
#include <sys/stat.h>

#include "build.h"
#include "owners.h"

#define NOBODY 65534u

static uint32_t container_id(const struct idmap_range *r, size_t n, uint32_t host)
{
    for (size_t i = 0; i < n; i++)
        if (host >= r[i].outside && host - r[i].outside < r[i].count)
            return r[i].inside + (host - r[i].outside);
    return NOBODY;
}

void owners_in_container(const struct build *b, const struct stat *st, uint32_t *uid, uint32_t *gid)
{
    const struct idmap *m = &b->idmap;
    *uid = container_id(m->uids, m->nuids, (uint32_t)st->st_uid);
    *gid = container_id(m->gids, m->ngids, (uint32_t)st->st_gid);
}
