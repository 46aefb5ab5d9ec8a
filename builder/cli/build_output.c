/* kiln build --output, --push, --load: buildx's spellings (util/buildflags/export.go and
 * build.CreateExports), mapped onto kiln's outputs. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build_cli.h"
#include "csv.h"
#include "util.h"

static int bad_output(kiln_error_t **err, const char *v, const char *want)
{
    return kiln_err(err, KILN_EUSAGE, 0, "invalid value '%s' for --output: %s", v, want);
}

static int parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "true") || !strcmp(v, "1"))
        return *out = true, 0;
    if (!strcmp(v, "false") || !strcmp(v, "0"))
        return *out = false, 0;
    return -1;
}

static int set_type(struct build_cli *c, const char *v, kiln_error_t **err)
{
    static const struct {
        const char *name;
        enum kiln_output_type type;
    } types[] = {{"oci", KILN_OUTPUT_OCI},       {"registry", KILN_OUTPUT_REGISTRY},
                 {"docker", KILN_OUTPUT_DOCKER}, {"local", KILN_OUTPUT_LOCAL},
                 {"tar", KILN_OUTPUT_TAR},       {"image", KILN_OUTPUT_NONE},
                 {"cacheonly", KILN_OUTPUT_NONE}};
    for (size_t i = 0; i < ARRAY_SIZE(types); i++)
        if (!strcmp(v, types[i].name)) {
            c->o.output.type = types[i].type;
            c->output_image = !strcmp(v, "image");
            return 0;
        }
    return bad_output(err, v, "type is oci, docker, local, tar, image, registry or cacheonly");
}

/* BuildKit's compression types; estargz (lazy pulling) is not written by kiln. */
static int set_compression(struct kiln_output *out, const char *v, kiln_error_t **err)
{
    static const struct {
        const char *name;
        enum kiln_compression c;
    } types[] = {{"gzip", KILN_COMPRESSION_GZIP},
                 {"zstd", KILN_COMPRESSION_ZSTD},
                 {"uncompressed", KILN_COMPRESSION_UNCOMPRESSED}};
    for (size_t i = 0; i < ARRAY_SIZE(types); i++)
        if (!strcmp(v, types[i].name))
            return out->compression = types[i].c, 0;
    if (!strcmp(v, "estargz"))
        return kiln_err(err, KILN_EUNSUPPORTED, 0,
                        "--output compression=estargz is not supported: kiln writes gzip, zstd "
                        "or uncompressed layers");
    return kiln_err(err, KILN_EUSAGE, 0, "unsupported compression type %s", v);
}

static int output_attr(struct build_cli *c, const char *k, const char *v, kiln_error_t **err)
{
    struct kiln_output *out = &c->o.output;
    uint64_t n;
    bool b;
    if (!strcmp(k, "tar")) {
        out->tar = parse_bool(v, &b) < 0 ? true : b; /* buildx: not a bool means true */
    } else if (!strcmp(k, "push")) {
        if (parse_bool(v, &b) < 0)
            return bad_output(err, v, "push is true or false");
        c->output_push = b;
    } else if (!strcmp(k, "name")) {
        free(out->name);
        out->name = xstrdup(v);
    } else if (!strcmp(k, "compression")) {
        return set_compression(out, v, err);
    } else if (!strcmp(k, "compression-level")) {
        if (parse_u64(v, 22, &n) < 0)
            return bad_output(err, v, "compression-level is 0 to 9 for gzip, 0 to 22 for zstd");
        out->compression_level = (int)n;
    } else if (!strcmp(k, "force-compression")) {
        if (parse_bool(v, &b) < 0)
            return bad_output(err, v, "force-compression is true or false");
        out->force_compression = b;
    } else if (!strcmp(k, "oci-mediatypes")) {
        if (parse_bool(v, &b) < 0 || !b)
            return kiln_err(err, KILN_EUNSUPPORTED, 0,
                            "--output oci-mediatypes=%s: kiln writes OCI media types only", v);
    } else if (strcmp(k, "unpack") != 0) { /* unpack: there is no daemon to unpack into */
        return kiln_err(err, KILN_EUSAGE, 0, "--output: unknown field '%s'", k);
    }
    return 0;
}

