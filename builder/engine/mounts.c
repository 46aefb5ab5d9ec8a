/* RUN --mount: resolving a step's mounts, their cache key, and attaching them (see mounts.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "fsutil.h"
#include "mounts_int.h"
#include "instr.h"
#include "secmem.h"
#include "ssh.h"
#include "util.h"

/* BuildKit: a relative target is below the working directory (secrets: below /). */
static char *abs_target(struct build_stage *st, const char *t, bool secret)
{
    if (t[0] == '/' || secret)
        return path_join("/", t);
    const char *wd = image_cfg_string(st->img, "WorkingDir");
    cleanup_free char *dir = path_join("/", wd ? wd : "/");
    return path_join(dir, t);
}

/* ---- resolving ---- */

static int resolve_secret(struct build *b, struct step_mount *sm, kiln_error_t **err)
{
    struct df_mount *m = &sm->m;
    if (m->env && (!*m->env || strchr(m->env, '=')))
        return kiln_err(err, KILN_EINPUT, 0, "invalid secret env name \"%s\"", m->env);
    cleanup_free char *target = NULL;
    if (df_mount_defaults(m, &sm->id, &target, err) < 0)
        return -1;
    sm->secret = secrets_find(b->leak.secrets, sm->id);
    if (!sm->secret && m->required)
        return kiln_err(err, KILN_EINPUT, 0, "secret %s: not found", sm->id);
    if (target)
        sm->target = path_join("/", target);
    return 0;
}

/* The view a bind or cache from= reads, as the plan resolved it: the main context, a stage
 * or a named context (a named context replaces a stage of its name). */
static int resolve_from(struct build *b, struct build_stage *st, const struct df_instr *in,
                        struct step_mount *sm, kiln_error_t **err)
{
    const char *from = sm->m.from;
    if (!from || !*from) {
        if (!b->input.ctx_view)
            return kiln_err(err, KILN_EINPUT, 0,
                            "no build context: the Dockerfile was read from stdin");
        sm->view = b->input.ctx_view;
        sm->context = true;
        return 0;
    }
    const struct df_plan_dep *d = plan_dep(b, st, in, sm->orig);
    if (d && d->stage >= 0) {
        struct build_stage *dep = &b->sched.stages[d->stage];
        return schedule_stage(b, dep, err) < 0 ? -1 : stage_view(b, dep, &sm->view, err);
    }
    struct build_context *c = context_find(b, from);
    if (c && c->type == KILN_CONTEXT_DIR)
        return sm->view = c->view, 0;
    return kiln_err(err, KILN_EUNSUPPORTED, 0,
                    "from=%s: images from registries or layouts are not supported yet; name a "
                    "stage or a directory --build-context",
                    from);
}

static int resolve_source(struct build *b, struct step_mount *sm, kiln_error_t **err)
{
    cleanup_free char *rel = path_join("/", sm->m.source ? sm->m.source : "/");
    struct stat st;
    bool excluded = sm->context && b->input.src.ignore && strcmp(rel, "/") &&
                    dockerignore_excluded(b->input.src.ignore, rel + 1);
    if (excluded || view_realpath(sm->view, rel, &sm->src) < 0 ||
        view_lstat(sm->view, sm->src, &st) < 0)
        return kiln_err(err, KILN_EINPUT, 0, "mount source \"%s\": not found%s", rel,
                        excluded ? " (excluded by .dockerignore)" : "");
    return 0;
}

/* The cache directory of id; BUILDKIT_CACHE_MOUNT_NS names a namespace ("NS/ID"), as BuildKit. */
static char *cache_name(struct build *b, const char *id)
{
    char d[DIGEST_STR_LEN + 1];
    const char *ns = buildkit_cache_ns(b);
    cleanup_free char *full = ns ? xasprintf("%s/%s", ns, id) : xstrdup(id);
    sha256_buf(full, strlen(full), d);
    return xasprintf(MOUNTS_DIR "/%s", digest_hex(d));
}

/* BuildKit: target /run/buildkit/ssh_agent.N (N: the mount's place among the step's ssh
 * mounts) unless given; a required agent that --ssh did not give fails the step. */
static int resolve_ssh(struct build *b, struct step_mount *sm, size_t index, kiln_error_t **err)
{
    cleanup_free char *target = NULL;
    if (df_mount_defaults(&sm->m, &sm->id, &target, err) < 0)
        return -1;
    sm->target = target ? path_join("/", target) : xasprintf("/run/buildkit/ssh_agent.%zu", index);
    if (!strcmp(sm->target, "/"))
        return kiln_err(err, KILN_EINPUT, 0, "invalid mount target \"%s\"", sm->target);
    sm->agent = ssh_agents_socket(b->ssh, sm->id);
    if (!sm->agent && sm->m.required)
        return kiln_err(err, KILN_EINPUT, 0, "no SSH key \"%s\" forwarded from the client", sm->id);
    return 0;
}

