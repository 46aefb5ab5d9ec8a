/* kiln build: options (table-driven, Docker/BuildKit-compatible names) into kiln_build(). */
#include <stdio.h>
#include <string.h>

#include "build_cli.h"
#include "cli.h"
#include "commands.h"
#include "util.h"

#define CLI_MAX_REPEAT 4096 /* occurrences of one repeatable flag */

typedef int (*opt_fn)(struct build_cli *c, const char *v, kiln_error_t **err);

static int bad(kiln_error_t **err, const char *flag, const char *v, const char *want)
{
    return kiln_err(err, KILN_EUSAGE, 0, "invalid value '%s' for %s: %s", v, flag, want);
}

static int push_kv(struct kiln_kv **kv, size_t *n, const char *v, bool need_eq, const char *flag,
                   kiln_error_t **err)
{
    const char *eq = strchr(v, '=');
    if ((need_eq && !eq) || eq == v || !*v)
        return bad(err, flag, v, "expected KEY=VALUE");
    if (*n >= CLI_MAX_REPEAT)
        return kiln_err(err, KILN_EUSAGE, 0, "too many %s flags", flag);
    *kv = xrealloc(*kv, (*n + 1) * sizeof(**kv));
    (*kv)[(*n)++] = (struct kiln_kv){eq ? xstrndup(v, (size_t)(eq - v)) : xstrdup(v),
                                     eq ? xstrdup(eq + 1) : NULL};
    return 0;
}

static int opt_file(struct build_cli *c, const char *v, kiln_error_t **err)
{
    (void)err;
    c->o.dockerfile = v;
    return 0;
}

static int opt_tag(struct build_cli *c, const char *v, kiln_error_t **err)
{
    if (!*v)
        return bad(err, "--tag", v, "expected NAME[:TAG]");
    strv_push(&c->o.tags, &c->o.ntags, xstrdup(v));
    return 0;
}

static int opt_build_arg(struct build_cli *c, const char *v, kiln_error_t **err)
{
    return push_kv(&c->o.build_args, &c->o.nbuild_args, v, false, "--build-arg", err);
}

static int opt_label(struct build_cli *c, const char *v, kiln_error_t **err)
{
    return push_kv(&c->o.labels, &c->o.nlabels, v, true, "--label", err);
}

static int opt_annotation(struct build_cli *c, const char *v, kiln_error_t **err)
{
    return push_kv(&c->o.annotations, &c->o.nannotations, v, true, "--annotation", err);
}

/* DIR[:TAG][@DIGEST] as buildx splits it: the digest after the first '@', the tag after the
 * first ':' before it (tags that umoci and skopeo write hold ':', e.g. busybox:1), so DIR cannot
 * hold either. A digest names the image whatever the tag says. */
static int split_layout_ref(const char *p, struct kiln_named_context *nc)
{
    const char *at = strchr(p, '@');
    if (at && !str_has_prefix(at + 1, "sha256:"))
        return -1;
    size_t n = at ? (size_t)(at - p) : strlen(p);
    const char *colon = memchr(p, ':', n);
    nc->path = xstrndup(p, colon ? (size_t)(colon - p) : n);
    if (at)
        nc->ref = xstrdup(at + 1);
    else if (colon)
        nc->ref = xstrdup(colon + 1);
    return 0;
}

static int opt_build_context(struct build_cli *c, const char *v, kiln_error_t **err)
{
    const char *eq = strchr(v, '=');
    if (!eq || eq == v || !eq[1])
        return bad(err, "--build-context", v,
                   "expected NAME=DIR or NAME=oci-layout://DIR[:TAG|@sha256:...]");
    struct kiln_named_context nc = {.name = xstrndup(v, (size_t)(eq - v))};
    const char *val = eq + 1;
    if (str_has_prefix(val, "oci-layout://")) {
        nc.type = KILN_CONTEXT_OCI_LAYOUT;
        if (split_layout_ref(val + strlen("oci-layout://"), &nc) < 0) {
            free(nc.name);
            return bad(err, "--build-context", v, "expected oci-layout://DIR[:TAG][@sha256:...]");
        }
    } else if (str_has_prefix(val, "docker-image://")) {
        nc.type = KILN_CONTEXT_DOCKER_IMAGE;
        nc.path = xstrdup(val + strlen("docker-image://"));
    } else if (strstr(val, "://")) {
        free(nc.name);
        return kiln_err(err, KILN_EUNSUPPORTED, 0,
                        "--build-context %s: only directories and oci-layout:// are supported yet",
                        v);
    } else {
        nc.type = KILN_CONTEXT_DIR;
        nc.path = xstrdup(val);
    }
    if (!*nc.path || (nc.ref && !*nc.ref)) {
        free(nc.name), free(nc.path), free(nc.ref);
        return bad(err, "--build-context", v, "empty path or reference");
    }
    c->o.contexts = xrealloc(c->o.contexts, (c->o.ncontexts + 1) * sizeof(nc));
    c->o.contexts[c->o.ncontexts++] = nc;
    return 0;
}

