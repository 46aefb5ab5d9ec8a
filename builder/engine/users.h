/* Users and groups of an image (users.c), read from its /etc/passwd and /etc/group through a
 * view, never through the host's NSS. */
#ifndef KILN_ENGINE_USERS_H
#define KILN_ENGINE_USERS_H

#include <stdbool.h>
#include <stdint.h>

#include "kiln/error.h"
#include "snapshot/view.h"

/* Resolves "user[:group]" (names or numbers) through view's /etc/passwd and /etc/group.
 * Without a group, the gid is the user's primary group from passwd when passwd_group (a
 * process's credentials), else the uid (Docker's --chown rule). A name missing from the files
 * is a KILN_EINPUT error. */
int users_resolve(struct view *v, const char *spec, bool passwd_group, uint32_t *uid, uint32_t *gid,
                  kiln_error_t **err);

#endif
