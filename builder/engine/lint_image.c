/* Lint in `kiln build` (lint_image.h): the frontend's static checks before the build, and the
 * rules on the final rootfs after it, read through the stage's view (never mounted). */
#include <fcntl.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "lint/lint.h"
#include "lint_image.h"
#include "owners.h"
#include "util.h"

/* The linter's options for this build: the plan's build args and contexts (borrowed). */
static struct lint_opts opts_of(struct build *b)
{
    return (struct lint_opts){.ignore = b->input.src.ignore,
                              .build_args = b->plan.args,
                              .nbuild_args = b->plan.nargs,
                              .target = b->o->target,
                              .contexts = b->plan.contexts,
                              .ncontexts = b->o->ncontexts,
                              .strict = b->o->strict};
}

static void log_findings(struct build *b, const struct lint_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        cleanup_free char *line = lint_output_short(&r->v[i]);
        step_log(b, KILN_LOG_WARN, "%s", line);
    }
}

/* BuildKit's "lint violation found for rules: A, B", at the first error's line. */
static int fail_on_errors(struct build *b, const struct lint_result *r, kiln_error_t **err)
{
    cleanup_buf struct buf names = BUF_INIT(64 * 1024);
    int line = 0;
    bool seen[LINT_RULE_COUNT] = {false};
    for (size_t i = 0; i < r->n; i++) {
        const struct lint_finding *f = &r->v[i];
        if (f->level != LINT_ERROR || seen[f->rule->id])
            continue;
        seen[f->rule->id] = true;
        if (buf_addf(&names, NULL, "%s%s", names.len ? ", " : "", f->rule->name) < 0)
            break; /* cannot happen: at most LINT_RULE_COUNT names */
        if (!line)
            line = f->line;
    }
    if (!names.len)
        return 0;
    if (line)
        return kiln_err(err, KILN_EPOLICY, 0, "%s:%d: lint violation found for rules: %s",
                        b->input.src.name, line, buf_str(&names));
    return kiln_err(err, KILN_EPOLICY, 0, "lint violation found for rules: %s", buf_str(&names));
}

int lint_image_dockerfile(struct build *b, kiln_error_t **err)
{
    struct lint_opts o = opts_of(b);
    struct lint_result r;
    int rc = lint_run(b->input.df, &o, &r, err);
    if (rc < 0)
        return kiln_err_wrap(err, "%s", b->input.src.name);
    log_findings(b, &r);
    rc = fail_on_errors(b, &r, err);
    lint_result_release(&r);
    return rc;
}

/* ---- the final image ---- */

struct walk {
    struct build *b;
    struct view *v;
    struct lint_result *r;
    size_t entries;
    size_t reported[LINT_RULE_COUNT];
    size_t over[LINT_RULE_COUNT]; /* findings over LINT_IMAGE_MAX_REPORTS */
    int from_line;                /* the final stage's FROM */
};

