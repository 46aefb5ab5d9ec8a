/* The dispatch table (dispatch.h), and the instructions that change only the image config (and
 * WORKDIR's directory), each in BuildKit's semantics and with BuildKit's history text. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "build.h"
#include "buf.h"
#include "copy.h"
#include "dispatch.h"
#include "instr.h"
#include "json.h"
#include "owners.h"
#include "users.h"
#include "layer/layer_writer.h"
#include "util.h"

#define GO_DURATION_MAX 32 /* Go's longest Duration.String, "-2562047h47m16.854775808s" */

static void history(struct build *b, struct build_stage *st, const char *text)
{
    image_add_history(st->img, text, true, b->epoch);
}

/* ENV and LABEL: key/value pairs, both expanded. */
static int expand_pairs(struct build *b, struct build_stage *st, const struct df_instr *in,
                        char ***kv, size_t *n, kiln_error_t **err)
{
    for (size_t i = 0; i + 1 < in->nargs; i += 2) {
        char *k = NULL, *v = NULL;
        if (df_scope_expand(&st->scope, in->args[i], &k, err) < 0 ||
            df_scope_expand(&st->scope, in->args[i + 1], &v, err) < 0) {
            free(k);
            return instr_wrap(b, in, err);
        }
        strv_push(kv, n, k);
        strv_push(kv, n, v);
        if (!*k)
            return instr_err(b, in, err, KILN_EINPUT, "%s names can not be blank",
                             df_cmd_name(in->cmd));
    }
    return 0;
}

/* The frontend's scope applies ENV (frontend/expand.h: every pair expanded with the variables
 * from before the instruction); the config gets the pairs. */
static int do_env(struct build *b, struct build_stage *st, const struct df_instr *in,
                  kiln_error_t **err)
{
    cleanup_strv char **kv = NULL;
    size_t n = 0;
    if (df_scope_apply_env(&st->scope, in, &kv, &n, err) < 0)
        return instr_wrap(b, in, err);
    cleanup_buf struct buf text = BUF_INIT(DF_MAX_HISTORY);
    if (buf_addstr(&text, "ENV", err) < 0)
        return instr_wrap(b, in, err);
    for (size_t i = 0; i + 1 < n; i += 2) {
        image_env_set(st->img, kv[i], kv[i + 1]);
        if (buf_addf(&text, err, " %s=%s", kv[i], kv[i + 1]) < 0)
            return instr_wrap(b, in, err);
    }
    history(b, st, buf_str(&text));
    return 0;
}

static int do_label(struct build *b, struct build_stage *st, const struct df_instr *in,
                    kiln_error_t **err)
{
    cleanup_strv char **kv = NULL;
    size_t n = 0;
    if (expand_pairs(b, st, in, &kv, &n, err) < 0)
        return -1;
    json_t *cfg = image_cfg(st->img);
    json_t *labels = json_object_get(cfg, "Labels");
    if (!json_is_object(labels)) {
        labels = json_object();
        json_object_set_new(cfg, "Labels", labels);
    }
    cleanup_free char *text = xstrdup("LABEL");
    for (size_t i = 0; i + 1 < n; i += 2) {
        json_object_set_new(labels, kv[i], json_string(kv[i + 1]));
        char *t = xasprintf("%s %s=%s", text, kv[i], kv[i + 1]);
        free(text);
        text = t;
    }
    history(b, st, text);
    return 0;
}

static int do_arg(struct build *b, struct build_stage *st, const struct df_instr *in,
                  kiln_error_t **err)
{
    cleanup_free char *text = NULL;
    if (df_scope_apply_arg(&st->scope, in, &text, err) < 0)
        return instr_wrap(b, in, err);
    history(b, st, text);
    return 0;
}

static int expand_one(struct build *b, struct build_stage *st, const struct df_instr *in,
                      char **out, kiln_error_t **err)
{
    if (in->nargs != 1)
        return instr_err(b, in, err, KILN_EINPUT, "requires exactly one argument");
    if (df_scope_expand(&st->scope, in->args[0], out, err) < 0)
        return instr_wrap(b, in, err);
    return 0;
}

