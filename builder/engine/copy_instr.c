/* The COPY and ADD instructions (copy.h): flags, source selection (paths and wildcards) and
 * Docker's destination rules; the plan is keyed and written by copy_write.c. */
#include <errno.h>
#include <fnmatch.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "copy.h"
#include "dispatch.h"
#include "plan.h"
#include "instr.h"
#include "users.h"
#include "layer/toc.h"
#include "net/url.h"
#include "util.h"

static const char *const copy_flags[] = {"from", "chown", "chmod", "link", "parents", "exclude"};
static const char *const add_flags[] = {"chown",        "chmod",   "link",  "checksum",
                                        "keep-git-dir", "exclude", "unpack"};

static int check_flags(struct copy_job *j, kiln_error_t **err)
{
    const char *const *ok = j->is_add ? add_flags : copy_flags;
    size_t nok = j->is_add ? ARRAY_SIZE(add_flags) : ARRAY_SIZE(copy_flags);
    for (size_t i = 0; i < j->in->nflags; i++) {
        const char *name = j->in->flags[i].name;
        size_t k = 0;
        while (k < nok && strcmp(ok[k], name))
            k++;
        if (k == nok)
            return instr_err(j->b, j->in, err, KILN_EINPUT, "unknown flag: --%s", name);
        if (!strcmp(name, "keep-git-dir"))
            return instr_err(j->b, j->in, err, KILN_EUNSUPPORTED, "--%s is not supported yet",
                             name);
    }
    return 0;
}

/* --exclude patterns (expanded) as a .dockerignore matcher; --parents. */
static int path_flags(struct copy_job *j, kiln_error_t **err)
{
    j->parents = j->in->copy.parents;
    if (!j->in->copy.nexclude)
        return 0;
    cleanup_buf struct buf pats = BUF_INIT(DOCKERIGNORE_MAX_SIZE);
    for (size_t i = 0; i < j->in->copy.nexclude; i++) {
        cleanup_free char *p = NULL;
        if (df_scope_expand(&j->st->scope, j->in->copy.exclude[i], &p, err) < 0 ||
            buf_addf(&pats, err, "%s\n", p) < 0)
            return instr_wrap(j->b, j->in, err);
    }
    if (dockerignore_parse("--exclude", buf_str(&pats), pats.len, &j->exclude, err) < 0)
        return instr_wrap(j->b, j->in, err);
    return 0;
}

static int owner_flags(struct copy_job *j, kiln_error_t **err)
{
    const char *chown = df_instr_flag(j->in, "chown", NULL);
    const char *chmod = df_instr_flag(j->in, "chmod", NULL);
    if (chown && *chown) {
        cleanup_free char *spec = NULL;
        if (df_scope_expand(&j->st->scope, chown, &spec, err) < 0 ||
            users_resolve(j->dest, spec, false, &j->uid, &j->gid, err) < 0)
            return instr_wrap(j->b, j->in, err);
        j->chown = true;
    }
    if (chmod && *chmod) {
        cleanup_free char *m = NULL;
        if (df_scope_expand(&j->st->scope, chmod, &m, err) < 0)
            return instr_wrap(j->b, j->in, err);
        if (parse_mode(m, &j->mode) < 0)
            return instr_err(
                j->b, j->in, err, KILN_EINPUT,
                "invalid chmod parameter: '%s'. it should be octal string and between 0 and 07777",
                m);
        j->chmod = true;
    }
    return 0;
}

/* --from as the plan resolved it: a stage (name or index), else a named context or an image
 * (a layout or docker-image context, or a registry reference). */