static int opt_output(struct build_cli *c, const char *v, kiln_error_t **err)
{
    return cli_output_parse(c, v, err);
}

static int opt_push_load(struct build_cli *c, const char *v, kiln_error_t **err)
{
    (void)v, (void)err;
    if (!strcmp(c->flag, "push"))
        c->push = true;
    else
        c->load = true;
    return 0;
}

static int opt_quiet(struct build_cli *c, const char *v, kiln_error_t **err)
{
    (void)v, (void)err;
    if (!strcmp(c->flag, "check"))
        c->check = true;
    else
        c->quiet = true;
    return 0;
}

static int opt_result_file(struct build_cli *c, const char *v, kiln_error_t **err)
{
    if (!*v)
        return bad(err, !strcmp(c->flag, "iidfile") ? "--iidfile" : "--metadata-file", v,
                   "expected a file");
    if (!strcmp(c->flag, "iidfile"))
        c->report.iidfile = v;
    else
        c->report.metadata_file = v;
    return 0;
}

static int opt_registry_ca(struct build_cli *c, const char *v, kiln_error_t **err)
{
    if (!*v)
        return bad(err, "--registry-ca", v, "expected a PEM file");
    c->o.registry.ca_file = v;
    return 0;
}

static int opt_insecure_registry(struct build_cli *c, const char *v, kiln_error_t **err)
{
    if (!*v || strchr(v, '/'))
        return bad(err, "--insecure-registry", v, "expected HOST[:PORT]");
    if (c->o.registry.ninsecure >= KILN_MAX_INSECURE_REGISTRIES)
        return kiln_err(err, KILN_EUSAGE, 0, "too many --insecure-registry flags");
    c->insecure[c->o.registry.ninsecure++] = v;
    return 0;
}

static int opt_root(struct build_cli *c, const char *v, kiln_error_t **err)
{
    if (!*v)
        return bad(err, "--root", v, "expected a directory");
    c->o.root = v;
    return 0;
}

static int opt_target(struct build_cli *c, const char *v, kiln_error_t **err)
{
    (void)err;
    c->o.target = v;
    return 0;
}

static const char *const progress_names[] = {"auto", "plain", "tty", "quiet", "json"};

static int opt_progress(struct build_cli *c, const char *v, kiln_error_t **err)
{
    for (size_t i = 0; i < ARRAY_SIZE(progress_names); i++)
        if (!strcmp(v, progress_names[i]))
            return c->progress = (enum kiln_progress_mode)i, c->progress_set = true, 0;
    return bad(err, "--progress", v, "expected auto, plain, tty, quiet or json");
}

static int opt_epoch(struct build_cli *c, const char *v, kiln_error_t **err)
{
    int64_t e;
    if (parse_i64(v, 0, 253402300799LL, &e) < 0)
        return bad(err, "--source-date-epoch", v, "expected seconds since 1970");
    c->o.source_date_epoch = e;
    c->epoch_set = true;
    return 0;
}

static int opt_platform(struct build_cli *c, const char *v, kiln_error_t **err)
{
    if (strcmp(v, "linux/amd64") != 0)
        return kiln_err(err, KILN_EUNSUPPORTED, 0, "--platform %s: kiln builds linux/amd64 only",
                        v);
    c->o.platform = v;
    return 0;
}

static int opt_no_cache(struct build_cli *c, const char *v, kiln_error_t **err)
{
    (void)v;
    (void)err;
    c->o.no_cache = true;
    return 0;
}

static int opt_network(struct build_cli *c, const char *v, kiln_error_t **err)
{
    static const char *const names[] = {"default", "none", "host"};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (!strcmp(v, names[i]))
            return c->o.network = (enum kiln_network)i, 0;
    return bad(err, "--network", v, "expected default, none or host");
}

static int opt_allow_net(struct build_cli *c, const char *v, kiln_error_t **err)
{
    if (!*v)
        return bad(err, "--allow-net", v, "expected ADDR[/PREFIX][:PORT] or HOST[:PORT]");
    if (c->o.nallow_net >= CLI_MAX_REPEAT)
        return kiln_err(err, KILN_EUSAGE, 0, "too many --allow-net flags");
    strv_push(&c->o.allow_net, &c->o.nallow_net, xstrdup(v));
    return 0;
}