static int parse_fields(struct build_cli *c, const char *v, kiln_error_t **err)
{
    cleanup_strv char **fields = NULL;
    size_t n = 0;
    if (csv_fields(v, &fields, &n, err) < 0) {
        (*err)->code = KILN_EUSAGE;
        return kiln_err_wrap(err, "--output");
    }
    bool typed = false;
    for (size_t i = 0; i < n; i++) {
        char *eq = strchr(fields[i], '=');
        if (!eq)
            return kiln_err(err, KILN_EUSAGE, 0, "--output: invalid value %s", fields[i]);
        *eq = '\0';
        cleanup_free char *key = xstrdup(fields[i] + strspn(fields[i], " \t"));
        key[strcspn(key, " \t")] = '\0';
        str_lower(key);
        int rc = 0;
        if (!strcmp(key, "type"))
            rc = set_type(c, eq + 1, err), typed = true;
        else if (!strcmp(key, "dest"))
            free(c->o.output.dest), c->o.output.dest = xstrdup(eq + 1);
        else
            rc = output_attr(c, key, eq + 1, err);
        if (rc < 0)
            return -1;
    }
    return typed ? 0 : kiln_err(err, KILN_EUSAGE, 0, "type is required for output");
}

int cli_output_parse(struct build_cli *c, const char *v, kiln_error_t **err)
{
    if (c->output_set)
        return kiln_err(err, KILN_EUSAGE, 0,
                        "kiln writes one output per build: give --output once (and push an OCI "
                        "layout afterwards with kiln push)");
    c->output_set = true;
    struct kiln_output *out = &c->o.output;
    out->tar = true; /* BuildKit's oci and docker exporters write an archive unless tar=false */
    if (!*v)
        return kiln_err(err, KILN_EUSAGE, 0, "type is required for output");
    if (!strchr(v, ',') && !str_has_prefix(v, "type=") && !strchr(v, '"')) {
        /* buildx's shorthands: "-o DIR" is type=local, "-o -" a tar of the files on stdout */
        out->type = strcmp(v, "-") ? KILN_OUTPUT_LOCAL : KILN_OUTPUT_TAR;
        out->dest = xstrdup(v);
        return 0;
    }
    return parse_fields(c, v, err);
}

/* Missing, or a directory with nothing in it. */
static bool dir_empty(const char *path)
{
    cleanup_dir DIR *d = opendir(path);
    if (!d)
        return true; /* missing; anything else is reported when the output is written */
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            return false;
    return true;
}

