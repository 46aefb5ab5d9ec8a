/* snapshot_ensure (unpack.h): a stored layer's snapshot, unpacked once into a temporary
 * directory as container root and renamed into place, so a complete name is always a complete
 * snapshot and a failed unpack leaves nothing. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "sandbox/idmap.h"
#include "snapshot/unpack.h"
#include "util.h"

struct ensure_args {
    struct store *s;
    const char *digest, *media_type, *diff_id, *final;
    const struct unpack_limits *limits;
};

/* Unpacks into a temporary directory and renames it into place; runs as container root. */
static int ensure_fn(void *arg, const struct idshift *shift, void *result, kiln_error_t **err)
{
    struct ensure_args *a = arg;
    struct store *s = a->s;
    char tmp[] = "snapshots/.tmp-XXXXXXXXXX";
    random_name(tmp + strlen(tmp) - 10, 10);
    if (mkdir_p_at(s->rootfd, "snapshots", 0700, err) < 0)
        return kiln_err_wrap(err, "store '%s'", s->root);
    if (mkdirat(s->rootfd, tmp, 0755) < 0)
        return kiln_err_errno(err, KILN_EIO, "store '%s': create snapshot", s->root);
    cleanup_close int dfd = openat(s->rootfd, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_close int bfd = store_open_blob(s, a->digest, err);
    int rc = (dfd < 0 || bfd < 0) ? -1
                                  : unpack_layer_shifted(bfd, a->media_type, a->diff_id, dfd, shift,
                                                         a->limits, result, err);
    if (rc == 0 && fchown(dfd, shift->uid, shift->gid) < 0)
        rc = kiln_err_errno(err, KILN_EIO, "store '%s': snapshot owner", s->root);
    if (rc == 0 && renameat(s->rootfd, tmp, s->rootfd, a->final) < 0 && errno != EEXIST &&
        errno != ENOTEMPTY)
        rc = kiln_err_errno(err, KILN_EIO, "store '%s': rename snapshot", s->root);
    kiln_error_t *e2 = NULL;
    rm_rf_at(s->rootfd, tmp, &e2); /* gone after a rename; the partial tree after a failure */
    kiln_error_free(e2);
    return rc;
}

int snapshot_ensure(struct store *s, const char *digest, const char *media_type,
                    const char *diff_id, const struct unpack_limits *limits,
                    struct unpack_report *report, char **path, kiln_error_t **err)
{
    struct unpack_report unused;
    report = report ? report : &unused;
    memset(report, 0, sizeof(*report));
    if (!digest_valid(diff_id))
        return kiln_err(err, KILN_ECORRUPT, 0, "invalid diff_id '%s'", diff_id);
    cleanup_free char *final = xasprintf("snapshots/%s", digest_hex(diff_id));
    struct stat st;
    if (fstatat(s->rootfd, final, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
        *path = xasprintf("%s/%s", s->root, final);
        return 0;
    }
    struct idmap m;
    if (idmap_for_store(s->root, &m, err) < 0)
        return -1;
    struct ensure_args a = {s, digest, media_type, diff_id, final, limits};
    if (idmap_run(&m, ensure_fn, &a, report, sizeof(*report), err) < 0)
        return kiln_err_wrap(err, "unpack %s", digest);
    *path = xasprintf("%s/%s", s->root, final);
    return 0;
}
