/* A dedicated host id range for each store when kiln runs as root (see idmap_alloc.h).
 *
 * The host-wide list of the ranges kiln gave out is a file of lines "BASE COUNT STORE" (STORE:
 * the store's absolute path), rewritten atomically under an exclusive lock on "<file>.lock". An
 * entry whose store no longer records that base in STORE/idmap is dead and dropped. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "idmap_alloc.h"
#include "sandbox/hostenv.h"
#include "util.h"

#define RANGES_MAX      (1u << 20)      /* bytes of the list, and of /etc/subuid */
#define RANGES_LINE_MAX (PATH_MAX + 64) /* the line a new store adds: base, count, path */
#define POOL_END        2147483648ull   /* ids stay below 2^31: some tools read them as signed */
#define MAX_SPANS       65536

struct span {
    uint64_t start, end; /* [start, end) */
};

struct spans {
    struct span *v;
    size_t n, cap;
};

static void spans_add(struct spans *s, uint64_t start, uint64_t count)
{
    if (s->n >= MAX_SPANS || count == 0)
        return;
    xgrow(&s->v, &s->cap, s->n + 1, sizeof(*s->v));
    s->v[s->n++] = (struct span){start, start + count};
}

static bool spans_overlap(const struct spans *s, uint64_t start, uint64_t end)
{
    for (size_t i = 0; i < s->n; i++)
        if (start < s->v[i].end && s->v[i].start < end)
            return true;
    return false;
}

static bool is_root_name(const char *name)
{
    return !strcmp(name, "root") || !strcmp(name, "0");
}

/* Every range of an /etc/sub[ug]id file into taken, except root's, which is returned as *pool
 * when it holds at least two ranges (the first is kept for stores made before stores had
 * their own). */
static void subid_spans(const char *file, struct spans *taken, struct span *pool)
{
    cleanup_free char *data = NULL;
    kiln_error_t *e = NULL;
    if (read_file_limited(AT_FDCWD, file, RANGES_MAX, &data, NULL, &e) < 0) {
        kiln_error_free(e);
        return;
    }
    char *save = NULL;
    for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        uint64_t s, n;
        if (!c2)
            continue;
        *c1 = *c2 = '\0';
        if (parse_u64(c1 + 1, UINT32_MAX, &s) < 0 || parse_u64(c2 + 1, UINT32_MAX, &n) < 0)
            continue;
        if (is_root_name(l) && n >= 2ull * IDMAP_COUNT && s + n <= POOL_END && !pool->end)
            *pool = (struct span){s + IDMAP_COUNT, s + n};
        else if (!is_root_name(l))
            spans_add(taken, s, n);
    }
}

/* The base STORE/idmap records, or 0. */
static uint64_t store_base(const char *store)
{
    cleanup_free char *p = xasprintf("%s/idmap", store);
    cleanup_free char *data = NULL;
    kiln_error_t *e = NULL;
    unsigned long long b = 0;
    if (read_file_limited(AT_FDCWD, p, 4096, &data, NULL, &e) < 0) {
        kiln_error_free(e);
        return 0;
    }
    return sscanf(data, "%llu", &b) == 1 ? b : 0;
}

/* The live entries of the list (other than self) into taken and keep. */
static void read_list(const char *path, const char *self, struct spans *taken, struct buf *keep)
{
    cleanup_free char *data = NULL;
    kiln_error_t *e = NULL;
    if (read_file_limited(AT_FDCWD, path, RANGES_MAX, &data, NULL, &e) < 0) {
        kiln_error_free(e);
        return;
    }
    char *save = NULL;
    for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        unsigned long long b, n;
        int off = 0;
        if (sscanf(l, "%llu %llu %n", &b, &n, &off) != 2 || off <= 0 || l[off] != '/' ||
            !strcmp(l + off, self) || store_base(l + off) != b)
            continue; /* malformed, this store, or a store that is gone or moved on */
        spans_add(taken, b, n);
        /* the lines kept are fewer than those read (at most RANGES_MAX bytes): they fit */
        if (buf_addf(keep, NULL, "%s\n", l) < 0)
            return;
    }
}

/* The first free range of IDMAP_COUNT ids in pool, or 0. */
static uint64_t first_free(const struct spans *taken, struct span pool)
{
    for (uint64_t b = pool.start; b + IDMAP_COUNT <= pool.end; b += IDMAP_COUNT)
        if (!spans_overlap(taken, b, b + IDMAP_COUNT))
            return b;
    return 0;
}

/* In a user namespace (kiln in a container): the ids it does not map are taken. */
static void unmapped_spans(bool uid, struct spans *taken)
{
    struct hostenv_ids ids;
    if (hostenv_ids(uid, &ids) < 0)
        return;
    uint64_t at = 0;
    for (size_t i = 0; i < ids.n; i++) {
        if (ids.v[i].start > at)
            spans_add(taken, at, ids.v[i].start - at);
        at = ids.v[i].end > at ? ids.v[i].end : at;
    }
    if (at < POOL_END)
        spans_add(taken, at, POOL_END - at);
}

