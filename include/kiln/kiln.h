/* kiln — the public API: build options in, an image result out; and the other commands
 * (kiln/dockerfile.h: lint and parse; kiln/inspect.h, kiln/push.h, kiln/prune.h).
 *
 * The CLI (builder/cli/) fills struct kiln_build_opts from argv and calls kiln_build(), and
 * the other commands' functions likewise; it includes nothing else of the library. The
 * library never prints: progress and warnings go through struct kiln_progress.
 */
#ifndef KILN_KILN_H
#define KILN_KILN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln/dockerfile.h"
#include "kiln/error.h"
#include "kiln/inspect.h"
#include "kiln/prune.h"
#include "kiln/push.h"
#include "kiln/registry.h"
#include "kiln/types.h"

enum kiln_context_type {
    KILN_CONTEXT_DIR,          /* NAME=DIR */
    KILN_CONTEXT_OCI_LAYOUT,   /* NAME=oci-layout://DIR[:TAG|@sha256:...] */
    KILN_CONTEXT_DOCKER_IMAGE, /* NAME=docker-image://REF: an image from a registry */
};

struct kiln_named_context {
    char *name;
    enum kiln_context_type type;
    char *path;
    char *ref; /* OCI layout: tag or "sha256:..." digest, or NULL */
};

enum kiln_output_type {
    KILN_OUTPUT_NONE,     /* build only: the result stays in the store */
    KILN_OUTPUT_OCI,      /* an OCI layout directory or archive */
    KILN_OUTPUT_REGISTRY, /* push to a registry (buildx: type=registry, type=image,push=true) */
    KILN_OUTPUT_DOCKER,   /* a tarball `docker load` reads (docker save format + OCI layout) */
    KILN_OUTPUT_LOCAL,    /* the final stage's files written to a new directory */
    KILN_OUTPUT_TAR,      /* the final stage's files as one tar */
};

enum kiln_compression {
    KILN_COMPRESSION_GZIP,
    KILN_COMPRESSION_UNCOMPRESSED,
    KILN_COMPRESSION_ZSTD,
};

/* The network of RUN steps. */
enum kiln_network {
    KILN_NETWORK_DEFAULT, /* a private namespace reaching the outside world through pasta, not
                             the build host, its networks, link-local or private ranges */
    KILN_NETWORK_NONE,    /* loopback only */
    KILN_NETWORK_HOST,    /* the host's network (needs allow_network_host) */
};

struct kiln_output {
    enum kiln_output_type type;
    char *dest; /* OCI, docker, tar: the directory or archive path, "-" for stdout; local: the
                   directory (created; an existing one must be empty) */
    bool tar;   /* OCI, docker: write an archive (tar) instead of a directory */
    char *name; /* registry: REG/REPO:TAG; OCI, docker: the image names (',' separated), else
                   the -t tags */
    enum kiln_compression compression; /* of the layers the build writes */
    int compression_level;             /* -1: default (gzip 6, zstd 3); gzip 0-9, zstd 0-22 */
    bool force_compression;            /* base layers too are converted to compression (else
                                          they keep theirs) */
};

enum kiln_progress_mode {
    KILN_PROGRESS_AUTO,
    KILN_PROGRESS_PLAIN,
    KILN_PROGRESS_TTY,
    KILN_PROGRESS_QUIET,
    KILN_PROGRESS_JSON,
};

enum kiln_log_level {
    KILN_LOG_INFO,
    KILN_LOG_WARN,
};

/* Callbacks for progress; any may be NULL. Step ids are 1-based, in dispatch order. */
struct kiln_progress {
    void *ctx;
    void (*step_start)(void *ctx, int id, const char *title);
    void (*step_output)(void *ctx, int id, const char *data, size_t len);
    void (*step_done)(void *ctx, int id, bool cached, double seconds, const kiln_error_t *err);
    void (*log)(void *ctx, enum kiln_log_level level, const char *msg);
};

/* --secret: a value for RUN --mount=type=secret,id=ID. With neither src nor env, the value is
 * the environment variable ID when it is set, else the file ID (BuildKit's rule). Every value
 * is read when the build starts (a missing one fails it before any step runs) and is at most
 * 500 KiB. */
struct kiln_secret_opt {
    char *id;
    char *src; /* file path, or NULL */
    char *env; /* environment variable, or NULL */
};

/* --ssh ID[=PATH[,PATH...]]: an agent socket, or private key files kiln loads into an agent it
 * starts (ssh-agent), for RUN --mount=type=ssh,id=ID. No path: $SSH_AUTH_SOCK. */
struct kiln_ssh_opt {
    char *id;     /* "default" when not given */
    char **paths; /* NULL-terminated */
    size_t npaths;
};
#define KILN_MAX_SSH       64 /* --ssh flags */
#define KILN_MAX_SSH_PATHS 16 /* paths in one */

/* --ulimit NAME=SOFT[:HARD] (Docker's names); RLIM_INFINITY for -1 (unlimited). */
struct kiln_ulimit {
    int resource; /* RLIMIT_* */
    uint64_t soft, hard;
};
#define KILN_MAX_ULIMITS 16

/* The epoch when neither --source-date-epoch, --build-arg SOURCE_DATE_EPOCH nor $SOURCE_DATE_EPOCH
 * gives one: 2020-01-01T00:00:00Z. A fixed date keeps builds reproducible by default; it is not 0
 * because RUN steps see it as SOURCE_DATE_EPOCH, and tools then write it as a real date (useradd's
 * last password change: day 0 means "must change the password now", and su refuses the user;
 * zip cannot store times before 1980). */