static int do_user(struct build *b, struct build_stage *st, const struct df_instr *in,
                   kiln_error_t **err)
{
    cleanup_free char *user = NULL;
    if (expand_one(b, st, in, &user, err) < 0)
        return -1;
    json_object_set_new(image_cfg(st->img), "User", json_string(user));
    st->user_line = in->line;
    cleanup_free char *text = xasprintf("USER %s", user);
    history(b, st, text);
    return 0;
}

static int do_stopsignal(struct build *b, struct build_stage *st, const struct df_instr *in,
                         kiln_error_t **err)
{
    cleanup_free char *sig = NULL;
    if (expand_one(b, st, in, &sig, err) < 0)
        return -1;
    uint64_t num;
    const char *name = str_has_prefix(sig, "SIG") ? sig + 3 : sig;
    bool ok = parse_u64(sig, 64, &num) == 0 && num > 0;
    for (int s = 1; !ok && s < NSIG; s++) {
        const char *abbrev = sigabbrev_np(s);
        ok = abbrev && !strcmp(abbrev, name);
    }
    if (!ok)
        return instr_err(b, in, err, KILN_EINPUT, "Invalid signal: %s", sig);
    json_object_set_new(image_cfg(st->img), "StopSignal", json_string(sig));
    cleanup_free char *text = xasprintf("STOPSIGNAL %s", sig);
    history(b, st, text);
    return 0;
}

static int do_maintainer(struct build *b, struct build_stage *st, const struct df_instr *in,
                         kiln_error_t **err)
{
    cleanup_free char *who = NULL;
    if (expand_one(b, st, in, &who, err) < 0)
        return -1;
    json_object_set_new(st->img->config, "author", json_string(who));
    cleanup_free char *text = xasprintf("MAINTAINER %s", who);
    history(b, st, text);
    return 0;
}

static int do_onbuild(struct build *b, struct build_stage *st, const struct df_instr *in,
                      kiln_error_t **err)
{
    (void)b;
    (void)err;
    json_t *cfg = image_cfg(st->img);
    json_t *ob = json_object_get(cfg, "OnBuild");
    if (!json_is_array(ob)) {
        ob = json_array();
        json_object_set_new(cfg, "OnBuild", ob);
    }
    json_array_append_new(ob, json_string(in->args[0]));
    return 0; /* BuildKit records no history for ONBUILD */
}

/* Go's strconv.Quote of s, enough for history text, written at out + n when out is not NULL;
 * returns n plus its length (so a first pass with out NULL sizes the second). */
static size_t go_quote(char *out, size_t n, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[4];
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)s;; p++) {
        static const char esc[] = "\a\b\f\n\r\t\v";
        static const char rep[] = "abfnrtv";
        const char *e = *p ? strchr(esc, *p) : NULL;
        k = 0;
        if (p == (const unsigned char *)s)
            tmp[k++] = '"';
        if (!*p) {
            tmp[k++] = '"';
        } else if (*p == '"' || *p == '\\' || e) {
            tmp[k++] = '\\';
            tmp[k++] = e ? rep[e - esc] : (char)*p;
        } else if (*p < 0x20 || *p == 0x7f) {
            tmp[k++] = '\\';
            tmp[k++] = 'x';
            tmp[k++] = hex[*p >> 4];
            tmp[k++] = hex[*p & 15];
        } else {
            tmp[k++] = (char)*p;
        }
        if (out)
            memcpy(out + n, tmp, k);
        n += k;
        if (!*p)
            return n;
    }
}

/* The same for a word as it is. */
static size_t go_plain(char *out, size_t n, const char *s)
{
    size_t l = strlen(s);
    if (out)
        memcpy(out + n, s, l);
    return n + l;
}

/* fmt "%q" (quote = true) or "%v" of a []string, after prefix. */
static size_t go_list(char *out, const char *prefix, char *const *v, size_t n, bool quote)
{
    size_t o = go_plain(out, 0, prefix);
    o = go_plain(out, o, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            o = go_plain(out, o, " ");
        o = quote ? go_quote(out, o, v[i]) : go_plain(out, o, v[i]);
    }
    return go_plain(out, o, "]");
}

