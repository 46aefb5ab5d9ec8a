/* kiln_build(): the whole build, from options to output. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "buf.h"
#include "build.h"
#include "fsutil.h"
#include "lint_image.h"
#include "oci/reference.h"
#include "ssh.h"
#include "util.h"

const char *kiln_version(void)
{
    return KILN_VERSION;
}

static const char *host_arch(void)
{
    struct utsname u;
    if (uname(&u) == 0 && !strcmp(u.machine, "aarch64"))
        return "arm64";
    return "amd64";
}

static int read_dockerfile(struct build *b, kiln_error_t **err)
{
    const struct kiln_build_opts *o = b->o;
    cleanup_free char *path = NULL;
    if (o->dockerfile)
        path = xstrdup(o->dockerfile);
    else if (o->context)
        path = xasprintf("%s/Dockerfile", o->context);
    else
        return kiln_err(err, KILN_EUSAGE, 0, "no Dockerfile given");
    const char *slash = strrchr(path, '/');
    b->dfname = xstrdup(!strcmp(path, "-") ? "Dockerfile" : slash ? slash + 1 : path);
    int rc;
    if (!strcmp(path, "-"))
        rc = read_fd_limited(STDIN_FILENO, DF_MAX_FILE_SIZE, &b->df_data, &b->df_len, err);
    else
        rc = read_file_limited(AT_FDCWD, path, DF_MAX_FILE_SIZE, &b->df_data, &b->df_len, err);
    if (rc < 0) {
        if ((*err)->code == KILN_ELIMIT)
            return kiln_err(err, KILN_ELIMIT, 0, "Dockerfile '%s' is larger than %u bytes", path,
                            DF_MAX_FILE_SIZE);
        return kiln_err_wrap(err, "failed to read Dockerfile");
    }
    sha256_buf(b->df_data, b->df_len, b->df_digest);
    return df_parse(b->dfname, b->df_data, b->df_len, &b->df, err);
}

static void init_stages(struct build *b)
{
    b->nstages = b->df->nstages;
    b->stages = xcalloc(b->nstages, sizeof(*b->stages));
    for (size_t i = 0; i < b->nstages; i++) {
        struct build_stage *st = &b->stages[i];
        st->df = &b->df->stages[i];
        st->title = st->df->name ? xstrdup(st->df->name) : xasprintf("stage-%zu", i);
    }
}

static int check_tags(const struct kiln_build_opts *o, kiln_error_t **err)
{
    for (size_t i = 0; i < o->ntags; i++) {
        struct reference r;
        if (reference_parse(o->tags[i], &r, err) < 0)
            return kiln_err_wrap(err, "-t %s", o->tags[i]);
        reference_release(&r);
    }
    return 0;
}

static struct build_stage *pick_target(struct build *b, kiln_error_t **err)
{
    if (!b->o->target)
        return &b->stages[b->nstages - 1];
    cleanup_free char *t = xstrdup(b->o->target);
    str_lower(t);
    for (size_t i = 0; i < b->nstages; i++)
        if (b->stages[i].df->name && !strcmp(b->stages[i].df->name, t))
            return &b->stages[i];
    kiln_err(err, KILN_EINPUT, 0, "target stage \"%s\" could not be found", b->o->target);
    return NULL;
}

static void warn_unused_args(struct build *b)
{
    cleanup_buf struct buf list = BUF_INIT(64 * 1024);
    for (size_t i = 0; i < b->o->nbuild_args; i++) {
        if (b->arg_used[i])
            continue;
        /* the predefined proxy, platform and BUILDKIT_* args are never reported */
        const char *k = b->o->build_args[i].key;
        if (str_has_suffix(k, "_PROXY") || str_has_suffix(k, "_proxy") ||
            buildkit_arg_predefined(k) || !strcmp(k, "SOURCE_DATE_EPOCH"))
            continue;
        buf_addf(&list, NULL, "%s%s", list.len ? " " : "", k);
    }
    if (list.len)
        build_log(b, KILN_LOG_WARN, "one or more build-args [%s] were not consumed",
                  buf_str(&list));
}

