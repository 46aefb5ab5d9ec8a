/* The instructions that change only the image config (and WORKDIR's directory), each in
 * BuildKit's semantics and with BuildKit's history text. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "buf.h"
#include "build.h"
#include "layer/layer_writer.h"
#include "util.h"

int vars_dispatch_arg(struct build *b, struct build_stage *st, const struct df_instr *in,
                      char **history, kiln_error_t **err);

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
        if (vars_expand(b, st, in->args[i], &k, err) < 0 ||
            vars_expand(b, st, in->args[i + 1], &v, err) < 0) {
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

static int do_env(struct build *b, struct build_stage *st, const struct df_instr *in,
                  kiln_error_t **err)
{
    cleanup_free char *text = xstrdup("ENV");
    for (size_t i = 0; i + 1 < in->nargs; i += 2) {
        /* each pair sees the ones before it on the same line */
        cleanup_strv char **one = NULL;
        size_t m = 0;
        struct df_instr part = *in;
        part.args = &in->args[i];
        part.nargs = 2;
        if (expand_pairs(b, st, &part, &one, &m, err) < 0)
            return -1;
        image_env_set(st->img, one[0], one[1]);
        char *t = xasprintf("%s %s=%s", text, one[0], one[1]);
        free(text);
        text = t;
    }
    history(b, st, text);
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
    if (vars_dispatch_arg(b, st, in, &text, err) < 0)
        return -1;
    history(b, st, text);
    return 0;
}

static int expand_one(struct build *b, struct build_stage *st, const struct df_instr *in,
                      char **out, kiln_error_t **err)
{
    if (in->nargs != 1)
        return instr_err(b, in, err, KILN_EINPUT, "requires exactly one argument");
    if (vars_expand(b, st, in->args[0], out, err) < 0)
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

/* Go's strconv.Quote, enough for history text. */
static void go_quote(struct buf *o, const char *s)
{
    buf_addch(o, '"', NULL);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        static const char esc[] = "\a\b\f\n\r\t\v";
        static const char rep[] = "abfnrtv";
        const char *e = *p ? strchr(esc, *p) : NULL;
        if (*p == '"' || *p == '\\')
            buf_addf(o, NULL, "\\%c", *p);
        else if (e)
            buf_addf(o, NULL, "\\%c", rep[e - esc]);
        else if (*p < 0x20 || *p == 0x7f)
            buf_addf(o, NULL, "\\x%02x", *p);
        else
            buf_addch(o, (char)*p, NULL);
    }
    buf_addch(o, '"', NULL);
}

/* fmt "%q" (quote = true) or "%v" of a []string. */
static char *go_strings(const char *prefix, char *const *v, size_t n, bool quote)
{
    cleanup_buf struct buf o = BUF_INIT(SIZE_MAX / 2);
    buf_addf(&o, NULL, "%s[", prefix);
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_addch(&o, ' ', NULL);
        if (quote)
            go_quote(&o, v[i]);
        else
            buf_addstr(&o, v[i], NULL);
    }
    buf_addch(&o, ']', NULL);
    return buf_detach(&o);
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
        if (vars_expand(b, st, in->args[i], &v, err) < 0)
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

static int port_number(const char *s, uint64_t *out)
{
    return parse_u64(s, 65535, out) == 0 && *out > 0 ? 0 : -1;
}

/* "80", "80/tcp", "8000-8010/udp", or the host-mapping forms whose container part is used. */
static int parse_port(const char *raw, char ***out, size_t *n)
{
    cleanup_free char *s = xstrdup(raw);
    char *slash = strrchr(s, '/');
    const char *proto = "tcp";
    if (slash) {
        *slash = '\0';
        proto = slash + 1;
    }
    char *colon = strrchr(s, ':');
    char *port = colon ? colon + 1 : s;
    char *dash = strchr(port, '-');
    if (dash)
        *dash = '\0';
    uint64_t lo, hi;
    if (port_number(port, &lo) < 0 || (dash && port_number(dash + 1, &hi) < 0) || !*proto)
        return -1;
    if (!dash)
        hi = lo;
    if (hi < lo || hi - lo > 65535)
        return -1;
    cleanup_free char *p = xstrdup(proto);
    str_lower(p);
    for (uint64_t i = lo; i <= hi; i++)
        strv_push(out, n, xasprintf("%llu/%s", (unsigned long long)i, p));
    return 0;
}