#define KILN_DEFAULT_EPOCH 1577836800LL

struct kiln_build_opts {
    const char *context;    /* the context directory; NULL when the Dockerfile comes from stdin */
    const char *dockerfile; /* path; NULL: CONTEXT/Dockerfile; "-" : stdin */
    char **tags;
    size_t ntags;
    struct kiln_kv *build_args;
    size_t nbuild_args;
    struct kiln_named_context *contexts;
    size_t ncontexts;
    const char *target;
    struct kiln_output output;
    const char *root; /* the store; NULL: store_default_root() */
    /* every timestamp of the image and the upper bound of every file time in its new layers;
     * also SOURCE_DATE_EPOCH in RUN steps. The CLI's default is KILN_DEFAULT_EPOCH. */
    int64_t source_date_epoch;
    struct kiln_kv *labels;
    size_t nlabels;
    struct kiln_kv *annotations;
    size_t nannotations;
    const char *platform; /* NULL: the host's */
    struct kiln_secret_opt *secrets;
    size_t nsecrets;
    bool no_cache;
    const char *cache_from; /* --cache-from type=registry,ref=REF: a shared cache to read */
    const char *cache_to;   /* --cache-to type=registry,ref=REF: where to push this build's */
    char **no_cache_filter;
    size_t nno_cache_filter;
    bool sbom;
    bool provenance;
    const char *sbom_out;
    enum kiln_network network; /* --network (RUN --network=default means this) */
    bool allow_network_host;   /* --allow network.host */
    char **allow_net;          /* --allow-net ADDR[/PREFIX][:PORT] or HOST[:PORT] */
    size_t nallow_net;
    uint64_t max_download; /* --max-download-size: bytes of one ADD <url>; 0: the default */
    bool allow_root_user;
    bool strict;
    uint64_t memory; /* 0: no limit */
    uint64_t pids_limit;
    uint64_t cpus_milli;
    uint64_t step_timeout;        /* seconds */
    uint64_t max_layer_size;      /* uncompressed bytes of a layer or local archive; 0: default */
    uint64_t max_file_size;       /* bytes of one file in one; 0: default */
    bool allow_unenforced_limits; /* --allow-unenforced-limits: a limit that cannot be applied
                                     is a warning, not an error */
    struct kiln_kv *extra_hosts;  /* --add-host: host name (lowercase) -> IP (canonical) */
    size_t nextra_hosts;
    struct kiln_ulimit ulimits[KILN_MAX_ULIMITS]; /* --ulimit, one per resource */
    size_t nulimits;
    uint64_t shm_size;        /* --shm-size: bytes of /dev/shm in RUN steps; 0: 64 MiB */
    struct kiln_ssh_opt *ssh; /* --ssh */
    size_t nssh;
    struct kiln_registry_opts registry; /* pulls, pushes, the registry cache */
    struct kiln_progress progress;
};

struct kiln_build_result {
    char manifest_digest[KILN_DIGEST_MAX]; /* the image manifest */
    char index_digest[KILN_DIGEST_MAX];    /* the index written to the output, or "" */
    char config_digest[KILN_DIGEST_MAX];   /* the image config */
    /* What the output's name points to (buildx's containerimage.descriptor): the index with
     * the attestations, or the image manifest (always for type=docker); digest "" for the local
     * and tar outputs, which export files rather than an image. */
    char exported_media_type[128];
    char exported_digest[KILN_DIGEST_MAX];
    uint64_t exported_size;
    size_t nlayers;
};

int kiln_build(const struct kiln_build_opts *opts, struct kiln_build_result *res,
               kiln_error_t **err);

/* Loads libarchive, which kiln is not linked against (it is loaded by an absolute path only
 * when a command needs it; builder/dynlib/dynlib.h). Every command that may read a layer or an
 * archive calls it in the main thread before any thread or child exists; later calls return
 * the first result. */
int kiln_load_archive(kiln_error_t **err);

/* Flags of kiln build whose values the library reads, as buildx and Docker do (errors:
 * KILN_EUSAGE in their wording). Each adds to opts. */
/* --add-host HOST:IP or HOST=IP (IP may be a ',' list); "host-gateway" is refused. */
int kiln_build_add_host(struct kiln_build_opts *opts, const char *value, kiln_error_t **err);
/* --ulimit NAME=SOFT[:HARD] (Docker's names, -1 unlimited); a later one replaces. */
int kiln_build_ulimit(struct kiln_build_opts *opts, const char *value, kiln_error_t **err);

/* What buildx writes besides the build: kiln_build_report_prepare before kiln_build (a stale
 * --iidfile is removed, so a failed build leaves none), kiln_build_report_write after it
 * succeeded (each file written atomically). */
struct kiln_build_report {
    const char *iidfile;       /* --iidfile: the image ID; NULL: none */
    const char *metadata_file; /* --metadata-file: buildx's JSON (exporter response keys) */
};
int kiln_build_report_prepare(const struct kiln_build_report *r, kiln_error_t **err);
int kiln_build_report_write(const struct kiln_build_report *r, const struct kiln_build_opts *o,
                            const struct kiln_build_result *res, kiln_error_t **err);
/* The image ID as buildx gives it: the config digest when the output's name points to one
 * image manifest, else the digest of the index it points to. */
const char *kiln_build_image_id(const struct kiln_build_result *res);

const char *kiln_version(void);

#endif
