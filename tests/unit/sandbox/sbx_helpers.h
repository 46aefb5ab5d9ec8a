/* Helpers for the sandbox tests: a busybox root filesystem owned by container root, and
 * a step runner that collects output. */
#ifndef KILN_TEST_SBX_HELPERS_H
#define KILN_TEST_SBX_HELPERS_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "sandbox/idmap.h"
#include "sandbox/sandbox.h"
#include "util.h"

struct sbx_env {
    char tmp[256]; /* a private temp dir: store/, rootfs/, run/ */
    char rootfs[300];
    char run[300];
    struct idmap map;
};

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return system(cmd);
}

static void sbx_env_init(struct sbx_env *e)
{
    snprintf(e->tmp, sizeof(e->tmp), "/tmp/kiln-sbx-XXXXXX");
    cr_assert(mkdtemp(e->tmp));
    snprintf(e->rootfs, sizeof(e->rootfs), "%s/rootfs", e->tmp);
    snprintf(e->run, sizeof(e->run), "%s/run", e->tmp);
    char store[300];
    snprintf(store, sizeof(store), "%s/store", e->tmp);
    mkdir(store, 0700);
    kiln_error_t *err = NULL;
    cr_assert_eq(idmap_for_store(store, &e->map, &err), 0, "%s", err ? err->msg : "");
    /* busybox tree: /bin/busybox and one symlink per applet, /etc/passwd, /tmp */
    cr_assert_eq(
        sh("set -e; r=%s; mkdir -p $r/bin $r/etc $r/tmp $r/root $r/home/app; "
           "cp /bin/busybox $r/bin/busybox; "
           "for a in $(/bin/busybox --list); do [ -e $r/bin/$a ] || ln -s busybox $r/bin/$a; done; "
           "printf 'root:x:0:0:root:/root:/bin/sh\\napp:x:1000:1000::/home/app:/bin/sh\\n' > "
           "$r/etc/passwd; "
           "printf 'root:x:0:\\napp:x:1000:\\n' > $r/etc/group; chmod 1777 $r/tmp",
           e->rootfs),
        0);
    if (e->map.mode == IDMAP_ROOT)
        cr_assert_eq(sh("chown -R %u:%u %s && chown -R %u:%u %s/home/app", e->map.uids[0].outside,
                        e->map.gids[0].outside, e->rootfs, e->map.uids[0].outside + 1000,
                        e->map.gids[0].outside + 1000, e->rootfs),
                     0);
}

static void sbx_env_fini(struct sbx_env *e)
{
    sh("umount -R %s/run/rootfs 2>/dev/null; rm -rf %s", e->tmp, e->tmp);
}

struct sbx_out {
    struct buf b;
};

static void sbx_collect(void *ctx, const char *data, size_t len)
{
    struct sbx_out *o = ctx;
    kiln_error_t *e = NULL;
    if (buf_add(&o->b, data, len, &e) < 0)
        kiln_error_free(e);
}

/* Runs "sh -c script" in the busybox rootfs (plain directory) and returns the exit status, or
 * -1 when sandbox_run failed (*errp set). */
__attribute__((unused)) static int sbx_sh(struct sbx_env *e, struct sandbox_spec *base,
                                          const char *script, struct sbx_out *out,
                                          kiln_error_t **errp)
{
    char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
    char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", NULL};
    struct sandbox_spec spec;
    if (base)
        spec = *base;
    else
        memset(&spec, 0, sizeof(spec));
    if (!spec.rootfs.dir && !spec.rootfs.upper)
        spec.rootfs.dir = e->rootfs;
    sh("rm -rf %s; mkdir -p %s", e->run, e->run);
    spec.run_dir = e->run;
    spec.argv = argv;
    spec.envp = envp;
    if (!spec.cwd)
        spec.cwd = "/";
    spec.idmap = &e->map;
    spec.output = sbx_collect;
    spec.output_ctx = out;
    struct sandbox_result res;
    int rc = sandbox_run(&spec, &res, errp);
    sandbox_result_release(&res);
    if (rc < 0)
        return -1;
    return res.how == SANDBOX_EXITED ? res.status : 128 + res.status;
}

#endif