static int resolve_one(struct build *b, struct build_stage *st, const struct df_instr *in,
                       struct step_mount *sm, kiln_error_t **err)
{
    struct df_mount *m = &sm->m;
    if (m->type == DF_MOUNT_SECRET)
        return resolve_secret(b, sm, err);
    if (!m->target || !*m->target)
        return kiln_err(err, KILN_EINPUT, 0, "mount type %s requires a target",
                        m->type == DF_MOUNT_BIND    ? "bind"
                        : m->type == DF_MOUNT_CACHE ? "cache"
                                                    : "tmpfs");
    sm->target = abs_target(st, m->target, false);
    if (!strcmp(sm->target, "/"))
        return kiln_err(err, KILN_EINPUT, 0, "invalid mount target \"%s\"", sm->target);
    if (m->type == DF_MOUNT_TMPFS)
        return 0;
    if (m->type == DF_MOUNT_CACHE) {
        cleanup_free char *unused = NULL;
        if (df_mount_defaults(m, &sm->id, &unused, err) < 0)
            return -1;
        sm->cache_name = cache_name(b, sm->id);
        if (!m->from)
            return 0;
    }
    return resolve_from(b, st, in, sm, err) < 0 ? -1 : resolve_source(b, sm, err);
}

static void step_mount_release(struct step_mount *sm)
{
    df_mount_release(&sm->m);
    free(sm->target), free(sm->id), free(sm->src), free(sm->cache_name), free(sm->tmp);
    free(sm->host);
    if (sm->lockfd >= 0)
        close(sm->lockfd); /* releases the cache lock */
}

/* The parsed mount k of the instruction; a deferred one (a value with a variable or a quote)
 * is parsed again from its flag with the step's variables, as BuildKit expands at dispatch. */
static int step_df_mount(struct build *b, struct build_stage *st, const struct df_instr *in,
                         size_t k, struct df_mount *out, kiln_error_t **err)
{
    const struct df_mount *m = &in->mounts[k];
    if (!m->deferred) {
        *out = *m;
        char **strs[] = {&out->from, &out->source, &out->target, &out->id, &out->env};
        for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
            *strs[i] = *strs[i] ? xstrdup(*strs[i]) : NULL;
        return 0;
    }
    const char *spec = NULL;
    for (size_t i = 0, seen = 0; i < in->nflags && !spec; i++)
        if (!strcmp(in->flags[i].name, "mount") && seen++ == k)
            spec = in->flags[i].value;
    if (!spec)
        return kiln_err(err, KILN_EINTERNAL, 0, "--mount %zu: no flag", k);
    return df_mount_parse(spec, b->input.df->escape, df_scope_expander, &st->scope, out, err);
}

int mounts_prepare(struct build *b, struct build_stage *st, const struct df_instr *in,
                   struct step_mounts *m, kiln_error_t **err)
{
    memset(m, 0, sizeof(*m));
    m->b = b;
    if (in->nmounts > SANDBOX_MAX_MOUNTS)
        return instr_err(b, in, err, KILN_ELIMIT, "more than %d mounts", SANDBOX_MAX_MOUNTS);
    m->v = xcalloc(in->nmounts + 1, sizeof(*m->v));
    size_t nssh = 0;
    for (size_t k = 0; k < in->nmounts; k++) {
        struct step_mount *sm = &m->v[m->n];
        sm->lockfd = -1;
        sm->orig = &in->mounts[k];
        if (step_df_mount(b, st, in, k, &sm->m, err) < 0)
            return instr_wrap(b, in, err);
        m->n++;
        int rc = sm->m.type == DF_MOUNT_SSH ? resolve_ssh(b, sm, nssh++, err)
                                            : resolve_one(b, st, in, sm, err);
        if (rc < 0)
            return instr_wrap(b, in, err);
        if (sm->m.type == DF_MOUNT_SSH && !m->ssh_target)
            m->ssh_target = sm->target;
    }
    return 0;
}

/* ---- cache key ---- */

static void key_owner(struct cache_key *k, const struct df_mount *m)
{
    cache_key_addu(k, m->has_mode ? m->mode : UINT64_MAX);
    cache_key_addu(k, m->has_uid ? m->uid : UINT64_MAX);
    cache_key_addu(k, m->has_gid ? m->gid : UINT64_MAX);
}