static int opt_max_download(struct build_cli *c, const char *v, kiln_error_t **err)
{
    uint64_t n;
    if (parse_size(v, &n) < 0 || n == 0)
        return bad(err, "--max-download-size", v, "expected a size, e.g. 512m or 8g");
    c->o.max_download = n;
    return 0;
}

static int opt_allow(struct build_cli *c, const char *v, kiln_error_t **err)
{
    if (strcmp(v, "network.host") != 0)
        return bad(err, "--allow", v, "expected network.host (security.insecure is never allowed)");
    c->o.allow_network_host = true;
    return 0;
}

static int opt_memory(struct build_cli *c, const char *v, kiln_error_t **err)
{
    uint64_t n;
    if (parse_size(v, &n) < 0 || n < (4u << 20))
        return bad(err, "--memory", v, "expected a size of at least 4m, e.g. 512m or 2g");
    c->o.memory = n;
    return 0;
}

static int opt_pids(struct build_cli *c, const char *v, kiln_error_t **err)
{
    uint64_t n;
    if (parse_u64(v, 4194304, &n) < 0 || n < 8)
        return bad(err, "--pids-limit", v, "expected a number of processes, at least 8");
    c->o.pids_limit = n;
    return 0;
}

/* "1.5" → 1500 milli-CPUs */
static int opt_cpus(struct build_cli *c, const char *v, kiln_error_t **err)
{
    cleanup_free char *s = xstrdup(v);
    char *dot = strchr(s, '.');
    uint64_t whole = 0, frac = 0;
    if (dot)
        *dot = '\0';
    size_t nf = dot ? strlen(dot + 1) : 0;
    if ((*s && parse_u64(s, 1024, &whole) < 0) || (!*s && !dot) || nf > 3 ||
        (dot && (nf == 0 || parse_u64(dot + 1, 999, &frac) < 0)))
        return bad(err, "--cpus", v, "expected a number of CPUs, e.g. 1 or 0.5");
    for (size_t i = nf; i < 3; i++)
        frac *= 10;
    if (whole * 1000 + frac < 10)
        return bad(err, "--cpus", v, "expected at least 0.01");
    c->o.cpus_milli = whole * 1000 + frac;
    return 0;
}

static int opt_step_timeout(struct build_cli *c, const char *v, kiln_error_t **err)
{
    uint64_t n;
    if (parse_u64(v, 31536000, &n) < 0 || n == 0)
        return bad(err, "--step-timeout", v, "expected seconds, at least 1");
    c->o.step_timeout = n;
    return 0;
}

static int opt_add_host(struct build_cli *c, const char *v, kiln_error_t **err)
{
    return kiln_build_add_host(&c->o, v, err);
}

static int opt_ulimit(struct build_cli *c, const char *v, kiln_error_t **err)
{
    return kiln_build_ulimit(&c->o, v, err);
}

static int opt_shm_size(struct build_cli *c, const char *v, kiln_error_t **err)
{
    uint64_t n;
    if (parse_size(v, &n) < 0 || n == 0)
        return bad(err, "--shm-size", v, "expected a size such as 64m or 1g");
    c->o.shm_size = n;
    return 0;
}

/* buildx's form: default|ID[=SOCKET|KEY[,KEY...]] */
static int opt_ssh(struct build_cli *c, const char *v, kiln_error_t **err)
{
    if (c->o.nssh >= KILN_MAX_SSH)
        return kiln_err(err, KILN_EUSAGE, 0, "too many --ssh flags");
    const char *eq = strchr(v, '=');
    struct kiln_ssh_opt s = {.id = eq ? xstrndup(v, (size_t)(eq - v)) : xstrdup(v)};
    if (!*s.id) {
        free(s.id);
        s.id = xstrdup("default");
    }
    cleanup_free char *list = eq ? xstrdup(eq + 1) : NULL;
    char *save = NULL;
    for (char *p = list ? strtok_r(list, ",", &save) : NULL; p; p = strtok_r(NULL, ",", &save))
        if (s.npaths < KILN_MAX_SSH_PATHS)
            strv_push(&s.paths, &s.npaths, xstrdup(p));
        else
            return strv_free(s.paths), free(s.id), bad(err, "--ssh", v, "too many paths");
    c->o.ssh = xrealloc(c->o.ssh, (c->o.nssh + 1) * sizeof(s));
    c->o.ssh[c->o.nssh++] = s;
    return 0;
}

