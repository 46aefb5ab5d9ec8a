/* How container ids map to host ids, and running file operations in the mapped world.
 *
 * Container ids [0, IDMAP_COUNT) are mapped; nothing else exists inside a step.
 *
 *   IDMAP_ROOT    kiln runs as root: container id N is host id BASE + N, with BASE from the
 *                 store's ROOT/idmap file ("BASE COUNT", written on first use so that a store keeps
 *                 its range: the files of its snapshots are owned by it). On first use the store
 *                 gets a range of its own, overlapping no other user's subordinate ids and no
 *                 other store kiln knows of (sandbox/idmap_alloc.h). kiln (host root) unpacks and
 *                 diffs snapshots itself, shifting ids by BASE (struct idshift).
 *   IDMAP_SUBID   kiln runs as a normal user with ranges in /etc/subuid and /etc/subgid and
 *                 newuidmap/newgidmap: container 0 is the user, 1..COUNT-1 its subordinate ids,
 *                 range after range in file order (up to IDMAP_MAX_RANGES - 1 of them, never one
 *                 holding the user's own id). Unpacks and diffs run in a child in a user
 *                 namespace with that map (idmap_run), where ids need no shift.
 *   IDMAP_SINGLE  the last fallback (no subordinate range or no helpers): container 0 is the
 *                 user and nothing else is mapped. Files of other owners become root's, steps
 *                 cannot switch to another user or set groups. res->warning says so.
 *
 * The same Dockerfile gives the same layers in every mode: layers always carry container ids.
 */
#ifndef KILN_SANDBOX_IDMAP_H
#define KILN_SANDBOX_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kiln/error.h"

#define IDMAP_COUNT      65536u
#define IDMAP_ROOT_BASE  1000000000u /* far above login and system users, below 2^31 */
#define IDMAP_MIN_BASE   65536u      /* a store's id map never starts lower (ROOT/idmap) */
#define IDMAP_MAX_RANGES 4           /* lines of a map: container root and subordinate ranges */

enum idmap_mode { IDMAP_ROOT, IDMAP_SUBID, IDMAP_SINGLE };

struct idmap_range {
    uint32_t inside, outside, count;
};

struct idmap {
    enum idmap_mode mode;
    struct idmap_range uids[IDMAP_MAX_RANGES], gids[IDMAP_MAX_RANGES];
    size_t nuids, ngids;
    uint32_t count;    /* container ids [0, count) are mapped */
    char warning[256]; /* "" or why the map is weaker than it should be */
};

/* Container id N is host id N + uid (or gid) for a file kiln touches in this process; ids at or
 * above count do not exist. */
struct idshift {
    uint32_t uid, gid, count;
};

/* Works out the map for the store at root (see above). */
int idmap_for_store(const char *root, struct idmap *m, kiln_error_t **err);

/* Writes the map of the process pid (just cloned into a new user namespace, waiting): directly as
 * root or for the single map, through newuidmap/newgidmap otherwise. */
int idmap_write(const struct idmap *m, pid_t pid, kiln_error_t **err);

/* A file operation in the mapped world: ids in files are host = container + shift. It may fill
 * result (result_size bytes) for the caller. It runs in a forked child when m->mode is not
 * IDMAP_ROOT, so it must not rely on changing the caller's memory other than result. */
typedef int (*idmap_fn)(void *arg, const struct idshift *shift, void *result, kiln_error_t **err);

/* Runs fn as container root: in this process with a shift (IDMAP_ROOT), or in a forked child
 * that enters a user namespace with the map (no shift). Errors of fn come back unchanged. The
 * child allocates: call it while kiln has a single thread (as the build driver does). */
int idmap_run(const struct idmap *m, idmap_fn fn, void *arg, void *result, size_t result_size,
              kiln_error_t **err);

/* The host id of container uid/gid N, or -1 when N is not mapped. */
int64_t idmap_host_uid(const struct idmap *m, uint32_t n);
int64_t idmap_host_gid(const struct idmap *m, uint32_t n);

#endif
