/* RUN: executes a command in the sandbox (builder/sandbox) over the stage's snapshots and turns
 * its changes into a layer (builder/snapshot), with BuildKit's environment and history. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cache/stepcache.h"
#include "build.h"
#include "dispatch.h"
#include "instr.h"
#include "network.h"
#include "users.h"
#include "fsutil.h"
#include "mounts.h"
#include "runopts.h"
#include "sandbox/sandbox.h"
#include "snapshot/snapshotter.h"
#include "util.h"

#define RUN_TAIL_BYTES 4096 /* output kept for the error message of a failed step */
#define RUN_TAIL_LINES 10
#define RUN_MAX_GROUPS 32

struct run_out {
    struct build *b;
    struct leakscan_masker *mask; /* secrets become "****" before anything sees the output */
    char tail[RUN_TAIL_BYTES];
    size_t len; /* bytes in tail, the most recent last */
};

/* The masked output: to the progress callbacks, and its end kept for an error message. */
static void masked_output(void *ctx, const char *data, size_t len)
{
    struct run_out *o = ctx;
    step_output(o->b, data, len);
    if (len >= RUN_TAIL_BYTES) {
        memcpy(o->tail, data + len - RUN_TAIL_BYTES, RUN_TAIL_BYTES);
        o->len = RUN_TAIL_BYTES;
        return;
    }
    size_t keep = o->len + len > RUN_TAIL_BYTES ? RUN_TAIL_BYTES - len : o->len;
    memmove(o->tail, o->tail + o->len - keep, keep);
    memcpy(o->tail + keep, data, len);
    o->len = keep + len;
}

static void run_output(void *ctx, const char *data, size_t len)
{
    struct run_out *o = ctx;
    leakscan_masker_feed(o->mask, data, len);
}

/* The last lines of output, each prefixed for the error message. */
static char *tail_lines(const struct run_out *o)
{
    size_t start = o->len, lines = 0;
    size_t end = o->len && o->tail[o->len - 1] == '\n' ? o->len - 1 : o->len;
    for (start = end; start > 0 && lines < RUN_TAIL_LINES; start--)
        if (o->tail[start - 1] == '\n' && ++lines == RUN_TAIL_LINES)
            break;
    /* the kept bytes and, per line, its prefix: the limit cannot be reached */
    struct buf b = BUF_INIT(RUN_TAIL_BYTES + 6 * (RUN_TAIL_LINES + 1));
    for (size_t i = start; i < end;) {
        const char *nl = memchr(o->tail + i, '\n', end - i);
        size_t n = nl ? (size_t)(nl - (o->tail + i)) : end - i;
        if (buf_addf(&b, NULL, "\n  > %.*s", (int)n, o->tail + i) < 0)
            break;
        i += n + 1;
    }
    return buf_detach(&b);
}

/* ---- flags ---- */

struct run_flags {
    enum sandbox_network network;
};

/* The step's network and security as the frontend parsed them (RUN --network, --security,
 * --device), with kiln's policy on each. */
static int parse_flags(struct build *b, const struct df_instr *in, struct run_flags *f,
                       kiln_error_t **err)
{
    static const enum sandbox_network by_opt[] = {
        [KILN_NETWORK_DEFAULT] = SANDBOX_NET_DEFAULT,
        [KILN_NETWORK_NONE] = SANDBOX_NET_NONE,
        [KILN_NETWORK_HOST] = SANDBOX_NET_HOST,
    };
    f->network = in->network == DF_NETWORK_NONE   ? SANDBOX_NET_NONE
                 : in->network == DF_NETWORK_HOST ? SANDBOX_NET_HOST
                                                  : by_opt[b->o->network];
    if (in->security == DF_SECURITY_INSECURE)
        return instr_err(b, in, err, KILN_EPOLICY,
                         "--security=insecure is not allowed: kiln never runs privileged steps");
    if (in->ndevices)
        return instr_err(b, in, err, KILN_EUNSUPPORTED,
                         "--device is not supported yet: steps get no host devices");
    if (f->network == SANDBOX_NET_HOST && !b->o->allow_network_host)
        return instr_err(b, in, err, KILN_EPOLICY,
                         "network mode host is not allowed: pass --allow network.host");
    return 0;
}

/* ---- command line ---- */