/* --max-layer-size, --max-file-size: decompression bounds (snapshot/unpack.h) */
static int opt_max_size(struct build_cli *c, const char *v, kiln_error_t **err, bool layer)
{
    uint64_t n;
    const char *flag = layer ? "--max-layer-size" : "--max-file-size";
    if (parse_size(v, &n) < 0 || n < (1u << 20))
        return bad(err, flag, v, "expected a size of at least 1m, e.g. 64g");
    *(layer ? &c->o.max_layer_size : &c->o.max_file_size) = n;
    return 0;
}

static int opt_max_layer(struct build_cli *c, const char *v, kiln_error_t **err)
{
    return opt_max_size(c, v, err, true);
}

static int opt_max_file(struct build_cli *c, const char *v, kiln_error_t **err)
{
    return opt_max_size(c, v, err, false);
}

static int opt_allow_root(struct build_cli *c, const char *v, kiln_error_t **err)
{
    (void)v;
    (void)err;
    c->o.allow_root_user = true;
    return 0;
}

static int opt_allow_unenforced(struct build_cli *c, const char *v, kiln_error_t **err)
{
    (void)v;
    (void)err;
    c->o.allow_unenforced_limits = true;
    return 0;
}

static int opt_no_cache_filter(struct build_cli *c, const char *v, kiln_error_t **err)
{
    if (!*v)
        return bad(err, "--no-cache-filter", v, "expected a stage name");
    cleanup_free char *s = xstrdup(v);
    char *save = NULL;
    for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save))
        strv_push(&c->o.no_cache_filter, &c->o.nno_cache_filter, xstrdup(t));
    return 0;
}

/* One key=value field of --secret into sec (*type: "file", "env" or NULL). */
static int secret_field(struct kiln_secret_opt *sec, const char **type, const char *f,
                        const char *v, kiln_error_t **err)
{
    const char *eq = strchr(f, '=');
    if (!eq)
        return bad(err, "--secret", v, "each field must be a key=value pair");
    cleanup_free char *key = xstrndup(f, (size_t)(eq - f));
    str_lower(key);
    char **slot = !strcmp(key, "id")                              ? &sec->id
                  : !strcmp(key, "src") || !strcmp(key, "source") ? &sec->src
                  : !strcmp(key, "env")                           ? &sec->env
                                                                  : NULL;
    if (!strcmp(key, "type")) {
        if (strcmp(eq + 1, "file") != 0 && strcmp(eq + 1, "env") != 0)
            return bad(err, "--secret", v, "type must be file or env");
        *type = strcmp(eq + 1, "file") ? "env" : "file";
        return 0;
    }
    if (!slot)
        return kiln_err(err, KILN_EUSAGE, 0, "--secret: unexpected key '%s' in '%s'", key, f);
    free(*slot);
    *slot = xstrdup(eq + 1);
    return 0;
}

/* BuildKit's forms: id=ID,src=PATH (source=), id=ID,env=VAR, type=file|env, or id=ID alone. */
static int opt_secret(struct build_cli *c, const char *v, kiln_error_t **err)
{
    struct kiln_secret_opt sec = {0};
    const char *type = NULL;
    cleanup_free char *s = xstrdup(v);
    char *save = NULL;
    int rc = 0;
    for (char *f = strtok_r(s, ",", &save); rc == 0 && f; f = strtok_r(NULL, ",", &save))
        rc = secret_field(&sec, &type, f, v, err);
    if (rc == 0 && (!sec.id || !*sec.id))
        rc = bad(err, "--secret", v, "id= is required");
    if (rc == 0 && c->o.nsecrets >= CLI_MAX_REPEAT)
        rc = kiln_err(err, KILN_EUSAGE, 0, "too many --secret flags");
    if (rc == 0 && type && !strcmp(type, "env") && !sec.env) { /* type=env[,src=VAR] */
        sec.env = sec.src ? sec.src : xstrdup(sec.id);
        sec.src = NULL;
    }
    if (rc == 0 && type && !strcmp(type, "file") && !sec.src && !sec.env)
        sec.src = xstrdup(sec.id);
    if (rc < 0) {
        free(sec.id), free(sec.src), free(sec.env);
        return -1;
    }
    c->o.secrets = xrealloc(c->o.secrets, (c->o.nsecrets + 1) * sizeof(sec));
    c->o.secrets[c->o.nsecrets++] = sec;
    return 0;
}

static int opt_strict(struct build_cli *c, const char *v, kiln_error_t **err)
{
    (void)v;
    (void)err;
    c->o.strict = true;
    return 0;
}

static int opt_sbom(struct build_cli *c, const char *v, kiln_error_t **err)
{
    (void)v;
    (void)err;
    c->o.sbom = strcmp(c->flag, "no-sbom") != 0;
    return 0;
}

