/* File-system helpers for the builder: full reads and writes, bounded reads, directory
 * creation and removal relative to directory fds, and resolution of untrusted paths beneath a
 * root directory (openat2 RESOLVE_IN_ROOT). */
#ifndef KILN_FSUTIL_H
#define KILN_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "kiln/error.h"

int write_all(int fd, const void *p, size_t n);
/* Reads up to max bytes from fd; more is a KILN_ELIMIT error. *out is NUL-terminated. */
int read_fd_limited(int fd, size_t max, char **out, size_t *len, kiln_error_t **err);
/* Reads a whole file (path relative to dirfd, or absolute) of at most max bytes. */
int read_file_limited(int dirfd, const char *path, size_t max, char **out, size_t *len,
                      kiln_error_t **err);
/* Fills n bytes of s with random [a-z0-9]. */
void random_name(char *s, size_t n);
/* mkdir -p of path relative to dirfd (which may be AT_FDCWD). */
int mkdir_p_at(int dirfd, const char *path, mode_t mode, kiln_error_t **err);
/* rm -rf of name in dirfd; does not follow symlinks; missing is fine. */
int rm_rf_at(int dirfd, const char *name, kiln_error_t **err);
/* openat2(2): path resolved from dirfd under the RESOLVE_* flags in resolve; flags as for openat
 * (O_CLOEXEC is added), mode only with O_CREAT or O_TMPFILE. Retried while the kernel answers
 * EAGAIN (RESOLVE_IN_ROOT and RESOLVE_BENEATH refuse a lookup that a concurrent rename may have
 * raced). Returns the fd or -1 with errno set. The one place kiln calls openat2. */
int openat2_retry(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve);
/* Opens path beneath rootfd: symlinks and ".." resolve inside the root, magic links refused.
 * flags as for openat (O_CLOEXEC is added). Returns the fd or -1 with errno set. */
int open_in_root(int rootfd, const char *path, int flags, mode_t mode);
/* Copies all bytes of in to out. */
int copy_fd(int in, int out, kiln_error_t **err);
/* Writes a file atomically: temp file in the same directory, fsync, rename. */
int write_file_atomic(int dirfd, const char *name, const void *p, size_t n, mode_t mode,
                      kiln_error_t **err);

/* The same for content made piece by piece (a large table is never whole in memory): fill calls
 * atomic_put as often as it likes. */
struct atomic_out;
int write_file_atomic_fn(int dirfd, const char *name, mode_t mode,
                         void (*fill)(void *ctx, struct atomic_out *o), void *ctx,
                         kiln_error_t **err);
/* Buffered; a write error is reported when the file is finished. */
void atomic_put(struct atomic_out *o, const void *p, size_t n);

#endif