/* Up to LINT_IMAGE_READ_MAX bytes of a file of the image, NUL-terminated ("" on error). */
static char *read_head(struct view *v, const char *path)
{
    char *data = xmalloc(LINT_IMAGE_READ_MAX + 1);
    size_t len = 0;
    int fd = view_open(v, path);
    while (fd >= 0 && len < LINT_IMAGE_READ_MAX) {
        ssize_t n = read(fd, data + len, LINT_IMAGE_READ_MAX - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    if (fd >= 0)
        close(fd);
    data[len] = '\0';
    for (size_t i = 0; i < len; i++)
        if (!data[i])
            data[i] = ' '; /* binary content: keep searching past NUL bytes */
    return data;
}

static bool env_file(const char *name)
{
    static const char *const samples[] = {".example", ".sample", ".template", ".dist", ".defaults"};
    if (strcmp(name, ".env") == 0)
        return true;
    if (!str_has_prefix(name, ".env."))
        return false;
    for (size_t i = 0; i < ARRAY_SIZE(samples); i++)
        if (str_has_suffix(name, samples[i]))
            return false;
    return true;
}

/* What kind of credential file this is, or NULL. Content is read only for the names that
 * need it. */
static const char *secret_kind(struct view *v, const char *path, const char *name,
                               const struct stat *st)
{
    static const char *const keys[] = {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"};
    if (env_file(name))
        return "an environment file (.env files hold credentials)";
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
        if (strcmp(name, keys[i]) == 0)
            return "an SSH private key";
    if (strcmp(name, ".git-credentials") == 0 && st->st_size > 0)
        return "a Git credentials file";
    bool pem = str_has_suffix(name, ".pem") || str_has_suffix(name, ".key");
    bool npm = strcmp(name, ".npmrc") == 0, pypi = strcmp(name, ".pypirc") == 0;
    bool docker = str_has_suffix(path, "/.docker/config.json");
    if (!pem && !npm && !pypi && !docker)
        return NULL;
    cleanup_free char *data = read_head(v, path);
    if (pem && strstr(data, "PRIVATE KEY-----"))
        return "a private key";
    if (npm && (strstr(data, "_authToken") || strstr(data, "_auth") || strstr(data, "_password")))
        return "an npm configuration with a registry token";
    if (pypi && strstr(data, "password"))
        return "a PyPI configuration with a password";
    if (docker && strstr(data, "\"auth\""))
        return "a Docker client configuration with registry credentials";
    return NULL;
}

/* ---- where a file came from: a COPY/ADD of the main context ---- */

struct origin {
    int line;
    char *ctx_path; /* the path in the context */
};

static bool same_file(struct build *b, const char *ctx_path, const struct stat *img)
{
    struct stat cs;
    return b->input.ctx_view && *ctx_path && view_lstat(b->input.ctx_view, ctx_path, &cs) == 0 &&
           S_ISREG(cs.st_mode) && cs.st_size == img->st_size;
}

/* The context path that one source s of a COPY to directory dest gives image path p. */
static char *candidate(const char *s, const char *dest, const char *p, bool *direct)
{
    size_t dl = strcmp(dest, "/") == 0 ? 0 : strlen(dest);
    *direct = strcmp(p, dest) == 0;
    if (*direct)
        return xstrdup(s);
    if (strncmp(p, dest, dl) != 0 || p[dl] != '/')
        return NULL;
    const char *rel = p + dl + 1;
    const char *base = strrchr(s, '/');
    if (strcmp(base ? base + 1 : s, rel) == 0 && !strchr(rel, '/'))
        return xstrdup(s);
    if (strpbrk(s, "*?["))
        return fnmatch(s, rel, FNM_PATHNAME) == 0 ? xstrdup(rel) : NULL;
    return strcmp(s, ".") == 0 ? xstrdup(rel) : path_join(s, rel);
}

static bool copy_origin(struct build *b, const struct df_instr *in, const char *workdir,
                        const char *p, const struct stat *st, struct origin *o)
{
    const char *d = in->args[in->nargs - 1];
    if (strchr(d, '$'))
        return false;
    cleanup_free char *dest = d[0] == '/' ? path_clean(d) : path_join(workdir, d);
    for (size_t i = 0; i + 1 < in->nargs; i++) {
        const char *s = in->args[i];
        if (strchr(s, '$') || df_instr_heredoc_source(in, s) || strstr(s, "://"))
            continue;
        cleanup_free char *src = path_clean(s[0] == '/' ? s + 1 : s);
        bool direct;
        cleanup_free char *c = candidate(src, dest, p, &direct);
        if (c && same_file(b, c, st)) {
            o->line = in->line;
            o->ctx_path = steal_ptr(c);
            return true;
        }
    }
    return false;
}

/* Looks through every COPY/ADD from the main context (WORKDIR followed when written
 * literally). A name and size match is taken as the origin. */
static bool find_origin(struct build *b, const char *p, const struct stat *st, struct origin *o)
{
    for (size_t i = 0; i < b->input.df->nstages; i++) {
        const struct df_stage *s = &b->input.df->stages[i];
        cleanup_free char *wd = xstrdup("/");
        for (size_t k = 0; k < s->ninstrs; k++) {
            const struct df_instr *in = s->instrs[k];
            if (in->cmd == DF_WORKDIR && !strchr(in->args[0], '$')) {
                char *next =
                    in->args[0][0] == '/' ? path_clean(in->args[0]) : path_join(wd, in->args[0]);
                free(wd);
                wd = next;
            }
            bool copy = (in->cmd == DF_COPY || in->cmd == DF_ADD) && !in->copy.from;
            if (copy && in->nargs >= 2 && copy_origin(b, in, wd, p, st, o))
                return true;
        }
    }
    return false;
}

/* A .dockerignore line that matches exactly the context path (special characters escaped). */
static char *ignore_line(const char *ctx_path)
{
    char *out = xmalloc(2 * strlen(ctx_path) + 1), *o = out; /* each byte escaped at most */
    for (const char *c = ctx_path; *c; c++) {
        if (strchr("*?[\\", *c))
            *o++ = '\\';
        *o++ = *c;
    }
    *o = '\0';
    return out;
}

static void report(struct walk *w, enum lint_rule_id id, const char *path, const struct stat *st,
                   const char *what)
{
    if (w->reported[id] >= LINT_IMAGE_MAX_REPORTS) {
        w->over[id]++;
        return;
    }
    struct origin o = {0};
    bool from_ctx = find_origin(w->b, path, st, &o);
    cleanup_free char *msg = NULL, *fix = NULL;
    if (from_ctx) {
        cleanup_free char *line = ignore_line(o.ctx_path);
        const char *base = strrchr(o.ctx_path, '/');
        msg = xasprintf("%s is %s; it came from the build context ('%s'): the .dockerignore "
                        "line '%s' would exclude it",
                        path, what, o.ctx_path, line);
        fix = xasprintf("add '%s' (or '**/%s') to .dockerignore%s", line,
                        base ? base + 1 : o.ctx_path,
                        id == LINT_SECRET_LIKE_FILE_IN_IMAGE
                            ? " and pass the secret with RUN --mount=type=secret"
                            : "");
    } else {
        msg = xasprintf("%s is %s", path, what);
    }
    if (lint_result_add(w->r, id, from_ctx ? o.line : w->from_line, from_ctx ? o.line : 0, msg,
                        fix) == 0)
        w->reported[id]++;
    free(o.ctx_path);
}

static void check_entry(struct walk *w, const char *path, const char *name, const struct stat *st)
{
    if (!S_ISREG(st->st_mode))
        return;
    if ((st->st_mode & (S_ISUID | S_ISGID)) &&
        lint_result_enabled(w->r, LINT_SETUID_FILES_IN_IMAGE)) {
        bool u = st->st_mode & S_ISUID, g = st->st_mode & S_ISGID;
        uint32_t uid, gid; /* as the image has them, not kiln's view of the store */
        owners_in_container(w->b, st, &uid, &gid);
        cleanup_free char *what =
            xasprintf("%s (mode %04o, owner %u:%u)",
                      u && g ? "setuid and setgid"
                      : u    ? "setuid"
                             : "setgid",
                      (unsigned)(st->st_mode & 07777), (unsigned)uid, (unsigned)gid);
        report(w, LINT_SETUID_FILES_IN_IMAGE, path, st, what);
    }
    if (!lint_result_enabled(w->r, LINT_SECRET_LIKE_FILE_IN_IMAGE))
        return;
    const char *kind = secret_kind(w->v, path, name, st);
    if (kind)
        report(w, LINT_SECRET_LIKE_FILE_IN_IMAGE, path, st, kind);
}

static int walk_dir(struct walk *w, const char *dir, unsigned depth, kiln_error_t **err)
{
    char **names = NULL;
    size_t n = 0;
    if (depth > LINT_IMAGE_MAX_DEPTH || view_list(w->v, dir, &names, &n) < 0)
        return 0; /* an unreadable directory holds nothing the rules can see */
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (++w->entries > LINT_IMAGE_MAX_ENTRIES) {
            rc = kiln_err(err, KILN_ELIMIT, 0, "lint: the final image has more than %u files",
                          LINT_IMAGE_MAX_ENTRIES);
            break;
        }
        cleanup_free char *path =
            strcmp(dir, "/") == 0 ? xasprintf("/%s", names[i]) : xasprintf("%s/%s", dir, names[i]);
        struct stat st;
        if (strlen(path) >= VIEW_MAX_PATH || view_lstat(w->v, path, &st) < 0)
            continue;
        check_entry(w, path, names[i], &st);
        if (S_ISDIR(st.st_mode))
            rc = walk_dir(w, path, depth + 1, err);
    }
    strv_free(names);
    return rc;
}

/* InvalidBaseImagePlatform: a base image (a named context) whose config is for another
 * platform than the build's. */
static void base_platforms(struct build *b, struct lint_result *r)
{
    for (size_t i = 0; i < b->sched.nstages; i++) {
        struct build_stage *st = &b->sched.stages[i];
        const struct df_plan_stage *ps = &b->plan.p->stages[i];
        const char *base = ps->base_name;
        if (!st->img || !st->base_digest[0] || !st->base_ref || ps->base >= 0)
            continue;
        const char *os = json_string_value(json_object_get(st->img->config, "os"));
        const char *arch = json_string_value(json_object_get(st->img->config, "architecture"));
        if (!os || !arch ||
            (strcmp(os, b->platform.os) == 0 && strcmp(arch, b->platform.arch) == 0))
            continue;
        cleanup_free char *msg = xasprintf(
            "Base image %s was pulled with platform \"%s/%s\", expected \"%s/%s\" for current "
            "build",
            base, os, arch, b->platform.os, b->platform.arch);
        lint_result_add(r, LINT_INVALID_BASE_IMAGE_PLATFORM, st->df->from->line,
                        st->df->from->end_line, msg, NULL);
    }
}

static void overflow(struct walk *w)
{
    for (size_t id = 0; id < LINT_RULE_COUNT; id++) {
        if (!w->over[id])
            continue;
        cleanup_free char *msg = xasprintf("%zu more files (not listed)", w->over[id]);
        lint_result_add(w->r, (enum lint_rule_id)id, w->from_line, w->from_line, msg, NULL);
    }
}

int lint_image_check(struct build *b, struct build_stage *final, kiln_error_t **err)
{
    struct lint_opts o = opts_of(b);
    struct lint_result r;
    int rc = lint_result_init(b->input.df, &o, &r, err);
    if (rc < 0)
        return -1;
    struct walk w = {.b = b, .r = &r, .from_line = final->df->from->line};
    bool any = lint_result_enabled(&r, LINT_SETUID_FILES_IN_IMAGE) ||
               lint_result_enabled(&r, LINT_SECRET_LIKE_FILE_IN_IMAGE);
    if (any)
        rc = stage_view(b, final, &w.v, err) < 0 ? -1 : walk_dir(&w, "/", 0, err);
    if (rc == 0) {
        overflow(&w);
        base_platforms(b, &r);
        log_findings(b, &r);
        rc = fail_on_errors(b, &r, err);
    }
    lint_result_release(&r);
    return rc;
}