static int opt_provenance(struct build_cli *c, const char *v, kiln_error_t **err)
{
    (void)v;
    (void)err;
    c->o.provenance = strcmp(c->flag, "no-provenance") != 0;
    return 0;
}

static int opt_sbom_out(struct build_cli *c, const char *v, kiln_error_t **err)
{
    if (!*v)
        return bad(err, "--sbom-out", v, "expected a directory");
    c->o.sbom_out = v;
    return 0;
}

/* --cache-from/--cache-to: "type=registry,ref=REF[,mode=min|max]" or a bare REF. */
static int opt_cache(struct build_cli *c, const char *v, kiln_error_t **err)
{
    bool to = !strcmp(c->flag, "cache-to");
    const char *flag = to ? "--cache-to" : "--cache-from";
    cleanup_free char *s = xstrdup(v), *ref = NULL;
    if (!strchr(v, '='))
        ref = xstrdup(v);
    char *save = NULL;
    for (char *f = strchr(v, '=') ? strtok_r(s, ",", &save) : NULL; f;
         f = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(f, '=');
        if (!eq)
            return bad(err, flag, v, "expected type=registry,ref=REF");
        *eq = '\0';
        const char *val = eq + 1;
        if (!strcmp(f, "type") && strcmp(val, "registry") != 0)
            return kiln_err(err, KILN_EUNSUPPORTED, 0, "%s type=%s is not supported yet", flag,
                            val);
        else if (!strcmp(f, "ref"))
            free(ref), ref = xstrdup(val);
        else if (!strcmp(f, "mode") && strcmp(val, "min") && strcmp(val, "max"))
            return bad(err, flag, val, "mode is min or max");
        else if (strcmp(f, "type") && strcmp(f, "ref") && strcmp(f, "mode"))
            return kiln_err(err, KILN_EUSAGE, 0, "%s: unknown field '%s'", flag, f);
    }
    if (!ref || !*ref)
        return bad(err, flag, v, "expected type=registry,ref=REF");
    strv_push(&c->owned, &c->nowned, ref);
    if (to)
        c->o.cache_to = steal_ptr(ref);
    else
        c->o.cache_from = steal_ptr(ref);
    return 0;
}