static bool heredoc_only(const struct df_instr *in)
{
    if (in->nheredocs != 1 || in->json || in->nargs != 1)
        return false;
    const char *s = in->args[0] + strspn(in->args[0], " \t");
    if (strncmp(s, "<<", 2) != 0)
        return false;
    s += 2 + (s[2] == '-');
    s += strspn(s, "\"'");
    size_t n = strlen(in->heredocs[0].name);
    return !strncmp(s, in->heredocs[0].name, n) && !s[n + strspn(s + n, "\"' \t")];
}

/* The shell-form script: the command line, then each heredoc body and its delimiter, as the
 * shell reads them; a RUN that is only a heredoc runs the body as the script. */
static char *shell_script(const struct df_instr *in)
{
    if (heredoc_only(in))
        return xstrdup(in->heredocs[0].content);
    cleanup_strv char **parts = xcalloc(in->nheredocs + 2, sizeof(char *));
    parts[0] = xstrdup(in->nargs ? in->args[0] : "");
    for (size_t i = 0; i < in->nheredocs; i++)
        parts[i + 1] = xasprintf("%s%s", in->heredocs[i].content, in->heredocs[i].name);
    return strv_join(parts, in->nheredocs + 1, "\n");
}

static char **run_argv(struct build_stage *st, const struct df_instr *in, size_t *n)
{
    return image_command(st->img, in->json, in->args, in->nargs, in->json ? NULL : shell_script(in),
                         n);
}

/* ---- environment and history ---- */

static bool env_has(char **env, size_t n, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < n; i++)
        if (!strncmp(env[i], key, kl) && env[i][kl] == '=')
            return true;
    return false;
}

/* BuildKit's created_by: "RUN |1 K=V /bin/sh -c echo hi # buildkit" (the frontend's ARG
 * prefix: frontend/expand.h). */
static int history_text(struct build_stage *st, char *const *argv, size_t nargv, char **out,
                        kiln_error_t **err)
{
    cleanup_free char *args = NULL;
    if (df_scope_history_args(&st->scope, &args, err) < 0)
        return -1;
    cleanup_buf struct buf b = BUF_INIT(DF_MAX_HISTORY);
    int rc = buf_addf(&b, err, "RUN %s%s", args, *args ? " " : "");
    for (size_t i = 0; rc == 0 && i < nargv; i++)
        rc = buf_addf(&b, err, "%s%s", i ? " " : "", argv[i]);
    if (rc < 0 || buf_addstr(&b, " # buildkit", err) < 0)
        return -1;
    *out = buf_detach(&b);
    return 0;
}

static const char *env_value(char *const *env, const char *key)
{
    size_t kl = strlen(key);
    for (; *env; env++)
        if (!strncmp(*env, key, kl) && (*env)[kl] == '=')
            return *env + kl + 1;
    return NULL;
}

/* ---- user ---- */

/* Supplementary groups of a user name from the image's /etc/group. */
static size_t user_groups(struct view *v, const char *name, uint32_t gid, uint32_t *out)
{
    cleanup_close int fd = view_open(v, "/etc/group");
    cleanup_free char *data = NULL;
    kiln_error_t *e = NULL;
    size_t n = 0;
    if (fd < 0 || read_fd_limited(fd, 4u << 20, &data, NULL, &e) < 0) {
        kiln_error_free(e);
        return 0;
    }
    char *save = NULL;
    for (char *l = strtok_r(data, "\n", &save); l && n < RUN_MAX_GROUPS;
         l = strtok_r(NULL, "\n", &save)) {
        char *f[4] = {l, NULL, NULL, NULL};
        for (int k = 1; k < 4 && f[k - 1]; k++)
            if ((f[k] = strchr(f[k - 1], ':')))
                *f[k]++ = '\0';
        uint64_t g;
        if (!f[3] || parse_u64(f[2], UINT32_MAX, &g) < 0 || g == gid)
            continue;
        char *save2 = NULL;
        for (char *m = strtok_r(f[3], ",", &save2); m; m = strtok_r(NULL, ",", &save2))
            if (!strcmp(m, name) && n < RUN_MAX_GROUPS)
                out[n++] = (uint32_t)g;
    }
    return n;
}