static int key_one(struct build *b, struct step_mount *sm, struct cache_key *k, kiln_error_t **err)
{
    const struct df_mount *m = &sm->m;
    cache_key_addu(k, m->type);
    cache_key_add(k, sm->target);
    cache_key_addu(k, m->readonly);
    if (m->type == DF_MOUNT_TMPFS)
        cache_key_addu(k, (uint64_t)m->size);
    if (m->type == DF_MOUNT_CACHE) {
        cache_key_add(k, sm->id);
        if (buildkit_cache_ns(b))
            cache_key_add(k, "ns"), cache_key_add(k, buildkit_cache_ns(b));
        cache_key_addu(k, m->sharing);
        key_owner(k, m);
    }
    if (m->type == DF_MOUNT_SSH) { /* the mount, never the agent or its keys */
        cache_key_add(k, sm->id);
        cache_key_addu(k, m->required);
        key_owner(k, m);
    }
    if (m->type == DF_MOUNT_SECRET) {
        char mac[SECRET_MAC_LEN + 1] = "absent";
        cache_key_add(k, sm->id);
        cache_key_add(k, m->env);
        key_owner(k, m);
        if (sm->secret && secrets_mac(b->leak.secrets, b->store, sm->secret, mac, err) < 0)
            return -1;
        cache_key_add(k, mac);
    }
    if (sm->view && m->type == DF_MOUNT_BIND) {
        char d[DIGEST_STR_LEN + 1];
        if (mounts_tree_digest(b, sm->view, sm->src, sm->context, d, err) < 0)
            return -1;
        cache_key_add(k, d);
    }
    return 0;
}

int mounts_key(struct build *b, struct step_mounts *m, struct cache_key *k, kiln_error_t **err)
{
    cache_key_addu(k, m->n);
    for (size_t i = 0; i < m->n; i++)
        if (key_one(b, &m->v[i], k, err) < 0)
            return -1;
    return 0;
}

/* ---- attaching ---- */

static struct sandbox_mount *add_sbx(struct step_mounts *m, enum sandbox_mount_type type,
                                     const char *target)
{
    m->sbx = xrealloc(m->sbx, (m->nsbx + 1) * sizeof(*m->sbx));
    struct sandbox_mount *s = &m->sbx[m->nsbx++];
    memset(s, 0, sizeof(*s));
    s->type = type;
    s->target = target;
    return s;
}

static void attach_secret(struct step_mounts *m, struct step_mount *sm)
{
    const struct secret *sec = sm->secret;
    if (!sec)
        return; /* optional and not given: no file, no variable */
    if (sm->m.env) {
        size_t kl = strlen(sm->m.env);
        /* the step's child must inherit it (it is in the step's envp): no MADV_DONTFORK */
        char *e = secmem_alloc(kl + 1 + sec->len + 1, SECMEM_INHERIT);
        memcpy(e, sm->m.env, kl);
        e[kl] = '=';
        memcpy(e + kl + 1, sec->value, sec->len);
        e[kl + 1 + sec->len] = '\0';
        strv_push(&m->env, &m->nenv, e);
    }
    if (!sm->target)
        return;
    struct sandbox_mount *s = add_sbx(m, SANDBOX_MOUNT_DATA, sm->target);
    s->data = sec->value;
    s->len = sec->len;
    s->mode = sm->m.has_mode ? sm->m.mode : 0400;
    s->uid = sm->m.has_uid ? sm->m.uid : 0;
    s->gid = sm->m.has_gid ? sm->m.gid : 0;
    s->flags = SANDBOX_MNT_RO | SANDBOX_MNT_NOSUID | SANDBOX_MNT_NODEV | SANDBOX_MNT_NOEXEC;
}