static int pick_source(struct copy_job *j, kiln_error_t **err)
{
    const char *from = j->in->copy.from;
    if (!from || !*from) {
        if (!j->b->input.ctx_view)
            return instr_err(j->b, j->in, err, KILN_EINPUT,
                             "no build context: the Dockerfile was read from stdin");
        j->src = j->b->input.ctx_view;
        j->src_is_context = true;
        return 0;
    }
    const struct df_plan_dep *d = plan_dep(j->b, j->st, j->in, NULL);
    if (d && d->stage >= 0) {
        struct build_stage *dep = &j->b->sched.stages[d->stage];
        if (schedule_stage(j->b, dep, err) < 0)
            return -1;
        return stage_view(j->b, dep, &j->src, err) < 0 ? instr_wrap(j->b, j->in, err) : 0;
    }
    const char *name = d && d->external ? d->external : from;
    struct build_context *c = context_find(j->b, name);
    if (c && c->type == KILN_CONTEXT_DIR) {
        j->src = c->view;
        return 0;
    }
    struct build_stage *ext;
    if (stage_external(j->b, name, &ext, err) < 0 || stage_view(j->b, ext, &j->src, err) < 0)
        return kiln_err_wrap(err, "%s:%d: COPY --from=%s", j->b->input.src.name, j->in->line, name);
    return 0;
}

static bool has_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

struct match_list {
    char **paths;
    char **keep; /* --parents: the part of each path kept under the destination */
    size_t n, nkeep;
};

static int glob_walk(struct copy_job *j, const char *dir, const char *pattern,
                     struct match_list *out, kiln_error_t **err)
{
    size_t seg = strcspn(pattern, "/");
    cleanup_free char *part = xstrndup(pattern, seg);
    const char *rest = pattern[seg] ? pattern + seg + 1 : NULL;
    cleanup_strv char **names = NULL;
    size_t n = 0;
    if (!has_glob(part)) {
        strv_push(&names, &n, xstrdup(part));
    } else if (view_list(j->src, dir, &names, &n) < 0) {
        return 0; /* not a directory: no match below it */
    }
    for (size_t i = 0; i < n; i++) {
        if (has_glob(part) && fnmatch(part, names[i], 0) != 0)
            continue;
        cleanup_free char *p = path_join(dir, names[i]);
        struct stat st;
        if (view_lstat(j->src, p, &st) < 0)
            continue;
        if (rest && *rest) {
            if (glob_walk(j, p, rest, out, err) < 0)
                return -1;
        } else if (!(j->src_is_context && j->b->input.src.ignore &&
                     dockerignore_excluded(j->b->input.src.ignore, p + 1))) {
            strv_push(&out->paths, &out->n, steal_ptr(p));
        }
    }
    return 0;
}

/* --parents: what each new match keeps of its path: all of it, or what follows a "/./" pivot
 * of the source word (BuildKit's marker). */
static void note_keep(struct match_list *out, size_t before, const char *word)
{
    const char *pivot = strstr(word, "/./");
    cleanup_free char *prefix = NULL;
    if (pivot) {
        cleanup_free char *p = xstrndup(word, (size_t)(pivot - word));
        cleanup_free char *c = path_clean(p[0] == '/' ? p + 1 : p);
        prefix = path_join("/", c);
    }
    for (size_t i = before; i < out->n; i++) {
        const char *m = out->paths[i];
        size_t n = prefix && strcmp(prefix, "/") ? strlen(prefix) : 0;
        const char *keep = prefix && !strncmp(m, prefix, n) && m[n] == '/' ? m + n + 1 : m + 1;
        strv_push(&out->keep, &out->nkeep, xstrdup(keep));
    }
}