/* The home directory of uid in the image's /etc/passwd ("/" when it has none), which runc gives
 * a step whose environment has no HOME. Newly allocated. */
static char *user_home(struct view *v, uint32_t uid)
{
    cleanup_close int fd = view_open(v, "/etc/passwd");
    cleanup_free char *data = NULL;
    kiln_error_t *e = NULL;
    if (fd < 0 || read_fd_limited(fd, 4u << 20, &data, NULL, &e) < 0) {
        kiln_error_free(e);
        return xstrdup("/");
    }
    char *save = NULL;
    for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *f[7] = {l};
        int k = 1;
        for (; k < 7 && (f[k] = strchr(f[k - 1], ':')); k++)
            *f[k]++ = '\0';
        uint64_t id;
        if (k >= 6 && parse_u64(f[2], UINT32_MAX, &id) == 0 && id == uid && f[5][0] == '/')
            return xstrdup(f[5]);
    }
    return xstrdup("/");
}

/* ---- the step ---- */

struct run_step {
    struct run_flags flags;
    char **argv, **env;
    size_t nargv, nenv;
    uint32_t uid, gid, groups[RUN_MAX_GROUPS];
    size_t ngroups;
    char *history;
    struct step_mounts mounts;
    char **proxy; /* the operator's proxy build args (frontend/args.h): not in the key or history */
    size_t nproxy;
    char **envp; /* env, proxies, and the secrets' env= over them (borrowed strings) */
    char *hosts; /* --add-host lines for /etc/hosts, or NULL */
    struct sandbox_rlimit rlimits[KILN_MAX_ULIMITS];
};

static void run_step_release(struct run_step *s)
{
    strv_free(s->argv), strv_free(s->env), strv_free(s->proxy);
    free(s->history);
    mounts_release(&s->mounts);
    free(s->envp);
    free(s->hosts);
}

static bool env_overridden(const struct step_mounts *m, const char *entry)
{
    for (size_t i = 0; i < m->nenv; i++) {
        size_t kl = strcspn(m->env[i], "=");
        if (!strncmp(entry, m->env[i], kl) && entry[kl] == '=')
            return true;
    }
    return false;
}

/* The step's environment: env= secrets win over an ENV or ARG of the same name. */
static void secret_env(struct run_step *s)
{
    size_t n = 0;
    free(s->envp);
    s->envp = xcalloc(s->nenv + s->nproxy + s->mounts.nenv + 1, sizeof(char *));
    for (size_t i = 0; i < s->nenv; i++)
        if (!env_overridden(&s->mounts, s->env[i]))
            s->envp[n++] = s->env[i];
    for (size_t i = 0; i < s->nproxy; i++)
        if (!env_overridden(&s->mounts, s->proxy[i]))
            s->envp[n++] = s->proxy[i];
    for (size_t i = 0; i < s->mounts.nenv; i++)
        s->envp[n++] = s->mounts.env[i];
}

/* SOURCE_DATE_EPOCH in every step (unless an ENV or ARG sets it), where BuildKit passes it only
 * to a stage that declares ARG SOURCE_DATE_EPOCH: kiln always lowers the mtimes of a step's files
 * to the epoch, so the tools in the step must know it. Python's py_compile (Debian's py3compile,
 * pip, compileall) then writes hash-checked .pyc files, which stay valid whatever the mtimes; the
 * epoch is already in the cache key (the stage's chain). Not in the history, never in the
 * image's config. */
static void epoch_env(struct build *b, struct run_step *s)
{
    if (!env_has(s->env, s->nenv, "SOURCE_DATE_EPOCH"))
        strv_push(&s->env, &s->nenv, xasprintf("SOURCE_DATE_EPOCH=%lld", (long long)b->epoch));
}

static int resolve_user(struct build *b, struct build_stage *st, const struct df_instr *in,
                        struct run_step *s, kiln_error_t **err)
{
    struct view *v;
    if (stage_view(b, st, &v, err) < 0)
        return instr_wrap(b, in, err);
    const char *user = image_cfg_string(st->img, "User");
    if (!user || !*user)
        return 0;
    if (users_resolve(v, user, true, &s->uid, &s->gid, err) < 0)
        return instr_wrap(b, in, err);
    cleanup_free char *name = xstrndup(user, strcspn(user, ":"));
    uint64_t num;
    if (parse_u64(name, UINT32_MAX, &num) < 0 && !strchr(user, ':'))
        s->ngroups = user_groups(v, name, s->gid, s->groups);
    return 0;
}

