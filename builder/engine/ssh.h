/* SSH agent forwarding for RUN --mount=type=ssh (BuildKit's sshforward, made stricter).
 *
 * --ssh ID=SOCKET forwards an agent the user runs; --ssh ID=KEY[,KEY] loads private key files
 * into an ssh-agent kiln starts for the build (openssh-client's ssh-agent and ssh-add, in a
 * private directory, killed when the build ends; a key with a passphrase is refused: load it
 * into your own agent). kiln never reads a key itself.
 *
 * A step that mounts ID gets a socket of its own, bind-mounted at the mount's target and
 * nowhere else, owned by the mount's uid/gid with its mode; behind it a proxy thread of kiln
 * passes only the requests to list keys and to sign with them (SSH2_AGENTC_REQUEST_IDENTITIES,
 * SSH2_AGENTC_SIGN_REQUEST) and answers every other one (add, remove, lock, unlock,
 * extensions, SSH1) with SSH_AGENT_FAILURE, as BuildKit's read-only agent does for most of
 * them. The socket exists only while the step runs: it is never in a layer, and the step's
 * cache key holds the mount (id, target, mode, owner), not the agent or its keys.
 */
#ifndef KILN_ENGINE_SSH_H
#define KILN_ENGINE_SSH_H

#include <stdbool.h>
#include <stdint.h>

#include "kiln/kiln.h"

#define SSH_AGENT_MAX_MSG (256u * 1024) /* OpenSSH's AGENT_MAX_LEN */
#define SSH_MAX_CLIENTS   32            /* connections one step may hold open at once */

/* The agent messages (draft-miller-ssh-agent). */
enum {
    SSH_AGENT_FAILURE = 5,
    SSH2_AGENTC_REQUEST_IDENTITIES = 11,
    SSH2_AGENTC_SIGN_REQUEST = 13,
};

/* Whether a request of this type may reach the agent. Pure. */
bool ssh_request_allowed(unsigned char type);

/* The agents of a build, by id. */
struct ssh_agents;
/* Checks every --ssh (sockets exist, keys are readable regular files of at most 100 KiB, ids
 * are unique) and starts an agent for the key sets. Errors name the flag; BuildKit's words
 * where it has them ("invalid empty ssh agent socket: make sure SSH_AUTH_SOCK is set"). */
int ssh_agents_open(const struct kiln_ssh_opt *opts, size_t n, struct ssh_agents **out,
                    kiln_error_t **err);
/* The socket of the agent for id, or NULL when --ssh did not give it. */
const char *ssh_agents_socket(const struct ssh_agents *a, const char *id);
/* Stops the agents kiln started and removes their directories. NULL is fine. */
void ssh_agents_close(struct ssh_agents *a);

/* One step's socket: a listening socket at dir/NAME (dir is an open, private directory) whose
 * connections go through the filter to upstream. */
struct ssh_proxy;
int ssh_proxy_start(int dirfd, const char *name, const char *upstream, struct ssh_proxy **out,
                    kiln_error_t **err);
/* Stops the thread, closes every connection, removes the socket. NULL is fine. */
void ssh_proxy_stop(struct ssh_proxy *p);

/* connect() to a Unix socket path of any length (through its directory when it is longer than
 * sun_path). Returns the fd or -1 with errno. */
int ssh_unix_connect(const char *path);

#endif