static const struct opt_def {
    struct cli_opt o; /* first: the table is also cli_build's */
    opt_fn apply;
} opt_defs[] = {
    {{"file", 'f', true, "PATH", "Dockerfile (default CONTEXT/Dockerfile; - for stdin)", "@file"},
     opt_file},
    {{"tag", 't', true, "NAME[:TAG]", "Image name (repeatable)", NULL}, opt_tag},
    {{"build-arg", 0, true, "K[=V]", "Build argument (K alone: from the environment)", NULL},
     opt_build_arg},
    {{"build-context", 0, true, "NAME=VALUE",
      "Named context: NAME=DIR, NAME=oci-layout://DIR[:TAG][@sha256:...] (TAG after the first "
      "':') or NAME=docker-image://REF",
      NULL},
     opt_build_context},
    {{"target", 0, true, "STAGE", "Build up to this stage", "@stage"}, opt_target},
    {{"output", 'o', true, "SPEC",
      "type=oci|docker,dest=PATH|-[,tar=false][,name=N], type=local,dest=DIR, "
      "type=tar,dest=FILE|-, type=registry[,name=REG/REPO[:TAG]] (or type=image,push=true); "
      "-o DIR is type=local, -o - a tar on stdout; image outputs also take "
      "compression=gzip|zstd|uncompressed, compression-level=N and force-compression=true (the "
      "base layers converted too)",
      "type=oci type=docker type=local type=tar type=registry type=image @dir"},
     opt_output},
    {{"push", 0, false, NULL, "Shorthand for --output=type=registry", NULL}, opt_push_load},
    {{"load", 0, false, NULL,
      "Refused: there is no Docker daemon (use -o type=docker,dest=FILE, then docker load)", NULL},
     opt_push_load},
    {{"iidfile", 0, true, "FILE", "Write the image ID to a file", "@file"}, opt_result_file},
    {{"metadata-file", 0, true, "FILE",
      "Write build result metadata (buildx's JSON keys) to a file", "@file"},
     opt_result_file},
    {{"quiet", 'q', false, NULL, "Suppress the build output and print the image ID on success",
      NULL},
     opt_quiet},
    {{"check", 0, false, NULL,
      "Run the build checks only (kiln lint's output); exit 1 when one is an error", NULL},
     opt_quiet},
    {{"registry-ca", 0, true, "FILE", "Also trust this CA bundle (PEM) for registry TLS", "@file"},
     opt_registry_ca},
    {{"insecure-registry", 0, true, "HOST[:PORT]",
      "Allow plain HTTP and unverified TLS for this registry (repeatable)", NULL},
     opt_insecure_registry},
    {{"root", 0, true, "DIR", "State: content store and caches", "@dir"}, opt_root},
    {{"progress", 0, true, "MODE", "auto, plain, tty, quiet or json", "auto plain tty quiet json"},
     opt_progress},
    {{"source-date-epoch", 0, true, "N",
      "Timestamps in the image (default $SOURCE_DATE_EPOCH, else 1577836800: 2020-01-01)", NULL},
     opt_epoch},
    {{"label", 0, true, "K=V", "Image label (repeatable)", NULL}, opt_label},
    {{"annotation", 0, true, "K=V", "Manifest annotation (repeatable)", NULL}, opt_annotation},
    {{"platform", 0, true, "P", "Target platform (linux/amd64 only)", "linux/amd64"}, opt_platform},
    {{"no-cache", 0, false, NULL, "Do not use the step cache", NULL}, opt_no_cache},
    {{"secret", 0, true, "id=ID[,src=PATH|,env=VAR]",
      "Secret for RUN --mount=type=secret (repeatable)", NULL},
     opt_secret},
    {{"network", 0, true, "MODE",
      "Network for RUN steps: default (the outside world through pasta, but not the build "
      "host, its networks, link-local or private ranges; no CAP_NET_RAW), none, or host "
      "(needs --allow network.host)",
      "default none host"},
     opt_network},
    {{"allow", 0, true, "ENT", "Allow an entitlement (network.host)", "network.host"}, opt_allow},
    {{"allow-net", 0, true, "ADDR[/PREFIX][:PORT]",
      "Let RUN (default network) and ADD <url> reach this address, range or HOST[:PORT] "
      "(repeatable; loopback: one port, reached as 127.0.0.1:PORT)",
      NULL},
     opt_allow_net},
    {{"max-download-size", 0, true, "BYTES", "Largest file ADD <url> fetches (default 4g)", NULL},
     opt_max_download},
    {{"memory", 0, true, "BYTES", "Memory limit for RUN steps", NULL}, opt_memory},
    {{"pids-limit", 0, true, "N", "Process limit for RUN steps", NULL}, opt_pids},
    {{"cpus", 0, true, "N", "CPU limit for RUN steps", NULL}, opt_cpus},
    {{"step-timeout", 0, true, "SECONDS", "Time limit for each RUN step", NULL}, opt_step_timeout},
    {{"max-layer-size", 0, true, "BYTES",
      "Uncompressed size limit of a layer or ADD archive (default 32g)", NULL},
     opt_max_layer},
    {{"max-file-size", 0, true, "BYTES",
      "Size limit of one file in a layer or ADD archive (default 16g)", NULL},
     opt_max_file},
    {{"allow-unenforced-limits", 0, false, NULL,
      "Operator override: run steps when --memory/--pids-limit/--cpus cannot be enforced", NULL},
     opt_allow_unenforced},
    {{"add-host", 0, true, "HOST:IP",
      "Add a host-to-IP mapping to /etc/hosts of RUN steps (repeatable; host-gateway refused)",
      NULL},
     opt_add_host},
    {{"ulimit", 0, true, "NAME=SOFT[:HARD]",
      "Resource limit for RUN steps (Docker's names; core dumps stay off; a hard limit above "
      "kiln's own needs CAP_SYS_RESOURCE)",
      NULL},
     opt_ulimit},
    {{"shm-size", 0, true, "BYTES", "Size of /dev/shm in RUN steps (default 64m)", NULL},
     opt_shm_size},
    {{"ssh", 0, true, "default|ID[=SOCKET|KEY[,KEY]]",
      "SSH agent socket or keys for RUN --mount=type=ssh (repeatable; only list and sign "
      "requests reach the agent)",
      "default"},
     opt_ssh},
    {{"no-cache-filter", 0, true, "STAGE", "Do not use the cache for a stage (repeatable)", NULL},
     opt_no_cache_filter},
    {{"cache-from", 0, true, "SPEC", "Read a shared cache: type=registry,ref=REF (or REF)", NULL},
     opt_cache},
    {{"cache-to", 0, true, "SPEC", "Push this build's cache: type=registry,ref=REF[,mode=max]",
      NULL},
     opt_cache},
    {{"sbom", 0, false, NULL, "Attach SPDX 2.3 and CycloneDX 1.6 SBOMs (default)", NULL}, opt_sbom},
    {{"no-sbom", 0, false, NULL, "Do not attach SBOMs", NULL}, opt_sbom},
    {{"sbom-out", 0, true, "DIR", "Also write the SBOM files to DIR", "@dir"}, opt_sbom_out},
    {{"provenance", 0, false, NULL, "Attach SLSA v1 provenance (default)", NULL}, opt_provenance},
    {{"no-provenance", 0, false, NULL, "Do not attach provenance", NULL}, opt_provenance},
    {{"strict", 0, false, NULL, "Lint warnings become errors (exit 1)", NULL}, opt_strict},
    {{"allow-root-user", 0, false, NULL, "Operator override: allow a final USER that is root",
      NULL},
     opt_allow_root},
};