static int prepare_step(struct build *b, struct build_stage *st, const struct df_instr *in,
                        struct run_step *s, kiln_error_t **err)
{
    if (parse_flags(b, in, &s->flags, err) < 0 || resolve_user(b, st, in, s, err) < 0)
        return -1;
    s->argv = run_argv(st, in, &s->nargv);
    if (s->nargv == 0 || !s->argv[0][0])
        return instr_err(b, in, err, KILN_EINPUT, "empty command");
    s->env = df_scope_env(&st->scope, &s->nenv); /* the image's Env, ARG values, ENV, in order */
    struct view *v;
    if (!env_has(s->env, s->nenv, "HOME") && stage_view(b, st, &v, err) == 0) {
        cleanup_free char *home = user_home(v, s->uid);
        strv_push(&s->env, &s->nenv, xasprintf("HOME=%s", home));
    }
    epoch_env(b, s);
    if (history_text(st, s->argv, s->nargv, &s->history, err) < 0)
        return instr_wrap(b, in, err);
    if (s->flags.network != SANDBOX_NET_NONE)
        s->proxy = df_scope_proxy_env(&st->scope, &s->nproxy);
    s->hosts = runopts_hosts_text(b->o->extra_hosts, b->o->nextra_hosts);
    if (mounts_prepare(b, st, in, &s->mounts, err) < 0)
        return -1;
    /* BuildKit's llb: the first ssh mount is SSH_AUTH_SOCK unless the environment sets it */
    if (s->mounts.ssh_target && !env_has(s->env, s->nenv, "SSH_AUTH_SOCK"))
        strv_push(&s->env, &s->nenv, xasprintf("SSH_AUTH_SOCK=%s", s->mounts.ssh_target));
    for (size_t i = 0; i < b->o->nulimits; i++)
        s->rlimits[i] = (struct sandbox_rlimit){b->o->ulimits[i].resource, b->o->ulimits[i].soft,
                                                b->o->ulimits[i].hard};
    return 0;
}

static const char *step_hostname(struct build *b, struct run_step *s)
{
    const char *h = plan_build_arg(b, "BUILDKIT_SANDBOX_HOSTNAME");
    if (h && *h)
        return h;
    h = env_value(s->env, "BUILDKIT_SANDBOX_HOSTNAME");
    return h && *h ? h : "kiln";
}

static void fill_spec(struct build *b, struct build_stage *st, struct run_step *s,
                      struct sandbox_spec *spec)
{
    const char *wd = image_cfg_string(st->img, "WorkingDir");
    spec->argv = s->argv;
    spec->envp = s->envp ? s->envp : s->env;
    spec->mounts = s->mounts.sbx;
    spec->nmounts = s->mounts.nsbx;
    spec->cwd = wd && *wd == '/' ? wd : "/";
    spec->uid = s->uid, spec->gid = s->gid;
    spec->groups = s->groups, spec->ngroups = s->ngroups;
    spec->hostname = step_hostname(b, s);
    spec->network = s->flags.network;
    spec->policy = &b->net;
    spec->limits = (struct sandbox_limits){b->o->memory, b->o->pids_limit, b->o->cpus_milli,
                                           b->o->step_timeout, b->o->allow_unenforced_limits};
    spec->extra_hosts = s->hosts;
    spec->shm_size = b->o->shm_size;
    spec->rlimits = s->rlimits;
    spec->nrlimits = b->o->nulimits;
}

static int step_failed(struct build *b, const struct df_instr *in, const struct run_step *s,
                       const struct sandbox_result *r, const struct run_out *o, kiln_error_t **err)
{
    cleanup_free char *lines = tail_lines(o);
    const char *hint = network_hint(s->flags.network, lines);
    if (r->how == SANDBOX_SIGNALED)
        kiln_err(err, KILN_EBUILD, 0, "killed by signal %d%s%s", r->status, lines, hint);
    else
        kiln_err(err, KILN_EBUILD, 0, "exit code %d%s%s", r->status, lines, hint);
    return kiln_err_wrap(err, "%s:%d: %.200s", b->input.src.name, in->line, in->original);
}

