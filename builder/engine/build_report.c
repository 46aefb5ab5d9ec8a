/* What kiln build reports when it succeeded, besides the digest the CLI prints: --iidfile and
 * --metadata-file, as buildx writes them (commands/build.go: getImageID,
 * decodeExporterResponse; BuildKit's exporter response keys).
 *
 * The image ID (stdout with -q, --iidfile) follows buildx: the config digest when the output's
 * name points to one image manifest (type=docker, or --no-sbom --no-provenance), else the digest
 * of the index it points to (the image with its attestations), as buildx writes for an image
 * with attestations. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "json.h"
#include "kiln/kiln.h"
#include "oci/image.h"
#include "oci/reference.h"
#include "util.h"

int kiln_build_report_prepare(const struct kiln_build_report *r, kiln_error_t **err)
{
    if (r->iidfile && unlink(r->iidfile) < 0 && errno != ENOENT)
        return kiln_err_errno(err, KILN_EIO, "removing image ID file '%s'", r->iidfile);
    return 0;
}

static bool exported_manifest(const struct kiln_build_result *res)
{
    return !strcmp(res->exported_media_type, MEDIA_TYPE_OCI_MANIFEST) ||
           !strcmp(res->exported_media_type, MEDIA_TYPE_DOCKER_MANIFEST);
}

const char *kiln_build_image_id(const struct kiln_build_result *res)
{
    return exported_manifest(res) ? res->config_digest : res->exported_digest;
}

/* buildx's image.name: each name as reference.TagNameOnly writes it, ',' joined. */
static char *image_names(const struct kiln_build_opts *o)
{
    const struct kiln_output *out = &o->output;
    cleanup_free char *list = NULL;
    if (out->name)
        list = xstrdup(out->name);
    for (size_t i = 0; !out->name && i < o->ntags; i++) {
        char *l = xasprintf("%s%s%s", list ? list : "", list ? "," : "", o->tags[i]);
        free(list);
        list = l;
    }
    if (!list)
        return NULL;
    char *joined = NULL, *save = NULL;
    for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        struct reference r;
        kiln_error_t *e = NULL;
        if (reference_parse(t, &r, &e) < 0) { /* checked before the build */
            kiln_error_free(e);
            continue;
        }
        cleanup_free char *full = reference_string(&r);
        reference_release(&r);
        char *j = xasprintf("%s%s%s", joined ? joined : "", joined ? "," : "", full);
        free(joined);
        joined = j;
    }
    return joined;
}

static json_t *descriptor(const struct kiln_build_opts *o, const struct kiln_build_result *res)
{
    char created[32];
    format_rfc3339(o->source_date_epoch, created);
    return json_pack("{s:s,s:s,s:I,s:{s:s}}", "mediaType", res->exported_media_type, "digest",
                     res->exported_digest, "size", (json_int_t)res->exported_size, "annotations",
                     "org.opencontainers.image.created", created);
}

/* BuildKit's exporter response as buildx writes it; local and tar outputs export no image, so
 * theirs is empty. Keys in sorted order, two-space indent (json.MarshalIndent). */
static char *metadata_json(const struct kiln_build_opts *o, const struct kiln_build_result *res)
{
    cleanup_json json_t *m = json_object();
    if (*res->exported_digest) {
        if (exported_manifest(res))
            json_object_set_new(m, "containerimage.config.digest", json_string(res->config_digest));
        json_object_set_new(m, "containerimage.descriptor", descriptor(o, res));
        json_object_set_new(m, "containerimage.digest", json_string(res->exported_digest));
        cleanup_free char *names = image_names(o);
        if (names)
            json_object_set_new(m, "image.name", json_string(names));
    }
    return json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
}

int kiln_build_report_write(const struct kiln_build_report *r, const struct kiln_build_opts *o,
                            const struct kiln_build_result *res, kiln_error_t **err)
{
    const char *id = kiln_build_image_id(res);
    if (r->iidfile && write_file_atomic(AT_FDCWD, r->iidfile, id, strlen(id), 0644, err) < 0)
        return kiln_err_wrap(err, "writing image ID file");
    if (!r->metadata_file)
        return 0;
    cleanup_free char *md = metadata_json(o, res);
    if (write_file_atomic(AT_FDCWD, r->metadata_file, md, strlen(md), 0644, err) < 0)
        return kiln_err_wrap(err, "writing metadata file");
    return 0;
}