static void release(struct build_cli *c)
{
    struct kiln_build_opts *o = &c->o;
    strv_free(o->tags);
    strv_free(o->no_cache_filter);
    strv_free(o->allow_net);
    strv_free(c->owned);
    struct kiln_kv *kvs[] = {o->build_args, o->labels, o->annotations};
    size_t ns[] = {o->nbuild_args, o->nlabels, o->nannotations};
    for (size_t k = 0; k < ARRAY_SIZE(kvs); k++) {
        for (size_t i = 0; i < ns[k]; i++)
            free(kvs[k][i].key), free(kvs[k][i].value);
        free(kvs[k]);
    }
    for (size_t i = 0; i < o->ncontexts; i++)
        free(o->contexts[i].name), free(o->contexts[i].path), free(o->contexts[i].ref);
    free(o->contexts);
    for (size_t i = 0; i < o->nsecrets; i++)
        free(o->secrets[i].id), free(o->secrets[i].src), free(o->secrets[i].env);
    free(o->secrets);
    free(o->output.dest);
    free(o->output.name);
    for (size_t i = 0; i < o->nssh; i++)
        free(o->ssh[i].id), strv_free(o->ssh[i].paths);
    free(o->ssh);
    for (size_t i = 0; i < o->nextra_hosts; i++)
        free(o->extra_hosts[i].key), free(o->extra_hosts[i].value);
    free(o->extra_hosts);
}

static int build_apply(void *state, size_t i, const char *v, kiln_error_t **err)
{
    struct build_cli *c = state;
    c->flag = opt_defs[i].o.name;
    return opt_defs[i].apply(c, v, err);
}

static int parse_args(struct build_cli *c, int argc, char **argv, kiln_error_t **err)
{
    int first;
    int r = cli_parse_args(&cli_build, argc, argv, c, &first, err);
    if (r != 0)
        return r;
    c->o.context = strcmp(argv[first], "-") ? argv[first] : NULL;
    if (!c->o.context && c->o.dockerfile && strcmp(c->o.dockerfile, "-"))
        return kiln_err(err, KILN_EUSAGE, 0,
                        "context '-' reads the Dockerfile from stdin: do not also pass -f");
    if (!c->o.context)
        c->o.dockerfile = "-";
    if (c->quiet && c->progress_set && c->progress != KILN_PROGRESS_AUTO &&
        c->progress != KILN_PROGRESS_QUIET)
        return kiln_err(err, KILN_EUSAGE, 0, "progress=%s and quiet cannot be used together",
                        progress_names[c->progress]);
    if (c->quiet) /* --progress quiet alone keeps kiln's stdout (what the name points to) */
        c->progress = KILN_PROGRESS_QUIET;
    return cli_output_finish(c, err);
}

/* --build-arg SOURCE_DATE_EPOCH=N is the epoch, as in BuildKit (the last one given counts; a bare
 * --build-arg SOURCE_DATE_EPOCH takes the environment's value). */
static int epoch_from_build_arg(struct build_cli *c, kiln_error_t **err)
{
    const char *v = NULL;
    for (size_t i = 0; i < c->o.nbuild_args; i++)
        if (!strcmp(c->o.build_args[i].key, "SOURCE_DATE_EPOCH"))
            v = c->o.build_args[i].value ? c->o.build_args[i].value : getenv("SOURCE_DATE_EPOCH");
    if (!v || !*v)
        return 0;
    int64_t e;
    if (parse_i64(v, 0, 253402300799LL, &e) < 0)
        return bad(err, "--build-arg SOURCE_DATE_EPOCH", v, "expected seconds since 1970");
    if (c->epoch_set && e != c->o.source_date_epoch)
        return kiln_err(err, KILN_EUSAGE, 0,
                        "--source-date-epoch %lld and --build-arg SOURCE_DATE_EPOCH=%s disagree",
                        (long long)c->o.source_date_epoch, v);
    c->o.source_date_epoch = e;
    c->epoch_set = true;
    return 0;
}