static int check_dest(struct build_cli *c, kiln_error_t **err)
{
    struct kiln_output *out = &c->o.output;
    static const char *const names[] = {"", "oci", "registry", "docker", "local", "tar"};
    const char *type = names[out->type];
    bool dir = out->type == KILN_OUTPUT_LOCAL ||
               ((out->type == KILN_OUTPUT_OCI || out->type == KILN_OUTPUT_DOCKER) && !out->tar);
    bool file = out->type == KILN_OUTPUT_TAR ||
                ((out->type == KILN_OUTPUT_OCI || out->type == KILN_OUTPUT_DOCKER) && out->tar);
    struct stat st;
    if (dir && (!out->dest || !*out->dest))
        return kiln_err(err, KILN_EUSAGE, 0, "dest is required for %s exporter", type);
    if (dir && !strcmp(out->dest, "-"))
        return kiln_err(err, KILN_EUSAGE, 0, "dest cannot be stdout for %s exporter", type);
    if (dir && stat(out->dest, &st) == 0 && !S_ISDIR(st.st_mode))
        return kiln_err(err, KILN_EUSAGE, 0, "destination directory %s is a file", out->dest);
    if (out->type == KILN_OUTPUT_LOCAL && !dir_empty(out->dest))
        return kiln_err(err, KILN_EUSAGE, 0,
                        "destination directory %s is not empty: kiln writes the files to a new "
                        "directory and never merges into an existing one (buildx does)",
                        out->dest);
    if (file && out->type == KILN_OUTPUT_DOCKER && (!out->dest || !*out->dest))
        return kiln_err(err, KILN_EUSAGE, 0,
                        "type=docker without dest loads the image into a Docker daemon, and kiln "
                        "has none: give dest=FILE, then run docker load -i FILE");
    if (file && (!out->dest || !*out->dest))
        free(out->dest), out->dest = xstrdup("-");
    if (file && strcmp(out->dest, "-") && stat(out->dest, &st) == 0 && S_ISDIR(st.st_mode))
        return kiln_err(err, KILN_EUSAGE, 0, "destination file %s is a directory", out->dest);
    if (file && !strcmp(out->dest, "-") && isatty(STDOUT_FILENO))
        return kiln_err(err, KILN_EUSAGE, 0,
                        "dest file is required for %s exporter. refusing to write to console",
                        type);
    return 0;
}

static int check_names(struct build_cli *c, kiln_error_t **err)
{
    const char *name = c->o.output.name;
    if (!name)
        return 0;
    cleanup_free char *s = xstrdup(name);
    char *save = NULL;
    size_t n = 0;
    for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save), n++) {
        cleanup_free char *full = kiln_reference_normalize(t, err);
        if (!full) {
            (*err)->code = KILN_EUSAGE;
            return kiln_err_wrap(err, "--output name");
        }
    }
    if (n == 0)
        return kiln_err(err, KILN_EUSAGE, 0, "--output: empty name=");
    if (c->o.output.type == KILN_OUTPUT_REGISTRY && n > 1)
        return kiln_err(err, KILN_EUSAGE, 0,
                        "--output type=registry: one name= (give more names with -t)");
    return 0;
}

/* After every flag is read: --push and --load, destinations, names. */
int cli_output_finish(struct build_cli *c, kiln_error_t **err)
{
    struct kiln_output *out = &c->o.output;
    if (c->load)
        return kiln_err(err, KILN_EUSAGE, 0,
                        "--load loads the image into a Docker daemon, and kiln has none: use "
                        "--output type=docker,dest=FILE and docker load -i FILE");
    if (c->push && c->output_set && !c->output_image && out->type != KILN_OUTPUT_REGISTRY)
        return kiln_err(err, KILN_EUSAGE, 0,
                        "--push with this --output: kiln writes one output per build (push the "
                        "OCI layout afterwards with kiln push)");
    if (c->push || (c->output_image && c->output_push))
        out->type = KILN_OUTPUT_REGISTRY;
    if (check_dest(c, err) < 0 || check_names(c, err) < 0)
        return -1;
    if (out->compression == KILN_COMPRESSION_GZIP && out->compression_level > 9)
        return kiln_err(err, KILN_EUSAGE, 0,
                        "invalid value '%d' for --output: compression-level is 0 to 9 for gzip",
                        out->compression_level);
    if (out->type == KILN_OUTPUT_REGISTRY && !out->name && !c->o.ntags)
        return kiln_err(err, KILN_EUSAGE, 0, "tag is needed when pushing to registry");
    if (c->report.iidfile && (out->type == KILN_OUTPUT_LOCAL || out->type == KILN_OUTPUT_TAR))
        return kiln_err(err, KILN_EUSAGE, 0,
                        "local and tar exporters are incompatible with image ID file");
    return 0;
}

bool cli_output_to_stdout(const struct kiln_output *out)
{
    return out->dest && !strcmp(out->dest, "-") &&
           (out->type == KILN_OUTPUT_TAR || out->type == KILN_OUTPUT_OCI ||
            out->type == KILN_OUTPUT_DOCKER);
}