/* Sized by a first pass, so it is exactly as long as it needs to be: nothing to cut. */
static char *go_strings(const char *prefix, char *const *v, size_t n, bool quote)
{
    size_t len = go_list(NULL, prefix, v, n, quote);
    char *out = xmalloc(len + 1);
    go_list(out, prefix, v, n, quote);
    out[len] = '\0';
    return out;
}

static json_t *strv_json(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

/* CMD/ENTRYPOINT/HEALTHCHECK command: JSON as written, shell form through SHELL. */
static char **command_args(struct build_stage *st, const struct df_instr *in, size_t first,
                           size_t *n)
{
    size_t rest = in->nargs > first ? in->nargs - first : 0;
    char *script = in->json ? NULL : xstrdup(rest ? in->args[first] : "");
    return image_command(st->img, in->json, in->args + first, rest, script, n);
}

static int do_cmd(struct build *b, struct build_stage *st, const struct df_instr *in,
                  kiln_error_t **err)
{
    (void)err;
    size_t n;
    cleanup_strv char **args = command_args(st, in, 0, &n);
    json_t *cfg = image_cfg(st->img);
    bool entry = in->cmd == DF_ENTRYPOINT;
    json_object_set_new(cfg, entry ? "Entrypoint" : "Cmd", strv_json(args, n));
    if (entry && !st->cmd_set)
        json_object_del(cfg, "Cmd");
    if (!entry) {
        json_object_set_new(cfg, "ArgsEscaped", json_true());
        st->cmd_set = true;
    }
    cleanup_free char *text = go_strings(entry ? "ENTRYPOINT " : "CMD ", args, n, true);
    history(b, st, text);
    return 0;
}

static int do_shell(struct build *b, struct build_stage *st, const struct df_instr *in,
                    kiln_error_t **err)
{
    if (!in->json)
        return instr_err(b, in, err, KILN_EINPUT,
                         "SHELL requires the arguments to be in JSON form");
    if (in->nargs == 0)
        return instr_err(b, in, err, KILN_EINPUT, "SHELL requires at least one argument");
    json_object_set_new(image_cfg(st->img), "Shell", strv_json(in->args, in->nargs));
    cleanup_free char *text = go_strings("SHELL ", in->args, in->nargs, false);
    history(b, st, text);
    return 0;
}

static int do_volume(struct build *b, struct build_stage *st, const struct df_instr *in,
                     kiln_error_t **err)
{
    cleanup_strv char **vols = NULL;
    size_t n = 0;
    for (size_t i = 0; i < in->nargs; i++) {
        char *v = NULL;
        if (df_scope_expand(&st->scope, in->args[i], &v, err) < 0)
            return instr_wrap(b, in, err);
        strv_push(&vols, &n, v);
        if (!*v)
            return instr_err(b, in, err, KILN_EINPUT,
                             "VOLUME specified can not be an empty string");
    }
    json_t *cfg = image_cfg(st->img);
    json_t *obj = json_object_get(cfg, "Volumes");
    if (!json_is_object(obj)) {
        obj = json_object();
        json_object_set_new(cfg, "Volumes", obj);
    }
    for (size_t i = 0; i < n; i++)
        json_object_set_new(obj, vols[i], json_object());
    cleanup_free char *text = go_strings("VOLUME ", vols, n, false);
    history(b, st, text);
    return 0;
}

/* Each word expanded and split (BuildKit's ProcessWords), each port spec parsed by the frontend
 * (df_expose_parse: BuildKit's words for a bad one, ranges unrolled). */
static int expose_word(struct build *b, struct build_stage *st, const struct df_instr *in,
                       const char *word, json_t *obj, struct buf *text, kiln_error_t **err)
{
    cleanup_strv char **words = NULL;
    size_t nw = 0;
    if (df_scope_expand_words(&st->scope, word, &words, &nw, err) < 0)
        return instr_wrap(b, in, err);
    for (size_t k = 0; k < nw; k++) {
        cleanup_strv char **ports = NULL;
        size_t n = 0;
        if (df_expose_parse(words[k], &ports, &n, err) < 0)
            return instr_wrap(b, in, err);
        for (size_t p = 0; p < n; p++) {
            json_object_set_new(obj, ports[p], json_object());
            if (buf_addf(text, err, "%s%s", text->len > 8 ? " " : "", ports[p]) < 0)
                return instr_wrap(b, in, err);
        }
    }
    return 0;
}

static int do_expose(struct build *b, struct build_stage *st, const struct df_instr *in,
                     kiln_error_t **err)
{
    json_t *cfg = image_cfg(st->img);
    json_t *obj = json_object_get(cfg, "ExposedPorts");
    if (!json_is_object(obj)) {
        obj = json_object();
        json_object_set_new(cfg, "ExposedPorts", obj);
    }
    cleanup_buf struct buf text = BUF_INIT(DF_MAX_HISTORY);
    if (buf_addstr(&text, "EXPOSE [", err) < 0) /* fmt's %v of a []string */
        return instr_wrap(b, in, err);
    for (size_t i = 0; i < in->nargs; i++)
        if (expose_word(b, st, in, in->args[i], obj, &text, err) < 0)
            return -1;
    if (buf_addch(&text, ']', err) < 0)
        return instr_wrap(b, in, err);
    history(b, st, buf_str(&text));
    return 0;
}

/* Go's time.Duration.String, for history text (at most "2562047h47m16s"). */
static void go_duration(char out[GO_DURATION_MAX], int64_t ns)
{
    if (ns == 0) {
        snprintf(out, GO_DURATION_MAX, "0s");
    } else if (ns < 1000000000 && ns % 1000000 == 0) {
        snprintf(out, GO_DURATION_MAX, "%lldms", (long long)(ns / 1000000));
    } else {
        long long s = ns / 1000000000, h = s / 3600, m = (s % 3600) / 60;
        if (h)
            snprintf(out, GO_DURATION_MAX, "%lldh%lldm%llds", h, m, s % 60);
        else if (m)
            snprintf(out, GO_DURATION_MAX, "%lldm%llds", m, s % 60);
        else
            snprintf(out, GO_DURATION_MAX, "%llds", s % 60);
    }
}

static const char *const health_keys[] = {"Interval", "Timeout", "StartPeriod", "StartInterval"};

/* HEALTHCHECK as the frontend parsed it (struct df_healthcheck: BuildKit's parseHealthcheck,
 * durations and retries checked there). */
static int do_healthcheck(struct build *b, struct build_stage *st, const struct df_instr *in,
                          kiln_error_t **err)
{
    const struct df_healthcheck *h = in->health;
    if (!h)
        return instr_err(b, in, err, KILN_EINTERNAL, "HEALTHCHECK not parsed");
    const int64_t d[4] = {h->interval, h->timeout, h->start_period, h->start_interval};
    cleanup_json json_t *hc = json_object();
    json_object_set_new(hc, "Test", strv_json(h->test, h->ntest));
    for (int k = 0; k < 4; k++)
        if (d[k])
            json_object_set_new(hc, health_keys[k], json_integer(d[k]));
    if (h->retries)
        json_object_set_new(hc, "Retries", json_integer(h->retries));
    json_object_set(image_cfg(st->img), "Healthcheck", hc);
    cleanup_free char *tv = go_strings("HEALTHCHECK {Test:", h->test, h->ntest, false);
    char dur[4][GO_DURATION_MAX];
    for (int k = 0; k < 4; k++)
        go_duration(dur[k], d[k]);
    cleanup_free char *text = xasprintf("%s %s:%s %s:%s %s:%s %s:%s Retries:%d}", tv,
                                        health_keys[0], dur[0], health_keys[1], dur[1],
                                        health_keys[2], dur[2], health_keys[3], dur[3], h->retries);
    history(b, st, text);
    return 0;
}

/* Writes a layer holding the directories of wd that do not exist yet (owner: the current USER,
 * as BuildKit's mkdir does) and, before them, their existing parents as they are; when every
 * directory exists the step is recorded as an empty layer. */
static int workdir_layer(struct build *b, struct build_stage *st, const struct df_instr *in,
                         const char *wd, kiln_error_t **err)
{
    struct view *v;
    if (stage_view(b, st, &v, err) < 0)
        return instr_wrap(b, in, err);
    uint32_t uid = 0, gid = 0;
    const char *user = image_cfg_string(st->img, "User");
    if (user && *user && users_resolve(v, user, false, &uid, &gid, err) < 0)
        return instr_wrap(b, in, err);
    cleanup_free char *real = NULL;
    if (copy_dest_resolve(v, wd, &real) < 0)
        return instr_err(b, in, err, KILN_EINPUT, "cannot resolve '%s': %s", wd, strerror(errno));
    cleanup_layer_writer struct layer_writer *w = NULL;
    if (layer_writer_new(b->store, layer_compression_of(b->o->output.compression),
                         b->o->output.compression_level, b->epoch, &w, err) < 0)
        return -1;
    layer_writer_scan(w, leakcheck_scanner(b), st->img->nlayers + 1);
    size_t created = 0;
    for (char *p = strchr(real + 1, '/');; p = strchr(p + 1, '/')) {
        if (p)
            *p = '\0';
        struct stat sst;
        struct layer_entry e = {
            .path = real + 1, .mode = S_IFDIR | 0755, .uid = uid, .gid = gid, .fd = -1};
        if (view_stat(v, real, &sst) == 0 && !S_ISDIR(sst.st_mode))
            return instr_err(b, in, err, KILN_EINPUT, "'%s' exists and is not a directory", real);
        bool exists = view_stat(v, real, &sst) == 0;
        if (exists) { /* a parent as the image has it, as BuildKit's layers carry them */
            e.mode = S_IFDIR | (sst.st_mode & 07777);
            owners_in_container(b, &sst, &e.uid, &e.gid);
        }
        if (layer_writer_add(w, &e, err) < 0)
            return instr_wrap(b, in, err);
        created += !exists;
        if (!p)
            break;
        *p = '/';
    }
    struct layer_result r;
    if (layer_writer_finish(steal_ptr(w), &r, err) < 0)
        return instr_wrap(b, in, err);
    cleanup_free char *text = xasprintf("WORKDIR %s", wd);
    image_add_history(st->img, text, created == 0, b->epoch);
    return created ? stage_add_layer(b, st, r.digest, r.diff_id, r.size, r.media_type, err) : 0;
}

static int do_workdir(struct build *b, struct build_stage *st, const struct df_instr *in,
                      kiln_error_t **err)
{
    cleanup_free char *path = NULL;
    if (expand_one(b, st, in, &path, err) < 0)
        return -1;
    const char *cur = image_cfg_string(st->img, "WorkingDir");
    cleanup_free char *joined =
        path[0] == '/' ? xstrdup(path) : xasprintf("/%s/%s", cur ? cur : "", path);
    cleanup_free char *wd = path_clean(joined);
    json_object_set_new(image_cfg(st->img), "WorkingDir", json_string(wd));
    if (!strcmp(wd, "/")) {
        history(b, st, "WORKDIR /");
        return 0;
    }
    return workdir_layer(b, st, in, wd, err);
}

static const dispatch_fn dispatch_table[DF_CMD_COUNT] = {
    [DF_ADD] = copy_instr,     [DF_ARG] = do_arg,
    [DF_CMD] = do_cmd,         [DF_COPY] = copy_instr,
    [DF_ENTRYPOINT] = do_cmd,  [DF_ENV] = do_env,
    [DF_EXPOSE] = do_expose,   [DF_HEALTHCHECK] = do_healthcheck,
    [DF_LABEL] = do_label,     [DF_MAINTAINER] = do_maintainer,
    [DF_ONBUILD] = do_onbuild, [DF_RUN] = run_instr,
    [DF_SHELL] = do_shell,     [DF_STOPSIGNAL] = do_stopsignal,
    [DF_USER] = do_user,       [DF_VOLUME] = do_volume,
    [DF_WORKDIR] = do_workdir,
};

dispatch_fn dispatch_lookup(enum df_cmd cmd)
{
    return (unsigned)cmd < DF_CMD_COUNT ? dispatch_table[cmd] : NULL;
}