/* A limit the operator asked for cannot be applied here: say how to go on without it. */
static int limit_error(kiln_error_t **err)
{
    kiln_error_t *e = *err;
    *err = NULL;
    kiln_err(err, e->code, 0, "%s (--allow-unenforced-limits runs the step without it)", e->msg);
    kiln_error_free(e);
    return -1;
}

static void log_warnings(struct build *b, const struct df_instr *in, char **w)
{
    for (size_t i = 0; w && w[i]; i++)
        step_log(b, KILN_LOG_WARN, "%s:%d: RUN: %s", b->input.src.name, in->line, w[i]);
}

/* Runs the step in the sandbox over rootfs; 0 when it exited 0. */
static int execute(struct build *b, struct build_stage *st, const struct df_instr *in,
                   struct run_step *s, struct step_rootfs *rootfs, const struct idmap *map,
                   struct sandbox_result *res, kiln_error_t **err)
{
    struct sandbox_spec spec;
    memset(&spec, 0, sizeof(spec));
    fill_spec(b, st, s, &spec);
    spec.idmap = map;
    step_rootfs_spec(rootfs, &spec);
    struct run_out *o = xcalloc(1, sizeof(*o));
    o->b = b;
    o->mask = leakscan_masker_new(b->leak.secrets->scan, masked_output, o);
    spec.output = run_output;
    spec.output_ctx = o;
    int rc = sandbox_run(&spec, res, err);
    leakscan_masker_flush(o->mask);
    leakscan_masker_free(o->mask);
    log_warnings(b, in, res->warnings);
    if (rc < 0 && res->limits_unenforced && !b->o->allow_unenforced_limits)
        rc = limit_error(err);
    if (rc < 0)
        rc = kiln_err_wrap(err, "%s:%d: %.200s", b->input.src.name, in->line, in->original);
    else if (res->how != SANDBOX_EXITED || res->status != 0)
        rc = step_failed(b, in, s, res, o, err);
    free(o);
    return rc;
}

static int add_layer(struct build *b, struct build_stage *st, struct run_step *s,
                     const struct step_record *r, kiln_error_t **err)
{
    if (!strcmp(r->media_type, RUN_EMPTY_LAYER)) { /* nothing changed: BuildKit records no layer */
        image_add_history(st->img, s->history, true, b->epoch);
        return 0;
    }
    image_add_history(st->img, s->history, false, b->epoch);
    return stage_add_layer(b, st, r->digest, r->diff_id, r->size, r->media_type, err);
}

/* The step cache key: the chain of layers below and everything that can change the result
 * (command, environment, user, working directory, network, hostname, mounts: secrets by their
 * HMAC, bind sources by content); limits are left out. The environment is the one without the
 * env= secrets, which only reach the key through their HMAC. */
static int run_key(struct build *b, struct build_stage *st, const struct df_instr *in,
                   struct run_step *s, char key[DIGEST_STR_LEN + 1], kiln_error_t **err)
{
    struct sandbox_spec spec;
    memset(&spec, 0, sizeof(spec));
    fill_spec(b, st, s, &spec);
    struct cache_key k;
    cache_key_begin(&k, "RUN");
    cache_key_add(&k, st->chain);
    cache_key_addu(&k, s->nargv);
    for (size_t i = 0; i < s->nargv; i++)
        cache_key_add(&k, s->argv[i]);
    cache_key_addu(&k, s->nenv);
    for (size_t i = 0; i < s->nenv; i++)
        cache_key_add(&k, s->env[i]);
    cache_key_addu(&k, s->uid), cache_key_addu(&k, s->gid), cache_key_addu(&k, s->ngroups);
    for (size_t i = 0; i < s->ngroups; i++)
        cache_key_addu(&k, s->groups[i]);
    cache_key_add(&k, spec.cwd);
    cache_key_add(&k, spec.hostname);
    cache_key_addu(&k, (uint64_t)spec.network);
    /* BuildKit keeps these in the exec op: they are part of the key when given */
    if (spec.extra_hosts)
        cache_key_add(&k, "add-host"), cache_key_add(&k, spec.extra_hosts);
    if (spec.shm_size)
        cache_key_add(&k, "shm-size"), cache_key_addu(&k, spec.shm_size);
    for (size_t i = 0; i < spec.nrlimits; i++) {
        cache_key_add(&k, "ulimit");
        cache_key_addu(&k, (uint64_t)spec.rlimits[i].resource);
        cache_key_addu(&k, spec.rlimits[i].soft), cache_key_addu(&k, spec.rlimits[i].hard);
    }
    if (mounts_key(b, &s->mounts, &k, err) < 0) {
        sha256_release(&k.h);
        return instr_wrap(b, in, err);
    }
    cache_key_end(&k, key);
    return 0;
}

