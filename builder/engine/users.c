/* Users and groups of an image, read from its /etc/passwd and /etc/group through a view —
 * never through the host's NSS. */
#include <errno.h>
#include <string.h>

#include "build.h"
#include "users.h"
#include "fsutil.h"
#include "util.h"

#define USERS_MAX_FILE (4u * 1024 * 1024)

/* Finds the line whose first field is name (or, when by_id, whose third field is name) and
 * returns fields 3 and 4 (uid/gid for passwd; gid for group). */
static int find_entry(struct view *v, const char *file, const char *name, uint32_t *id,
                      uint32_t *id2, kiln_error_t **err)
{
    cleanup_close int fd = v ? view_open(v, file) : -1;
    if (fd < 0)
        return kiln_err(err, KILN_EINPUT, errno, "unable to find user %s: no %s file in the image",
                        name, file);
    cleanup_free char *data = NULL;
    if (read_fd_limited(fd, USERS_MAX_FILE, &data, NULL, err) < 0)
        return kiln_err_wrap(err, "%s", file);
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[7] = {0};
        size_t nf = 0;
        for (char *p = line; nf < 7; nf++) {
            f[nf] = p;
            char *c = strchr(p, ':');
            if (!c) {
                nf++;
                break;
            }
            *c = '\0';
            p = c + 1;
        }
        if (nf < 3 || strcmp(f[0], name) != 0)
            continue;
        uint64_t a, bb = 0;
        if (parse_u64(f[2], UINT32_MAX, &a) < 0 ||
            (id2 && (nf < 4 || parse_u64(f[3], UINT32_MAX, &bb) < 0)))
            return kiln_err(err, KILN_EINPUT, 0, "%s: malformed entry for '%s'", file, name);
        *id = (uint32_t)a;
        if (id2)
            *id2 = (uint32_t)bb;
        return 1;
    }
    return 0;
}

static bool numeric(const char *s, uint32_t *out)
{
    uint64_t v;
    if (parse_u64(s, UINT32_MAX, &v) < 0)
        return false;
    *out = (uint32_t)v;
    return true;
}

int users_resolve(struct view *v, const char *spec, bool passwd_group, uint32_t *uid, uint32_t *gid,
                  kiln_error_t **err)
{
    cleanup_free char *user = xstrdup(spec);
    char *group = strchr(user, ':');
    if (group)
        *group++ = '\0';
    if (!*user)
        return kiln_err(err, KILN_EINPUT, 0, "invalid user '%s'", spec);
    if (numeric(user, uid)) {
        *gid = *uid;
    } else {
        int r = find_entry(v, "/etc/passwd", user, uid, gid, err);
        if (r < 0)
            return -1;
        if (r == 0)
            return kiln_err(err, KILN_EINPUT, 0,
                            "unable to find user %s: no matching entries in passwd file", user);
        if (!passwd_group)
            *gid = *uid;
    }
    if (!group)
        return 0;
    if (numeric(group, gid))
        return 0;
    int r = find_entry(v, "/etc/group", group, gid, NULL, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return kiln_err(err, KILN_EINPUT, 0,
                        "unable to find group %s: no matching entries in group file", group);
    return 0;
}