static int epoch_from_env(struct build_cli *c, kiln_error_t **err)
{
    if (epoch_from_build_arg(c, err) < 0)
        return -1;
    const char *env = getenv("SOURCE_DATE_EPOCH");
    if (c->epoch_set)
        return 0;
    if (!env || !*env) {
        c->o.source_date_epoch = KILN_DEFAULT_EPOCH;
        return 0;
    }
    int64_t e;
    if (parse_i64(env, 0, 253402300799LL, &e) < 0)
        return bad(err, "SOURCE_DATE_EPOCH", env, "expected seconds since 1970");
    c->o.source_date_epoch = e;
    return 0;
}

/* --check: no build; the exit status of docker build --check (1: a check is an error). */
static int run_check(struct build_cli *c)
{
    char **names = xcalloc(c->o.ncontexts + 1, sizeof(char *));
    for (size_t i = 0; i < c->o.ncontexts; i++)
        names[i] = c->o.contexts[i].name;
    struct kiln_lint_opts q = {.dockerfile = c->o.dockerfile,
                               .context = c->o.context,
                               .build_args = c->o.build_args,
                               .nbuild_args = c->o.nbuild_args,
                               .contexts = names,
                               .ncontexts = c->o.ncontexts,
                               .target = c->o.target,
                               .strict = c->o.strict};
    kiln_error_t *err = NULL;
    int status = 0;
    int rc = cli_lint_report(&q, true, &status, &err);
    free(names);
    if (rc < 0) {
        fprintf(stderr, "kiln: %s\n", err->msg);
        kiln_error_free(err);
        return 2;
    }
    return fflush(stdout) == 0 ? status : 2;
}

int cmd_build(int argc, char **argv)
{
    struct build_cli c = {.progress = KILN_PROGRESS_AUTO};
    c.o.sbom = c.o.provenance = true;
    c.o.output.compression_level = -1;
    kiln_error_t *err = NULL;
    int r = parse_args(&c, argc, argv, &err);
    if (r == 0)
        r = epoch_from_env(&c, &err);
    if (r != 0) {
        release(&c);
        return cli_parse_failed(&cli_build, r, err);
    }
    if (c.check) {
        r = run_check(&c);
        release(&c);
        return r;
    }
    if (kiln_build_report_prepare(&c.report, &err) < 0) {
        release(&c);
        return cli_fail(err);
    }
    progress_init(&c.o.progress, c.progress);
    c.o.registry.insecure = c.insecure;
    struct kiln_build_result res;
    r = kiln_build(&c.o, &res, &err);
    progress_finish(&c.o.progress);
    /* what the output's name points to: the index when attestations are attached (as
     * BuildKit's containerimage.digest and skopeo inspect report), else the image manifest */
    if (r == 0)
        r = cli_result_report(&c, &res, &err);
    release(&c);
    return r < 0 ? cli_fail(err) : 0;
}

const struct cli_command cli_build = {
    .name = "build",
    .summary = "Build an image from a Dockerfile",
    .usage = "kiln build [OPTIONS] CONTEXT",
    .description =
        "Build an image from a Dockerfile; CONTEXT - reads the Dockerfile from stdin with no "
        "context.\nPrints the digest the output's name points to on stdout: the image index "
        "(image + SBOM/provenance attestations), or the image manifest with --no-sbom "
        "--no-provenance; -q prints the image ID (buildx's: the config digest of one image, "
        "else the index digest); nothing for the local and tar outputs or when the output "
        "itself goes to stdout.\n\n"
        "Where kiln is stricter than buildx, and why: type=local writes the files as you (as "
        "buildx) but drops setuid/setgid bits, device nodes, FIFOs and every xattr but user.* "
        "(a build's setuid binary or file capability must not become one on the host), and "
        "writes a new directory that it renames into place: DIR must be missing or empty, "
        "never merged into (a merge cannot be atomic and would write through symlinks already "
        "in DIR). type=docker holds the image alone (docker load reads no attestations: keep "
        "the SBOM with --sbom-out). --ssh: only list and sign requests reach the agent. "
        "--ulimit core stays 0. --add-host host-gateway is refused (steps reach no address of "
        "the build host unless the operator allows it). The non-root policy applies to image "
        "outputs, not to local/tar files.",
    .opts = opt_defs,
    .nopts = ARRAY_SIZE(opt_defs),
    .stride = sizeof(opt_defs[0]),
    .apply = build_apply,
    .min_args = 1,
    .max_args = 1,
    .args_what = "the context",
    .args_complete = "@dir",
    .run = cmd_build,
};
