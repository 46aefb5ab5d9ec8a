/* A RUN step's layer, both snapshotters: created, modified and deleted files, a replaced
 * directory, no sandbox stubs, container ids, and the next step seeing the result. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sandbox/sbx_helpers.h"
#include "snapshot/snapshotter.h"
#include "snapshot/unpack.h"
#include "store/store.h"

static struct sbx_env env;
static struct store *store;
static char *base_snap;

/* The base layer: the busybox tree plus /root/old and /data/keep, owned by container root. */
static void make_base(void)
{
    char dir[400];
    snprintf(dir, sizeof(dir), "%s/base", env.tmp);
    cr_assert_eq(sh("set -e; cp -a %s %s; chown -R 0:0 %s; mkdir -p %s/root/sub %s/data; "
                    "echo old > %s/root/old; echo keep > %s/data/keep; echo x > %s/root/sub/y; "
                    "chown 1000:1000 %s/data/keep; chown -R 1000:1000 %s/home/app; "
                    "cc -static -O2 -o %s/bin/attack %s/testdata/run/attack.c",
                    env.rootfs, dir, dir, dir, dir, dir, dir, dir, dir, dir, dir, KILN_SOURCE_DIR),
                 0);
    kiln_error_t *err = NULL;
    struct layer_writer *w = NULL;
    struct idshift none = {0, 0, IDMAP_COUNT};
    cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    cr_assert_eq(layer_writer_new(store, LAYER_GZIP, -1, 0, &w, &err), 0);
    cr_assert_eq(diff_write(dfd, NULL, true, &none, w, &err), 0, "%s", err ? err->msg : "");
    struct layer_result res;
    cr_assert_eq(layer_writer_finish(w, &res, &err), 0);
    cr_assert_eq(snapshot_ensure(store, res.digest, res.media_type, res.diff_id, NULL, NULL,
                                 &base_snap, &err),
                 0, "%s", err ? err->msg : "");
}

static void setup(void)
{
    sbx_env_init(&env);
    char root[400];
    snprintf(root, sizeof(root), "%s/store", env.tmp);
    kiln_error_t *err = NULL;
    cr_assert_eq(store_open(root, &store, &err), 0);
    make_base();
}

static void teardown(void)
{
    free(base_snap);
    store_close(store);
    sbx_env_fini(&env);
}

TestSuite(snapshotter, .init = setup, .fini = teardown, .timeout = 120);

/* Runs script over layers and returns its layer. */
static struct layer_result run_step(enum snapshotter_kind kind, char **layers, size_t n,
                                    const char *script)
{
    kiln_error_t *err = NULL;
    struct step_rootfs *r = NULL;
    cr_assert_eq(step_rootfs_prepare(store, &env.map, kind, layers, n, &r, &err), 0, "%s",
                 err ? err->msg : "");
    char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
    char *envp[] = {"PATH=/bin", NULL};
    struct sandbox_spec spec = {.argv = argv, .envp = envp, .cwd = "/", .idmap = &env.map};
    step_rootfs_spec(r, &spec);
    struct sbx_out o = {BUF_INIT(1 << 20)};
    spec.output = sbx_collect;
    spec.output_ctx = &o;
    struct sandbox_result sr;
    cr_assert_eq(sandbox_run(&spec, &sr, &err), 0, "%s", err ? err->msg : "");
    cr_assert_eq(sr.status, 0, "step failed: %s", buf_str(&o.b));
    struct step_diff_opts opts = {LAYER_GZIP, -1, 0};
    struct layer_result res;
    cr_assert_eq(step_rootfs_commit(r, sr.stubs, &opts, &res, &err), 0, "%s", err ? err->msg : "");
    sandbox_result_release(&sr);
    step_rootfs_free(r);
    buf_release(&o.b);
    return res;
}

