/* RUN --mount: BuildKit's mount types for one step.
 *
 *   secret  the value of a --secret as a read-only file (SANDBOX_MOUNT_DATA: a tmpfs private to
 *           the step's mount namespace) at target (default /run/secrets/<id>, mode 0400, uid and
 *           gid 0) and/or in the step's environment (env=NAME, over an ENV of the same name).
 *           A missing secret is skipped unless required ("secret ID: not found").
 *   cache   a directory kept in the store (ROOT/cache/mounts/<sha256 of id>) across steps and
 *           builds, never in a layer and not in the step's cache key. sharing=shared (default)
 *           takes a shared lock, locked an exclusive one (steps wait for each other), private an
 *           exclusive one without waiting: when the cache is busy the step gets a fresh empty
 *           directory, discarded afterwards. On creation the root gets mode/uid/gid (0755, 0:0)
 *           and, with from=, the content of from's source.
 *   bind    a directory or file of the main context (.dockerignore applied), a stage or a named
 *           context, copied into a private directory the step sees read-only (or read-write
 *           with rw: writes are discarded with the copy). Its content is in the cache key
 *           (per-file digests from the hash index).
 *   tmpfs   a fresh tmpfs (size=, default half the RAM as the kernel's).
 *   ssh     the agent of --ssh ID (ssh.h): a socket of the step's own at target (default
 *           /run/buildkit/ssh_agent.N, mode 0600, uid and gid 0) behind kiln's filtering
 *           proxy; SSH_AUTH_SOCK is the first one's target unless the environment sets it. A
 *           missing agent is skipped unless required ("no SSH key ID forwarded from the
 *           client"). In the cache key: id, target, mode, owner; never the agent.
 *
 * Mounts come from the frontend (instr->mounts, struct df_mount); a deferred one (a variable
 * in a value) is parsed again with the step's variables.
 *
 * Lifecycle of a step's mounts: mounts_prepare (parse, expand, resolve; nothing written),
 * mounts_key (cache key), then only when the step runs mounts_attach (cache directories,
 * locks, copies) and mounts_release (unlock, remove copies, wipe secret environment).
 */
#ifndef KILN_ENGINE_MOUNTS_H
#define KILN_ENGINE_MOUNTS_H

#include <stdbool.h>
#include <stdint.h>

#include "build.h"
#include "cache/stepcache.h"
#include "sandbox/sandbox.h"

#define MOUNTS_DIR "cache/mounts"

struct step_mount;

struct step_mounts {
    struct build *b;
    bool attached;
    struct idmap map; /* set by mounts_attach */
    struct step_mount *v;
    size_t n;
    struct sandbox_mount *sbx; /* filled by mounts_attach */
    size_t nsbx;
    char **env; /* "NAME=value" of env= secrets (wiped on release) */
    size_t nenv;
    const char *ssh_target; /* the first ssh mount's target (SSH_AUTH_SOCK), or NULL */
};

int mounts_prepare(struct build *b, struct build_stage *st, const struct df_instr *in,
                   struct step_mounts *m, kiln_error_t **err);
/* Adds the mounts to a step's cache key: secrets by HMAC, binds by content, caches and tmpfs
 * by their description only. */
int mounts_key(struct build *b, struct step_mounts *m, struct cache_key *k, kiln_error_t **err);
int mounts_attach(struct build *b, struct step_mounts *m, const struct idmap *map,
                  kiln_error_t **err);
void mounts_release(struct step_mounts *m);

#endif