/* Every secret is read before anything runs: a missing one fails the build at once. */
static int load_secrets(struct build *b, kiln_error_t **err)
{
    if (secrets_load(b->o->secrets, b->o->nsecrets, &b->secrets, err) < 0)
        return -1;
    for (size_t i = 0; i < b->secrets->n; i++)
        if (leakscan_skipped(b->secrets->scan, i))
            build_log(b, KILN_LOG_WARN,
                      "secret '%s' is shorter than %d bytes: it is not scanned for leaks",
                      b->secrets->v[i].id, LEAKSCAN_MIN_SECRET);
    return 0;
}

static void build_release(struct build *b)
{
    for (size_t i = 0; i < b->nstages; i++)
        build_stage_release(&b->stages[i]);
    free(b->stages);
    for (size_t i = 0; i < b->nexternals; i++) {
        build_stage_release(b->externals[i]);
        free(b->externals[i]);
    }
    free(b->externals);
    for (size_t i = 0; i < b->ncontexts; i++) {
        free(b->contexts[i].name);
        free(b->contexts[i].path);
        free(b->contexts[i].ref);
        view_free(b->contexts[i].view);
    }
    free(b->contexts);
    for (size_t i = 0; i < b->nmeta; i++) {
        free(b->meta[i].key);
        free(b->meta[i].value);
    }
    free(b->meta);
    json_decref(b->cache_from);
    json_decref(b->cache_used);
    free(b->arg_used);
    strv_free(b->new_layers);
    strset_release(&b->scanned);
    strset_release(&b->warned);
    secrets_free(b->secrets);
    ssh_agents_close(b->ssh);
    netpolicy_release(&b->net);
    if (b->hashes) {
        kiln_error_t *e = NULL;
        hashindex_save(b->hashes, &e); /* losing it costs a re-read next time, nothing else */
        kiln_error_free(e);
        hashindex_free(b->hashes);
    }
    dockerignore_free(b->ignore);
    view_free(b->ctx_view);
    df_file_free(b->df);
    free(b->df_data);
    free(b->dfname);
    store_close(b->store);
}

static int build_run(struct build *b, struct kiln_build_result *res, kiln_error_t **err)
{
    const struct kiln_build_opts *o = b->o;
    cleanup_free char *root = o->root ? xstrdup(o->root) : store_default_root(err);
    if (!root || check_tags(o, err) < 0 || load_secrets(b, err) < 0 ||
        build_network_init(b, err) < 0 || ssh_agents_open(o->ssh, o->nssh, &b->ssh, err) < 0 ||
        read_dockerfile(b, err) < 0 || store_open(root, &b->store, err) < 0 ||
        context_open(b, err) < 0 || lint_image_dockerfile(b, err) < 0)
        return -1;
    if (idmap_for_store(b->store->root, &b->idmap, err) < 0)
        return -1;
    buildkit_args_check(b);
    b->hashes = hashindex_open(b->store);
    if (cache_remote_import(b, err) < 0)
        return -1;
    init_stages(b);
    if (vars_init_meta(b, err) < 0)
        return -1;
    struct build_stage *target = pick_target(b, err);
    if (!target || schedule_check(b, target, err) < 0 || stage_build(b, target, err) < 0)
        return -1;
    warn_unused_args(b);
    if (policy_check_user(b, target, err) < 0 || lint_image_check(b, target, err) < 0)
        return -1;
    /* the shared cache first: a build whose cache push failed writes no output (no layer
     * holds a secret: each was scanned when its stage committed it) */
    if (cache_remote_export(b, err) < 0)
        return -1;
    return export_image(b, target, res, err);
}

int kiln_build(const struct kiln_build_opts *o, struct kiln_build_result *res, kiln_error_t **err)
{
    struct build b = {.o = o, .epoch = o->source_date_epoch, .os = "linux", .variant = ""};
    pthread_mutex_init(&b.lock, NULL);
    pthread_cond_init(&b.stage_cv, NULL);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    sem_init(&b.slots, 0, cores > 0 ? (unsigned)cores : 1);
    b.arch = host_arch();
    b.arg_used = xcalloc(o->nbuild_args + 1, sizeof(bool));
    memset(res, 0, sizeof(*res));
    int rc = build_run(&b, res, err);
    build_release(&b);
    sem_destroy(&b.slots);
    pthread_cond_destroy(&b.stage_cv);
    pthread_mutex_destroy(&b.lock);
    return rc;
}