/* Adds the matches of one source word to out. */
static int select_source(struct copy_job *j, const char *word, struct match_list *out,
                         kiln_error_t **err)
{
    if (j->is_add && copy_is_git(word))
        return instr_err(j->b, j->in, err, KILN_EUNSUPPORTED,
                         "git repositories as sources (%s) are not supported yet", word);
    if (copy_is_remote(word) || copy_is_git(word))
        return instr_err(j->b, j->in, err, KILN_EINPUT, "source can't be a URL for COPY (%s)",
                         word);
    cleanup_free char *rel = path_clean(word[0] == '/' ? word + 1 : word);
    if (j->src_is_context && (!strcmp(rel, "..") || str_has_prefix(rel, "../")))
        return instr_err(j->b, j->in, err, KILN_EINPUT,
                         "forbidden path outside the build context: %s", word);
    cleanup_free char *abs = path_join("/", rel);
    size_t before = out->n;
    if (has_glob(abs)) {
        if (glob_walk(j, "/", abs + 1, out, err) < 0)
            return -1;
    } else {
        struct stat st;
        bool excluded = j->src_is_context && j->b->input.src.ignore && strcmp(abs, "/") &&
                        dockerignore_excluded(j->b->input.src.ignore, abs + 1);
        if (!excluded && view_stat(j->src, abs, &st) == 0)
            strv_push(&out->paths, &out->n, steal_ptr(abs));
        else if (excluded)
            return instr_err(j->b, j->in, err, KILN_EINPUT,
                             "\"%s\": not found (excluded by .dockerignore)", abs);
    }
    struct stat lst;
    if (out->n == before && !has_glob(abs) && view_lstat(j->src, abs, &lst) == 0 &&
        S_ISLNK(lst.st_mode))
        return instr_err(j->b, j->in, err, KILN_EINPUT,
                         "\"/%s\": not found (a symlink whose target is missing or excluded by "
                         ".dockerignore)",
                         rel);
    if (out->n == before)
        return instr_err(j->b, j->in, err, KILN_EINPUT, "\"/%s\": not found", rel);
    note_keep(out, before, word);
    return 0;
}

static char *dest_path(struct copy_job *j, const char *raw, bool *dir)
{
    size_t n = strlen(raw);
    *dir = (n && raw[n - 1] == '/') || !strcmp(raw, ".") || str_has_suffix(raw, "/.");
    if (raw[0] == '/')
        return path_clean(raw);
    const char *wd = image_cfg_string(j->st->img, "WorkingDir");
    cleanup_free char *joined = xasprintf("/%s/%s", wd ? wd : "", raw);
    return path_clean(joined);
}