static uint64_t choose(const char *list, const char *self, struct buf *keep)
{
    struct spans taken = {0};
    bool nested = hostenv_nested();
    if (nested) {
        unmapped_spans(true, &taken);
        unmapped_spans(false, &taken);
    }
    struct span upool = {0, 0}, gpool = {0, 0};
    subid_spans("/etc/subuid", &taken, &upool);
    subid_spans("/etc/subgid", &taken, &gpool);
    read_list(list, self, &taken, keep);
    /* the ranges every store shared before each had its own: never given out again */
    spans_add(&taken, IDMAP_ROOT_BASE, IDMAP_COUNT);
    uint64_t b = 0;
    if (upool.end && upool.start == gpool.start && upool.end == gpool.end)
        b = first_free(&taken, upool); /* root's own subordinate ids, where it has them */
    if (!b)
        b = first_free(&taken, (struct span){IDMAP_ROOT_BASE, POOL_END});
    /* a container's user namespace maps few ids, from 0: any range of it clear of kiln's own */
    if (!b && nested)
        b = first_free(&taken, (struct span){IDMAP_MIN_BASE, POOL_END});
    free(taken.v);
    return b;
}

const char *idmap_ranges_path(void)
{
    const char *env = getenv("KILN_IDMAP_RANGES");
    return env && *env == '/' ? env : IDMAP_RANGES_DEFAULT;
}

static int lock_list(const char *list, kiln_error_t **err)
{
    cleanup_free char *dir = xstrndup(list, (size_t)(strrchr(list, '/') - list));
    if (*dir && mkdir_p_at(AT_FDCWD, dir, 0700, err) < 0)
        return kiln_err_wrap(err, "id ranges of the stores");
    cleanup_free char *lock = xasprintf("%s.lock", list);
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    int r = fd < 0 ? -1 : 0;
    while (r == 0 && flock(fd, LOCK_EX) < 0)
        r = errno == EINTR ? 0 : -1;
    if (r < 0) {
        kiln_err_errno(err, KILN_EIO, "lock '%s'", lock);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int write_both(const char *root, const char *list, uint64_t base, struct buf *keep,
                      kiln_error_t **err)
{
    cleanup_free char *text = xasprintf("%llu %u\n%llu %u\n", (unsigned long long)base, IDMAP_COUNT,
                                        (unsigned long long)base, IDMAP_COUNT);
    cleanup_close int sfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sfd < 0)
        return kiln_err_errno(err, KILN_EIO, "store '%s'", root);
    if (write_file_atomic(sfd, "idmap", text, strlen(text), 0644, err) < 0)
        return kiln_err_wrap(err, "store '%s'", root);
    if (buf_addf(keep, err, "%llu %u %s\n", (unsigned long long)base, IDMAP_COUNT, root) < 0)
        return kiln_err_wrap(err, "id ranges of the stores");
    const char *slash = strrchr(list, '/');
    cleanup_free char *dir = xstrndup(list, (size_t)(slash - list));
    cleanup_close int dfd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || write_file_atomic(dfd, slash + 1, buf_str(keep), keep->len, 0600, err) < 0)
        return dfd < 0 ? kiln_err_errno(err, KILN_EIO, "open '%s'", dir)
                       : kiln_err_wrap(err, "id ranges of the stores");
    return 0;
}

/* kiln is root of a user namespace too small for a store's range next to its own ids. */
static int nested_range_error(const char *root, kiln_error_t **err)
{
    struct hostenv_ids ids;
    uint64_t have = hostenv_ids(true, &ids) == 0 ? ids.total : 0;
    return kiln_err(
        err, KILN_ESANDBOX, 0,
        "store '%s': kiln runs as root of a user namespace of %llu ids (/proc/self/uid_map), "
        "and RUN steps need %u more, from %u up, apart from kiln's own ids: give the container "
        "at least %u ids (podman run --userns=auto:size=%u, or --uidmap 0:BASE:%u --gidmap "
        "0:BASE:%u), or run kiln as a user with %u subordinate ids in /etc/subuid and "
        "/etc/subgid, as kiln's image does (USER kiln; a Kubernetes pod with hostUsers: false "
        "has %u ids)",
        root, (unsigned long long)have, IDMAP_COUNT, IDMAP_MIN_BASE, IDMAP_MIN_BASE + IDMAP_COUNT,
        IDMAP_MIN_BASE + IDMAP_COUNT, IDMAP_MIN_BASE + IDMAP_COUNT, IDMAP_MIN_BASE + IDMAP_COUNT,
        IDMAP_COUNT - 1, IDMAP_COUNT);
}

int idmap_alloc_store(const char *root, uint32_t *base, kiln_error_t **err)
{
    char abs[PATH_MAX];
    if (!realpath(root, abs))
        return kiln_err_errno(err, KILN_EIO, "store '%s'", root);
    if (strchr(abs, '\n'))
        return kiln_err(err, KILN_EINPUT, 0, "store '%s': a newline in its path", root);
    const char *list = idmap_ranges_path();
    int lockfd = lock_list(list, err);
    if (lockfd < 0)
        return -1;
    uint64_t have = store_base(abs); /* another kiln made it while this one waited */
    int rc = 0;
    if (have && have <= UINT32_MAX - IDMAP_COUNT) {
        *base = (uint32_t)have;
        rc = 1;
    } else {
        struct buf keep = BUF_INIT(RANGES_MAX + RANGES_LINE_MAX);
        uint64_t b = choose(list, abs, &keep);
        if (!b && hostenv_nested())
            rc = nested_range_error(root, err);
        else if (!b)
            rc = kiln_err(err, KILN_ESANDBOX, 0,
                          "no free range of %u ids for store '%s' below 2^31 (see '%s')",
                          IDMAP_COUNT, root, list);
        else if ((rc = write_both(abs, list, b, &keep, err)) == 0)
            *base = (uint32_t)b;
        buf_release(&keep);
    }
    close(lockfd); /* releases the lock */
    return rc < 0 ? -1 : 0;
}
