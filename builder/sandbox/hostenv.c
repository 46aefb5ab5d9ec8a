/* Facts about the machine or container kiln runs in (hostenv.h). Everything here only reads. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "fsutil.h"
#include "sandbox/hostenv.h"
#include "util.h"

#define MAP_MAX       (64 * 1024) /* bytes of an id map (340 lines of three numbers) */
#define MOUNTINFO_MAX (4u << 20)
#define STATUS_MAX    (64 * 1024)

static int cmp_span(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return *x < *y ? -1 : *x > *y;
}

int hostenv_ids(bool uid, struct hostenv_ids *out)
{
    cleanup_free char *data = NULL;
    kiln_error_t *e = NULL;
    memset(out, 0, sizeof(*out));
    if (read_file_limited(AT_FDCWD, uid ? "/proc/self/uid_map" : "/proc/self/gid_map", MAP_MAX,
                          &data, NULL, &e) < 0) {
        kiln_error_free(e);
        return -1;
    }
    char *save = NULL;
    for (char *l = strtok_r(data, "\n", &save); l && out->n < HOSTENV_MAX_SPANS;
         l = strtok_r(NULL, "\n", &save)) {
        unsigned long long in, outside, count;
        if (sscanf(l, "%llu %llu %llu", &in, &outside, &count) != 3 || count == 0)
            continue;
        out->v[out->n].start = in;
        out->v[out->n].end = in + count;
        out->total += count;
        out->n++;
    }
    qsort(out->v, out->n, sizeof(out->v[0]), cmp_span);
    return 0;
}

bool hostenv_nested(void)
{
    struct hostenv_ids ids;
    if (hostenv_ids(true, &ids) < 0)
        return false; /* no /proc: nothing will work, and the sandbox says so */
    return !(ids.n == 1 && ids.v[0].start == 0 && ids.v[0].end == 4294967295ull);
}

static bool tun_stat(struct stat *st)
{
    return stat("/dev/net/tun", st) == 0 && S_ISCHR(st->st_mode) && major(st->st_rdev) == 10 &&
           minor(st->st_rdev) == 200;
}

bool hostenv_tun_present(void)
{
    struct stat st;
    return tun_stat(&st);
}

bool hostenv_tun_open_to_all(void)
{
    struct stat st;
    return tun_stat(&st) && (st.st_mode & 0006) == 0006;
}

/* The fifth field of a mountinfo line (the mount point), octal escapes left as they are. */
static const char *mount_point(char *line)
{
    char *f = line;
    for (int i = 0; i < 4 && f; i++) {
        f = strchr(f, ' ');
        f = f ? f + 1 : NULL;
    }
    if (!f)
        return NULL;
    char *end = strchr(f, ' ');
    if (end)
        *end = '\0';
    return f;
}

size_t hostenv_proc_covers(char *buf, size_t n)
{
    cleanup_free char *data = NULL;
    kiln_error_t *e = NULL;
    size_t count = 0, off = 0;
    if (n)
        buf[0] = '\0';
    if (read_file_limited(AT_FDCWD, "/proc/self/mountinfo", MOUNTINFO_MAX, &data, NULL, &e) < 0) {
        kiln_error_free(e);
        return 0;
    }
    char *save = NULL;
    for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        const char *mp = mount_point(l);
        if (!mp || !str_has_prefix(mp, "/proc/"))
            continue;
        count++;
        if (off + strlen(mp) + 5 < n)
            off += (size_t)snprintf(buf + off, n - off, "%s%s", off ? " " : "", mp);
        else if (off + 5 <= n && !str_has_suffix(buf, "..."))
            off += (size_t)snprintf(buf + off, n - off, " ...");
    }
    return count;
}

/* The value of field in /proc/self/status as a number in base, or -1. */
static int status_field(const char *field, int base, unsigned long long *out)
{
    cleanup_free char *data = NULL;
    kiln_error_t *e = NULL;
    if (read_file_limited(AT_FDCWD, "/proc/self/status", STATUS_MAX, &data, NULL, &e) < 0) {
        kiln_error_free(e);
        return -1;
    }
    size_t fl = strlen(field);
    for (char *l = data; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, field, fl) != 0 || l[fl] != ':')
            continue;
        char *end;
        *out = strtoull(l + fl + 1, &end, base);
        return end == l + fl + 1 ? -1 : 0;
    }
    return -1;
}

long hostenv_status(const char *field)
{
    unsigned long long v;
    return status_field(field, 10, &v) < 0 || v > 1000000 ? -1 : (long)v;
}

int hostenv_status_hex(const char *field, uint64_t *out)
{
    unsigned long long v;
    if (status_field(field, 16, &v) < 0)
        return -1;
    *out = v;
    return 0;
}

long hostenv_sysctl(const char *name)
{
    cleanup_free char *path = xasprintf("/proc/sys/%s", name);
    cleanup_free char *data = NULL;
    kiln_error_t *e = NULL;
    if (read_file_limited(AT_FDCWD, path, 64, &data, NULL, &e) < 0) {
        kiln_error_free(e);
        return -1;
    }
    char *end;
    long v = strtol(data, &end, 10);
    return end == data ? -1 : v;
}
