/* Internal to builder/sandbox: how the bytes of a SANDBOX_MOUNT_DATA (a secret) reach the step.
 *
 * The caller's copy of a secret lives in memory that forked children do not inherit (secmem:
 * MADV_DONTFORK), and the sandbox child is a fork of kiln: so before the clone the parent writes
 * each DATA mount into a memfd (close-on-exec, sealed against writes and resizing) that the
 * child inherits as a descriptor; the child copies it (sendfile, no buffer in its memory) into
 * the file on its private tmpfs and closes it; the parent closes its copies after the clone. */
#ifndef KILN_SANDBOX_DATA_H
#define KILN_SANDBOX_DATA_H

#include <stddef.h>

#include "sandbox.h"

/* fds[i] is the memfd of mount i when it is a DATA mount, else -1. */
int sbx_data_prepare(const struct sandbox_spec *s, int fds[SANDBOX_MAX_MOUNTS], kiln_error_t **err);
/* Closes every descriptor of fds and sets it to -1. */
void sbx_data_close(int fds[SANDBOX_MAX_MOUNTS]);
/* Child side: copies len bytes of the memfd from (at offset 0) to to. Returns 0 or -1 (errno). */
int sbx_data_copy(int from, int to, size_t len);

#endif