static int attach_bind(struct build *b, struct step_mounts *m, struct step_mount *sm,
                       kiln_error_t **err)
{
    if (mounts_make_tmp(b, sm, err) < 0)
        return -1;
    cleanup_close int dfd = openat(b->store->rootfd, sm->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return kiln_err_errno(err, KILN_EIO, "open '%s'", sm->tmp);
    if (mounts_tree_copy(b, sm->view, sm->src, sm->context, &m->map, dfd, "src", err) < 0)
        return kiln_err_wrap(err, "bind mount '%s'", sm->target);
    sm->host = xasprintf("%s/%s/src", b->store->root, sm->tmp);
    struct sandbox_mount *s = add_sbx(m, SANDBOX_MOUNT_BIND, sm->target);
    s->source = sm->host;
    s->flags = sm->m.readonly ? SANDBOX_MNT_RO : 0;
    return 0;
}

/* The step's own agent socket, in a private directory of the store, behind the proxy. */
static int attach_ssh(struct build *b, struct step_mounts *m, struct step_mount *sm,
                      kiln_error_t **err)
{
    if (!sm->agent)
        return 0; /* optional and not given: nothing at the target */
    if (mounts_make_tmp(b, sm, err) < 0)
        return -1;
    cleanup_close int dfd = openat(b->store->rootfd, sm->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || ssh_proxy_start(dfd, "agent", sm->agent, &sm->proxy, err) < 0)
        return dfd < 0 ? kiln_err_errno(err, KILN_EIO, "open '%s'", sm->tmp) : -1;
    uint32_t uid = sm->m.has_uid ? sm->m.uid : 0, gid = sm->m.has_gid ? sm->m.gid : 0;
    mode_t mode = sm->m.has_mode ? (sm->m.mode & 0777) : 0600;
    int64_t hu = idmap_host_uid(&m->map, uid), hg = idmap_host_gid(&m->map, gid);
    if (hu < 0 || hg < 0)
        return kiln_err(err, KILN_EINPUT, 0, "ssh mount: owner %u:%u is not mapped", uid, gid);
    if (fchmodat(dfd, "agent", mode, 0) < 0 ||
        (m->map.mode == IDMAP_ROOT && fchownat(dfd, "agent", (uid_t)hu, (gid_t)hg, 0) < 0))
        return kiln_err_errno(err, KILN_EIO, "ssh mount: agent socket");
    sm->host = xasprintf("%s/%s/agent", b->store->root, sm->tmp);
    struct sandbox_mount *s = add_sbx(m, SANDBOX_MOUNT_SOCKET, sm->target);
    s->source = sm->host;
    s->uid = uid, s->gid = gid;
    s->flags = SANDBOX_MNT_NOSUID | SANDBOX_MNT_NODEV | SANDBOX_MNT_NOEXEC;
    return 0;
}

static int attach_one(struct build *b, struct step_mounts *m, struct step_mount *sm,
                      kiln_error_t **err)
{
    switch (sm->m.type) {
    case DF_MOUNT_SSH:
        return attach_ssh(b, m, sm, err);
    case DF_MOUNT_SECRET:
        attach_secret(m, sm);
        return 0;
    case DF_MOUNT_TMPFS: {
        struct sandbox_mount *s = add_sbx(m, SANDBOX_MOUNT_TMPFS, sm->target);
        long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
        s->size = sm->m.size > 0
                      ? (uint64_t)sm->m.size
                      : (pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page / 2 : 0);
        return 0;
    }
    case DF_MOUNT_BIND:
        return attach_bind(b, m, sm, err);
    case DF_MOUNT_CACHE:
        if (mounts_cache_open(b, sm, &m->map, err) < 0)
            return -1;
        add_sbx(m, SANDBOX_MOUNT_BIND, sm->target)->source = sm->host;
        m->sbx[m->nsbx - 1].flags = sm->m.readonly ? SANDBOX_MNT_RO : 0;
        return 0;
    default:
        return kiln_err(err, KILN_EINTERNAL, 0, "mount type %d", sm->m.type);
    }
}

static int cache_order(const void *x, const void *y)
{
    const struct step_mount *const *a = x, *const *b = y;
    const char *na = (*a)->cache_name ? (*a)->cache_name : "";
    const char *nb = (*b)->cache_name ? (*b)->cache_name : "";
    return strcmp(na, nb);
}

int mounts_attach(struct build *b, struct step_mounts *m, const struct idmap *map,
                  kiln_error_t **err)
{
    m->map = *map;
    m->attached = true;
    /* caches are locked in one global order, so two steps never wait for each other */
    struct step_mount **order = xcalloc(m->n + 1, sizeof(*order));
    for (size_t i = 0; i < m->n; i++)
        order[i] = &m->v[i];
    qsort(order, m->n, sizeof(*order), cache_order);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < m->n; i++)
        if (order[i]->m.type == DF_MOUNT_CACHE)
            rc = attach_one(b, m, order[i], err);
    for (size_t i = 0; rc == 0 && i < m->n; i++)
        if (m->v[i].m.type != DF_MOUNT_CACHE)
            rc = attach_one(b, m, &m->v[i], err);
    free(order);
    return rc;
}

static int rm_fn(void *arg, const struct idshift *sh, void *result, kiln_error_t **err)
{
    (void)sh, (void)result;
    struct step_mounts *m = arg;
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].tmp && rm_rf_at(m->b->store->rootfd, m->v[i].tmp, err) < 0)
            return -1;
    return 0;
}

void mounts_release(struct step_mounts *m)
{
    for (size_t i = 0; i < m->n; i++) /* the agent sockets go first: nothing reaches them */
        ssh_proxy_stop(steal_ptr(m->v[i].proxy));
    bool tmps = false;
    for (size_t i = 0; i < m->n; i++)
        tmps |= m->v[i].tmp != NULL;
    char unused;
    kiln_error_t *e = NULL;
    if (tmps && m->attached && idmap_run(&m->map, rm_fn, m, &unused, 0, &e) < 0)
        kiln_error_free(e);
    for (size_t i = 0; i < m->n; i++)
        step_mount_release(&m->v[i]);
    free(m->v);
    free(m->sbx);
    for (size_t i = 0; i < m->nenv; i++)
        secmem_free(m->env[i]); /* wiped */
    free(m->env);
    memset(m, 0, sizeof(*m));
}