static void record(struct build *b, const char *key, const struct layer_result *lr,
                   struct step_record *r)
{
    memset(r, 0, sizeof(*r));
    memcpy(r->digest, lr->digest, sizeof(r->digest));
    memcpy(r->diff_id, lr->diff_id, sizeof(r->diff_id));
    r->size = lr->size;
    snprintf(r->media_type, sizeof(r->media_type), "%s",
             lr->nentries ? lr->media_type : RUN_EMPTY_LAYER);
    build_cache_put(b, key, r);
}

/* Runs the step in a fresh rootfs and writes its layer (lr). */
static int run_in(struct build *b, struct build_stage *st, const struct df_instr *in,
                  struct run_step *s, enum snapshotter_kind kind, struct layer_result *lr,
                  kiln_error_t **err)
{
    struct idmap map;
    if (idmap_for_store(b->store->root, &map, err) < 0)
        return -1;
    if (!s->mounts.attached && mounts_attach(b, &s->mounts, &map, err) < 0)
        return instr_wrap(b, in, err);
    secret_env(s);
    cleanup_step_rootfs struct step_rootfs *rootfs = NULL;
    if (step_rootfs_prepare(b->store, &map, kind, st->snapshots, st->img->nlayers, &rootfs, err) <
        0)
        return instr_wrap(b, in, err);
    struct sandbox_result res;
    int rc = execute(b, st, in, s, rootfs, &map, &res, err);
    struct step_diff_opts opts = {layer_compression_of(b->o->output.compression),
                                  b->o->output.compression_level, b->epoch, leakcheck_scanner(b),
                                  st->img->nlayers + 1};
    if (rc == 0 && step_rootfs_commit(rootfs, res.stubs, &opts, lr, err) < 0)
        rc = instr_wrap(b, in, err);
    sandbox_result_release(&res);
    return rc;
}

static int run_fresh(struct build *b, struct build_stage *st, const struct df_instr *in,
                     struct run_step *s, const char *key, struct step_record *r, kiln_error_t **err)
{
    const char *why;
    if (!sandbox_available(&why))
        return instr_err(b, in, err, KILN_ESANDBOX, "cannot run steps: %s", why);
    enum snapshotter_kind kind = snapshotter_pick(&b->snap);
    struct layer_result lr;
    int rc = run_in(b, st, in, s, kind, &lr, err);
    if (rc < 0 && snapshotter_fall_back(&b->snap, kind, *err)) {
        step_log(b, KILN_LOG_WARN, "%s; using the copy snapshotter", (*err)->msg);
        kiln_error_free(*err);
        *err = NULL;
        rc = run_in(b, st, in, s, SNAPSHOTTER_COPY, &lr, err);
    }
    if (rc == 0)
        record(b, key, &lr, r);
    return rc;
}

int run_instr(struct build *b, struct build_stage *st, const struct df_instr *in,
              kiln_error_t **err)
{
    __attribute__((cleanup(run_step_release))) struct run_step s;
    memset(&s, 0, sizeof(s));
    if (prepare_step(b, st, in, &s, err) < 0)
        return -1;
    char key[DIGEST_STR_LEN + 1];
    if (run_key(b, st, in, &s, key, err) < 0)
        return -1;
    struct step_record r;
    int hit = build_cache_get(b, st, key, &r, err);
    if (hit < 0)
        return instr_wrap(b, in, err);
    if (hit) {
        step_mark_cached(b);
    } else {
        /* the rootfs is the snapshots of every layer below */
        if (stage_snapshots(b, st, err) < 0 || run_fresh(b, st, in, &s, key, &r, err) < 0)
            return -1;
    }
    return add_layer(b, st, &s, &r, err);
}