int copy_dest_resolve(struct view *v, const char *path, char **out)
{
    if (view_realpath(v, path, out) == 0)
        return 0;
    if (errno != ENOENT || !strcmp(path, "/"))
        return -1;
    cleanup_free char *parent = xstrdup(path);
    char *slash = strrchr(parent, '/');
    const char *base = path + (slash - parent) + 1;
    *slash = '\0';
    cleanup_free char *rp = NULL;
    if (copy_dest_resolve(v, *parent ? parent : "/", &rp) < 0)
        return -1;
    *out = path_join(rp, base);
    return 0;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int copy_one(struct copy_job *j, const char *match, const char *dest, bool dest_dir,
                    kiln_error_t **err)
{
    struct stat st;
    if (view_stat(j->src, match, &st) < 0)
        return kiln_err_errno(err, KILN_EINPUT, "\"%s\"", match);
    if (S_ISDIR(st.st_mode)) {
        cleanup_free char *canon = NULL;
        if (view_realpath(j->src, match, &canon) < 0)
            return kiln_err_errno(err, KILN_EINPUT, "\"%s\"", match);
        return copy_tree(j, canon, &st, dest, err);
    }
    if (j->is_add && S_ISREG(st.st_mode) && copy_is_archive(j, match))
        return copy_plan_archive(j, match, dest, err);
    cleanup_free char *target = dest_dir ? path_join(dest, base_name(match)) : xstrdup(dest);
    return copy_tree(j, match, &st, target, err);
}

/* ADD <url> sources into the plan: named after their URL's path inside a directory. */
static int plan_urls(struct copy_job *j, const char *real, bool dest_dir, kiln_error_t **err)
{
    bool given = false;
    const char *unpack = df_instr_flag(j->in, "unpack", &given);
    if (j->nurls && given && (!unpack || strcasecmp(unpack, "false") != 0))
        return kiln_err(err, KILN_EUNSUPPORTED, 0,
                        "--unpack of a remote archive is not supported yet");
    for (size_t i = 0; i < j->nurls; i++) {
        cleanup_free char *target = NULL;
        if (dest_dir) {
            struct url_parts u;
            if (url_parse(j->urls[i].url, false, &u, err) < 0)
                return -1;
            cleanup_free char *name = url_file_name(&u);
            url_parts_release(&u);
            target = path_join(real, name);
        } else {
            target = xstrdup(real);
        }
        if (copy_plan_url(j, i, target, err) < 0)
            return -1;
    }
    return 0;
}

static char *history_text(struct copy_job *j, char **words, size_t n)
{
    const char *chown = df_instr_flag(j->in, "chown", NULL);
    const char *chmod = df_instr_flag(j->in, "chmod", NULL);
    cleanup_free char *list = strv_join(words, n, " ");
    return xasprintf("%s%s%s%s%s%s%s%s", j->is_add ? "ADD" : "COPY", j->parents ? " --parents" : "",
                     chown ? " --chown=" : "", chown ? chown : "", chmod ? " --chmod=" : "",
                     chmod ? chmod : "", n ? " " : "", list);
}

static int copy_run_dest(struct copy_job *j, char **words, size_t n, struct match_list *m,
                         char **bodies, size_t nheredoc, kiln_error_t **err);

/* COPY <<EOF: the heredoc bodies named by the sources, expanded unless the delimiter was
 * quoted; NULL where a source is not a heredoc. */
static int heredoc_sources(struct copy_job *j, size_t nsrc, char ***bodies, size_t *nheredoc,
                           kiln_error_t **err)
{
    *bodies = xcalloc(nsrc + 1, sizeof(char *));
    *nheredoc = 0;
    for (size_t i = 0; i < nsrc; i++) {
        const struct df_heredoc *h = df_instr_heredoc_source(j->in, j->in->args[i]);
        if (!h)
            continue;
        (*nheredoc)++;
        if (!h->expand)
            (*bodies)[i] = xstrdup(h->content);
        else if (df_scope_expand_heredoc(&j->st->scope, h->content, &(*bodies)[i], err) < 0)
            return instr_wrap(j->b, j->in, err);
    }
    return 0;
}

static int copy_run(struct copy_job *j, char **words, size_t n, kiln_error_t **err)
{
    struct match_list m = {0};
    cleanup_strv char **paths_guard = NULL;
    char **bodies = NULL;
    size_t nheredoc;
    int rc = heredoc_sources(j, n - 1, &bodies, &nheredoc, err);
    for (size_t i = 0; rc == 0 && i + 1 < n; i++) {
        if (bodies[i])
            continue;
        if (j->is_add && copy_is_remote(words[i]) && !copy_is_git(words[i]))
            copy_url_add(j, words[i]);
        else
            rc = select_source(j, words[i], &m, err);
    }
    paths_guard = m.paths;
    cleanup_strv char **keep_guard = m.keep;
    if (rc == 0)
        rc = copy_run_dest(j, words, n, &m, bodies, nheredoc, err);
    for (size_t i = 0; i + 1 < n; i++)
        free(bodies[i]);
    free(bodies);
    return rc;
}

static int copy_run_dest(struct copy_job *j, char **words, size_t n, struct match_list *mm,
                         char **bodies, size_t nheredoc, kiln_error_t **err)
{
    struct match_list m = *mm;
    bool dest_dir;
    cleanup_free char *dest = dest_path(j, words[n - 1], &dest_dir);
    if (n > 2 && !dest_dir)
        return instr_err(j->b, j->in, err, KILN_EINPUT,
                         "When using %s with more than one source file, the destination must be "
                         "a directory and end with a /",
                         j->is_add ? "ADD" : "COPY");
    struct stat st;
    cleanup_free char *real = NULL;
    if (copy_dest_resolve(j->dest, dest, &real) < 0)
        return instr_err(j->b, j->in, err, KILN_EINPUT, "destination '%s': %s", dest,
                         strerror(errno));
    if (m.n + nheredoc + j->nurls > 1 || j->parents ||
        (view_stat(j->dest, real, &st) == 0 && S_ISDIR(st.st_mode)))
        dest_dir = true;
    if (plan_urls(j, real, dest_dir, err) < 0)
        return instr_wrap(j->b, j->in, err);
    for (size_t i = 0; i + 1 < n; i++) {
        if (!bodies[i])
            continue;
        const struct df_heredoc *h = df_instr_heredoc_source(j->in, j->in->args[i]);
        cleanup_free char *target = dest_dir ? path_join(real, h->name) : xstrdup(real);
        if (copy_plan_inline(j, bodies[i], target, err) < 0)
            return instr_wrap(j->b, j->in, err);
    }
    for (size_t i = 0; i < m.n; i++) {
        cleanup_free char *under = j->parents ? path_join(real, m.keep[i]) : NULL;
        if (copy_one(j, m.paths[i], under ? under : real, dest_dir && !under, err) < 0)
            return instr_wrap(j->b, j->in, err);
    }
    return 0;
}

/* Looks the plan up in the step cache; on a miss writes it as a layer and records it. */
static int copy_layer(struct copy_job *j, struct step_record *r, kiln_error_t **err)
{
    struct build *b = j->b;
    struct cache_key k;
    cache_key_begin(&k, j->is_add ? "ADD" : "COPY");
    cache_key_add(&k, j->st->chain);
    if (copy_plan_key(j, &k, err) < 0) {
        sha256_release(&k.h);
        return -1;
    }
    char key[DIGEST_STR_LEN + 1];
    cache_key_end(&k, key);
    int hit = build_cache_get(b, j->st, key, r, err);
    if (hit)
        return hit < 0 ? -1 : (step_mark_cached(b), 0);
    if (layer_writer_new(b->store, layer_compression_of(b->o->output.compression),
                         b->o->output.compression_level, b->epoch, &j->w, err) < 0)
        return -1;
    layer_writer_scan(j->w, leakcheck_scanner(b), j->st->img->nlayers + 1);
    __attribute__((cleanup(toc_release))) struct layer_toc toc = {0};
    layer_writer_toc(j->w, &toc); /* views read the layer from it until they open a file */
    struct layer_result lr;
    if (copy_plan_write(j, err) < 0 || layer_writer_finish(steal_ptr(j->w), &lr, err) < 0)
        return -1;
    copy_plan_release(j); /* written: its memory goes before the table is sorted and saved */
    kiln_error_t *e = NULL;
    if (toc_finish(&toc) && toc_save(b->store, lr.diff_id, &toc, &e) < 0)
        kiln_error_free(e); /* the layer is unpacked when it is needed */
    memcpy(r->digest, lr.digest, sizeof(r->digest));
    memcpy(r->diff_id, lr.diff_id, sizeof(r->diff_id));
    r->size = lr.size;
    snprintf(r->media_type, sizeof(r->media_type), "%s", lr.media_type);
    build_cache_put(b, key, r);
    return 0;
}

int copy_instr(struct build *b, struct build_stage *st, const struct df_instr *in,
               kiln_error_t **err)
{
    struct copy_job j = {.b = b, .st = st, .in = in, .is_add = in->cmd == DF_ADD};
    if (in->nargs < 2)
        return instr_err(b, in, err, KILN_EINPUT, "%s requires at least two arguments",
                         df_cmd_name(in->cmd));
    if (check_flags(&j, err) < 0 || stage_view(b, st, &j.dest, err) < 0 ||
        owner_flags(&j, err) < 0 || path_flags(&j, err) < 0 || pick_source(&j, err) < 0) {
        dockerignore_free(j.exclude);
        return -1;
    }
    cleanup_strv char **words = NULL;
    size_t n = 0;
    for (size_t i = 0; i < in->nargs; i++) {
        char *w = NULL;
        if (df_scope_expand(&st->scope, in->args[i], &w, err) < 0)
            return instr_wrap(b, in, err);
        strv_push(&words, &n, w);
    }
    struct step_record r;
    int rc = copy_url_checksum(&j, words, n - 1, err);
    if (rc == 0)
        rc = copy_run(&j, words, n, err);
    if (rc == 0)
        rc = copy_layer(&j, &r, err) < 0 ? instr_wrap(b, in, err) : 0;
    layer_writer_free(j.w);
    strset_release(&j.emitted);
    dockerignore_free(j.exclude);
    copy_plan_release(&j);
    copy_url_release(&j);
    if (rc < 0)
        return -1;
    cleanup_free char *text = history_text(&j, words, n);
    cleanup_free char *full = xasprintf("%s # buildkit", text);
    image_add_history(st->img, full, false, b->epoch);
    return stage_add_layer(b, st, r.digest, r.diff_id, r.size, r.media_type, err);
}