/* "uid/gid path" lines of a layer blob, as tar lists them. */
static char *listing(const struct layer_result *res)
{
    cleanup_free char *blob = store_blob_path(store, res->digest);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "tar --numeric-owner -tvzf %s | awk '{print $2, $6}'", blob);
    FILE *p = popen(cmd, "r");
    struct buf b = BUF_INIT(1 << 20);
    char line[1024];
    kiln_error_t *e = NULL;
    while (fgets(line, sizeof(line), p))
        cr_assert_eq(buf_addstr(&b, line, &e), 0);
    pclose(p);
    return buf_detach(&b);
}

static const char *script =
    "set -e; echo new > /new.txt; echo more >> /data/keep; rm /root/old; "
    "rm -rf /root && mkdir /root && echo fresh > /root/fresh; "
    "mkdir -p /opt/tool && echo t > /opt/tool/t && chown -R 1000:1000 /opt/tool; "
    "rm /bin/vi; echo tmp > /tmp/t && rm /tmp/t; ln /new.txt /new-link";

static void check_step(enum snapshotter_kind kind, const char *expected)
{
    struct layer_result res = run_step(kind, &base_snap, 1, script);
    cleanup_free char *got = listing(&res);
    cr_assert_str_eq(got, expected, "%s layer:\n%s", snapshotter_name(kind), got);
    /* the next step sees the change */
    char *layers[2] = {base_snap, NULL};
    kiln_error_t *err = NULL;
    cr_assert_eq(snapshot_ensure(store, res.digest, res.media_type, res.diff_id, NULL, NULL,
                                 &layers[1], &err),
                 0);
    struct layer_result res2 = run_step(kind, layers, 2,
                                        "set -e; test ! -e /bin/vi; test ! -e /root/old; "
                                        "test ! -e /root/sub; grep -q more /data/keep; "
                                        "test $(stat -c %u /opt/tool/t) = 1000; cat /new-link");
    cr_assert_eq(res2.nentries, 0, "a step that changes nothing has an empty diff");
    free(layers[1]);
}

Test(snapshotter, overlay_layer)
{
    check_step(SNAPSHOTTER_OVERLAY, "0/0 bin/\n0/0 bin/.wh.vi\n0/0 data/\n1000/1000 data/keep\n"
                                    "0/0 new-link\n0/0 new.txt\n0/0 opt/\n1000/1000 opt/tool/\n"
                                    "1000/1000 opt/tool/t\n0/0 root/\n0/0 root/.wh..wh..opq\n"
                                    "0/0 root/fresh\n");
}

Test(snapshotter, copy_layer)
{
    check_step(SNAPSHOTTER_COPY, "0/0 bin/\n0/0 bin/.wh.vi\n0/0 data/\n1000/1000 data/keep\n"
                                 "0/0 new-link\n0/0 new.txt\n0/0 opt/\n1000/1000 opt/tool/\n"
                                 "1000/1000 opt/tool/t\n0/0 root/\n0/0 root/.wh.old\n"
                                 "0/0 root/.wh.sub\n0/0 root/fresh\n");
}

/* A file capability set in a step reaches the layer as the container sees it: a v2 xattr
 * without the rootid of the host range. */
static void check_caps(enum snapshotter_kind kind)
{
    struct layer_result res = run_step(
        kind, &base_snap, 1, "set -e; cp /bin/attack /bin/capped; attack setcap /bin/capped");
    cleanup_free char *blob = store_blob_path(store, res.digest);
    char cmd[800];
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import tarfile,sys; t=tarfile.open(sys.argv[1]); "
             "m=t.getmember(\"bin/capped\"); "
             "v=m.pax_headers[\"SCHILY.xattr.security.capability\"].encode(\"latin-1\", "
             "\"surrogateescape\"); "
             "sys.exit(0 if v[:8]==bytes([1,0,0,2,0,4,0,0]) and len(v)==20 else 1)' %s",
             blob);
    cr_assert_eq(sh("%s", cmd), 0, "security.capability is not the container's v2 value");
}

Test(snapshotter, file_capabilities_overlay)
{
    check_caps(SNAPSHOTTER_OVERLAY);
}

Test(snapshotter, file_capabilities_copy)
{
    check_caps(SNAPSHOTTER_COPY);
}