static int do_expose(struct build *b, struct build_stage *st, const struct df_instr *in,
                     kiln_error_t **err)
{
    cleanup_strv char **ports = NULL;
    size_t n = 0;
    for (size_t i = 0; i < in->nargs; i++) {
        cleanup_strv char **words = NULL;
        size_t nw;
        if (vars_expand_words(b, st, in->args[i], &words, &nw, err) < 0)
            return instr_wrap(b, in, err);
        for (size_t k = 0; k < nw; k++)
            if (parse_port(words[k], &ports, &n) < 0)
                return instr_err(b, in, err, KILN_EINPUT, "invalid port: \"%s\"", words[k]);
    }
    json_t *cfg = image_cfg(st->img);
    json_t *obj = json_object_get(cfg, "ExposedPorts");
    if (!json_is_object(obj)) {
        obj = json_object();
        json_object_set_new(cfg, "ExposedPorts", obj);
    }
    for (size_t i = 0; i < n; i++)
        json_object_set_new(obj, ports[i], json_object());
    cleanup_free char *text = go_strings("EXPOSE ", ports, n, false);
    history(b, st, text);
    return 0;
}

/* Go's time.ParseDuration for the units HEALTHCHECK uses; nanoseconds. */
static int parse_duration(const char *s, int64_t *ns)
{
    static const struct {
        const char *unit;
        double mult;
    } units[] = {{"ns", 1},  {"us", 1e3}, {"µs", 1e3},  {"ms", 1e6},
                 {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
    double total = 0;
    if (!strcmp(s, "0")) {
        *ns = 0;
        return 0;
    }
    while (*s) {
        char *end;
        double v = strtod(s, &end);
        if (end == s || v < 0)
            return -1;
        size_t best = 0, bestlen = 0;
        for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
            size_t l = strlen(units[i].unit);
            if (!strncmp(end, units[i].unit, l) && l > bestlen)
                best = i, bestlen = l;
        }
        if (!bestlen)
            return -1;
        total += v * units[best].mult;
        s = end + bestlen;
    }
    if (total > 9.2e18)
        return -1;
    *ns = (int64_t)total;
    return 0;
}

/* Go's time.Duration.String, for history text. */
static void go_duration(struct buf *o, int64_t ns)
{
    if (ns == 0) {
        buf_addstr(o, "0s", NULL);
    } else if (ns < 1000000000 && ns % 1000000 == 0) {
        buf_addf(o, NULL, "%lldms", (long long)(ns / 1000000));
    } else {
        int64_t s = ns / 1000000000, h = s / 3600, m = (s % 3600) / 60;
        if (h)
            buf_addf(o, NULL, "%lldh", (long long)h);
        if (h || m)
            buf_addf(o, NULL, "%lldm", (long long)m);
        buf_addf(o, NULL, "%llds", (long long)(s % 60));
    }
}

static const char *const health_flags[] = {"interval", "timeout", "start-period", "start-interval"};
static const char *const health_keys[] = {"Interval", "Timeout", "StartPeriod", "StartInterval"};

static int health_options(struct build *b, const struct df_instr *in, json_t *hc, int64_t d[4],
                          uint64_t *retries, kiln_error_t **err)
{
    for (size_t i = 0; i < in->nflags; i++) {
        const struct df_flag *f = &in->flags[i];
        size_t k = 0;
        while (k < 4 && strcmp(f->name, health_flags[k]))
            k++;
        if (k < 4) {
            if (!f->value || parse_duration(f->value, &d[k]) < 0)
                return instr_err(b, in, err, KILN_EINPUT, "invalid duration for --%s: '%s'",
                                 f->name, f->value ? f->value : "");
            if (d[k] && d[k] < 1000000)
                return instr_err(b, in, err, KILN_EINPUT, "%s cannot be less than 1ms",
                                 health_keys[k]);
            if (d[k])
                json_object_set_new(hc, health_keys[k], json_integer(d[k]));
        } else if (!strcmp(f->name, "retries")) {
            if (!f->value || parse_u64(f->value, INT32_MAX, retries) < 0)
                return instr_err(b, in, err, KILN_EINPUT, "invalid --retries '%s'",
                                 f->value ? f->value : "");
            if (*retries)
                json_object_set_new(hc, "Retries", json_integer((json_int_t)*retries));
        } else {
            return instr_err(b, in, err, KILN_EINPUT, "unknown flag: --%s", f->name);
        }
    }
    return 0;
}

static int do_healthcheck(struct build *b, struct build_stage *st, const struct df_instr *in,
                          kiln_error_t **err)
{
    json_t *hc = json_object();
    int64_t d[4] = {0};
    uint64_t retries = 0;
    size_t n = 0;
    cleanup_strv char **test = NULL;
    const char *kind = in->nargs ? in->args[0] : "";
    if (!strcasecmp(kind, "NONE")) {
        strv_push(&test, &n, xstrdup("NONE"));
    } else if (!strcasecmp(kind, "CMD") && in->nargs > 1) {
        if (health_options(b, in, hc, d, &retries, err) < 0) {
            json_decref(hc);
            return -1;
        }
        size_t m;
        cleanup_strv char **args = command_args(st, in, 1, &m);
        strv_push(&test, &n, xstrdup(in->json ? "CMD" : "CMD-SHELL"));
        for (size_t i = in->json ? 0 : m - 1; i < m; i++)
            strv_push(&test, &n, xstrdup(args[i]));
    } else {
        json_decref(hc);
        return instr_err(b, in, err, KILN_EINPUT, "Unknown type \"%s\" in HEALTHCHECK (try CMD)",
                         kind);
    }
    json_object_set_new(hc, "Test", strv_json(test, n));
    json_object_set_new(image_cfg(st->img), "Healthcheck", hc);
    cleanup_buf struct buf t = BUF_INIT(SIZE_MAX / 2);
    cleanup_free char *tv = go_strings("HEALTHCHECK {Test:", test, n, false);
    buf_addstr(&t, tv, NULL);
    for (int k = 0; k < 4; k++) {
        buf_addf(&t, NULL, " %s:", health_keys[k]);
        go_duration(&t, d[k]);
    }
    buf_addf(&t, NULL, " Retries:%llu}", (unsigned long long)retries);
    history(b, st, buf_str(&t));
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
    if (dest_resolve(v, wd, &real) < 0)
        return instr_err(b, in, err, KILN_EINPUT, "cannot resolve '%s': %s", wd, strerror(errno));
    cleanup_layer_writer struct layer_writer *w = NULL;
    if (layer_writer_new(b->store, LAYER_GZIP, b->o->output.compression_level, b->epoch, &w, err) <
        0)
        return -1;
    layer_writer_scan(w, build_scanner(b), st->img->nlayers + 1);
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
            build_container_owner(b, &sst, &e.uid, &e.gid);
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
    [DF_ADD] = dispatch_copy,  [DF_ARG] = do_arg,
    [DF_CMD] = do_cmd,         [DF_COPY] = dispatch_copy,
    [DF_ENTRYPOINT] = do_cmd,  [DF_ENV] = do_env,
    [DF_EXPOSE] = do_expose,   [DF_HEALTHCHECK] = do_healthcheck,
    [DF_LABEL] = do_label,     [DF_MAINTAINER] = do_maintainer,
    [DF_ONBUILD] = do_onbuild, [DF_RUN] = dispatch_run,
    [DF_SHELL] = do_shell,     [DF_STOPSIGNAL] = do_stopsignal,
    [DF_USER] = do_user,       [DF_VOLUME] = do_volume,
    [DF_WORKDIR] = do_workdir,
};

dispatch_fn dispatch_lookup(enum df_cmd cmd)
{
    return (unsigned)cmd < DF_CMD_COUNT ? dispatch_table[cmd] : NULL;
}
