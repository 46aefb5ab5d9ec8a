/* The build driver's internal state, shared by the files of builder/engine/.
 *
 * build.c     kiln_build(): store, Dockerfile, contexts, stage order, export
 * stage.c     building one stage: FROM, then each instruction through the dispatch table
 * dispatch.c  the metadata instructions (ENV, LABEL, ARG, WORKDIR, USER, CMD, ...)
 * copy.c      COPY and ADD
 * run.c       RUN (the sandbox)
 * vars.c      variable lookup and ARG scoping
 * context.c   the main and named build contexts
 * users.c     user and group names through the image's /etc/passwd and /etc/group
 * export.c    the output (OCI layout directory or archive, docker tarball, registry)
 * export_files.c  the final stage's files (local and tar outputs)
 * secrets.c   --secret values, held in memory only, and their keyed hashes
 * mounts*.c   RUN --mount (secret, cache, bind, tmpfs)
 * leakcheck.c the leak scan of every layer, the config and the attestations
 * network.c   the destination policy (RUN's default network, ADD <url>) and proxy build args
 */
#ifndef KILN_BUILD_H
#define KILN_BUILD_H

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>

#include "dockerfile.h"
#include "cache/hashindex.h"
#include "dockerignore.h"
#include "kiln/kiln.h"
#include "net/netpolicy.h"
#include "oci/image.h"
#include "sandbox/idmap.h"
#include "secrets.h"
#include "snapshot/view.h"
#include "strset.h"
#include "store/store.h"

#define BUILD_MAX_CONTEXT_ENTRIES 1000000u                           /* files one COPY may select */
#define RUN_EMPTY_LAYER           "application/vnd.kiln.empty-layer" /* record of a no-change RUN */

enum stage_state { STAGE_PENDING, STAGE_BUILDING, STAGE_DONE, STAGE_FAILED };

struct build_stage {
    struct df_stage *df;
    enum stage_state state; /* guarded by build.lock */
    pthread_t owner;        /* the thread building it */
    struct image *img;
    struct kiln_kv *args; /* ARGs declared in this stage; value NULL: declared, unset */
    size_t nargs;
    char **snapshots; /* snapshot directory per layer of img, filled lazily */
    size_t nsnapshots;
    struct view *view; /* over snapshots; NULL until needed, reset when layers change */
    int user_line;     /* line of the USER (or FROM) that set the effective user */
    char base_digest[DIGEST_STR_LEN + 1]; /* the resolved base manifest, "" for scratch */
    char *base_ref;                 /* the base as resolved (for provenance), NULL for scratch */
    char *title;                    /* stage name for progress: the AS name or "stage-N" */
    char chain[DIGEST_STR_LEN + 1]; /* cache key chain: the base, then each layer */
    bool cmd_set;                   /* CMD set in this stage (ENTRYPOINT resets an inherited CMD) */
};

struct build_context {
    char *name;
    enum kiln_context_type type;
    char *path;
    char *ref;
    struct view *view; /* a directory context */
};

struct build {
    const struct kiln_build_opts *o;
    struct store *store;
    char *dfname; /* "Dockerfile" as error messages call it */
    char *df_data;
    size_t df_len;
    char df_digest[DIGEST_STR_LEN + 1];
    struct df_file *df;
    struct view *ctx_view; /* the main context; NULL when the Dockerfile came from stdin */
    struct dockerignore *ignore;
    struct build_context *contexts;
    size_t ncontexts;
    struct build_stage *stages;
    size_t nstages;
    struct build_stage **externals; /* images COPY --from names (registry or layout), by title */
    size_t nexternals;
    struct kiln_kv *meta; /* global ARGs with their values */
    size_t nmeta;
    bool *arg_used; /* per o->build_args */
    int64_t epoch;
    const char *os, *arch, *variant;
    struct idmap idmap;       /* the store's id map: views show host ids (owners.c) */
    int step;                 /* progress step counter */
    struct hashindex *hashes; /* content digests of context files, across builds */
    json_t *cache_from;       /* --cache-from: records {key: record} of the shared cache */
    json_t *cache_used;       /* records this build used or made, for --cache-to */
    pthread_mutex_t lock;     /* progress callbacks, step numbers, new_layers, arg_used */
    pthread_cond_t stage_cv;  /* a stage changed state */
    sem_t slots;              /* stages running their steps at once (the number of cores) */
    bool failed;              /* some stage failed: the others stop at their next step */
    char **new_layers;        /* blobs this build created (removed again if the build fails) */
    size_t nnew_layers;
    struct strset scanned;   /* cached layers the leak scan has seen in this build (b->lock) */
    struct strset warned;    /* warnings printed (b->lock): each is printed once */
    struct secrets *secrets; /* --secret values, loaded before anything else */
    struct ssh_agents *ssh;  /* --ssh agents (ssh.h), or NULL */
    struct netpolicy net;    /* what RUN (default network) and ADD <url> may reach */
};

/* schedule.c: stages in dependency order, independent ones in parallel threads */
/* Builds st (and first what it depends on) unless it is built or being built by another thread,
 * in which case it waits for that. */
int stage_build(struct build *b, struct build_stage *st, kiln_error_t **err);
/* Fails on a dependency cycle among the stages the target needs. */
int schedule_check(struct build *b, struct build_stage *target, kiln_error_t **err);
/* The stages st needs before its steps (FROM <stage>, COPY --from, RUN --mount from=). */
size_t stage_dependencies(struct build *b, struct build_stage *st, struct build_stage **deps,
                          size_t max);

/* owners.c */
/* The container ids of a file a stage's view shows: views of snapshots show host ids (the
 * store's mapped range, sandbox/idmap.h); an id outside the map is nobody (65534), as the
 * differ writes it. */
void build_container_owner(const struct build *b, const struct stat *st, uint32_t *uid,
                           uint32_t *gid);

/* stage.c */
/* The steps of one stage, once its dependencies are built. */
int stage_run(struct build *b, struct build_stage *st, kiln_error_t **err);
struct build_stage *stage_find(struct build *b, const char *name_or_index);
/* An image named by COPY --from (a named layout or docker-image context, or a registry
 * reference), pulled or imported once per build, as a built stage whose view can be read. */
int external_image(struct build *b, const char *name, struct build_stage **out, kiln_error_t **err);
/* The view of a stage's current rootfs (unpacking snapshots as needed). */
int stage_view(struct build *b, struct build_stage *st, struct view **out, kiln_error_t **err);
/* Whether the step cache may be read for this stage (--no-cache, --no-cache-filter). */
bool build_cache_enabled(struct build *b, struct build_stage *st);
/* Adds a new layer to the stage's image, extends the cache chain, invalidates the view. */
int stage_add_layer(struct build *b, struct build_stage *st, const char *digest,
                    const char *diff_id, uint64_t size, const char *media_type, kiln_error_t **err);
/* Raises "Dockerfile:LINE: INSTR: msg" for an instruction. */
int instr_err(struct build *b, const struct df_instr *in, kiln_error_t **err, enum kiln_code code,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Wraps *err with "Dockerfile:LINE: INSTR". */
int instr_wrap(struct build *b, const struct df_instr *in, kiln_error_t **err);

/* steps.c */
void build_log(struct build *b, enum kiln_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Output of the current step (RUN). */
void build_output(struct build *b, const char *data, size_t len);
/* The current step of this thread was a cache hit. */
void build_mark_cached(struct build *b);
int build_current_step(void);
void build_set_current_step(int id);
int step_begin(struct build *b, struct build_stage *st, size_t i, const char *text);
void step_end(struct build *b, int id, double start, const kiln_error_t *err);
/* Records a layer blob this build created. */
void build_note_layer(struct build *b, const char *digest);
double now_seconds(void);

/* dispatch.c: one function per instruction, looked up by df_cmd. */
typedef int (*dispatch_fn)(struct build *b, struct build_stage *st, const struct df_instr *in,
                           kiln_error_t **err);
dispatch_fn dispatch_lookup(enum df_cmd cmd);

/* copy.c */
int dispatch_copy(struct build *b, struct build_stage *st, const struct df_instr *in,
                  kiln_error_t **err);
/* Resolves a destination path in the image: symlinks of the existing part resolve inside the
 * root, missing components are kept as they are (they will be created). -1 with errno. */
int dest_resolve(struct view *v, const char *path, char **out);
/* run.c */
int dispatch_run(struct build *b, struct build_stage *st, const struct df_instr *in,
                 kiln_error_t **err);

/* vars.c */
/* Expands word with the stage's environment (ENV over ARG); st NULL: the global ARGs. */
int vars_expand(struct build *b, struct build_stage *st, const char *word, char **out,
                kiln_error_t **err);
/* A heredoc body as COPY/ADD write it: variables expanded, quotes kept. */
int vars_expand_heredoc(struct build *b, struct build_stage *st, const char *body, char **out,
                        kiln_error_t **err);
int vars_expand_words(struct build *b, struct build_stage *st, const char *line, char ***out,
                      size_t *n, kiln_error_t **err);
/* Resolves the ARGs before the first FROM. */
int vars_init_meta(struct build *b, kiln_error_t **err);
/* ARG in a stage: declares NAME with its value (build arg, global ARG, or default). */
int vars_declare_arg(struct build *b, struct build_stage *st, const char *name, const char *value);
/* A --build-arg value, marking it used; NULL when not given. */
const char *vars_build_arg(struct build *b, const char *name, bool *given);
/* The value of an ARG visible in the stage, or NULL. */
const char *vars_stage_arg(struct build_stage *st, const char *name);

/* context.c */
int context_open(struct build *b, kiln_error_t **err);
struct build_context *context_find(struct build *b, const char *name);
/* Imports an oci-layout named context into the store; the manifest digest in out. */
int context_import_layout(struct build *b, struct build_context *c, char out[DIGEST_STR_LEN + 1],
                          kiln_error_t **err);

/* users.c */
/* Resolves "user[:group]" (names or numbers) through view's /etc/passwd and /etc/group.
 * Without a group, the gid is the user's primary group from passwd when passwd_group (a
 * process's credentials), else the uid (Docker's --chown rule). A name missing from the files
 * is a KILN_EINPUT error. */
int users_resolve(struct view *v, const char *spec, bool passwd_group, uint32_t *uid, uint32_t *gid,
                  kiln_error_t **err);

/* buildkit_args.c: BuildKit's predefined build arguments (BUILDKIT_*), each used or ignored
 * with a warning (buildkit_args_check, once per build); none is an "unused" build argument. */
bool buildkit_arg_predefined(const char *name);
void buildkit_args_check(struct build *b);
/* BUILDKIT_CACHE_MOUNT_NS, or NULL. */
const char *buildkit_cache_ns(struct build *b);

/* policy.c */
#define POLICY_ANNOTATION "dev.kiln.policy.allow-root-user"
/* Fails with KILN_EPOLICY ("Dockerfile:N: ...") when the final image would run as root. */
int policy_check_user(struct build *b, struct build_stage *final, kiln_error_t **err);
/* FROM scratch with no CMD and no ENTRYPOINT: a stage whose files are the product. */
bool policy_artifact_stage(struct build *b, struct build_stage *st);

/* leakcheck.c: the leak scan (DESIGN.md, Secrets). Every layer of every stage is scanned once:
 * while its step writes it (layer_writer_scan with build_scanner), so a leaking layer never
 * reaches the store, or when a step takes it from the cache (build_scan_cached). Before
 * anything is written the exporter scans the config, annotations and attestations.
 * Each fails with KILN_ELEAK, "secret 'ID' found in WHAT", when a secret of the build (its
 * bytes, hex or base64) is in what it scans; with no secrets they return 0 at once. */
/* The scanner for layer_writer_scan, or NULL when the build has no secret to look for. */
const struct leakscan *build_scanner(struct build *b);
/* A blob held in memory: an attestation (SBOM, provenance) or any other document the exporter
 * writes. what names it in the message ("the SPDX SBOM"). */
int build_scan_blob(struct build *b, const char *what, const void *p, size_t n, kiln_error_t **err);
/* The same for a blob already in the store (read in chunks, never whole). */
int build_scan_stored(struct build *b, const char *what, const char *digest, kiln_error_t **err);
/* A layer a step of st takes from the step cache (this store's or --cache-from's), entry by
 * entry, once per build: "step cache: ... found in layer INDEX (path P)", INDEX being the place
 * it would take in the image. A leak removes the blob, its snapshot and the record of key. */
struct step_record;
int build_scan_cached(struct build *b, struct build_stage *st, const char *key,
                      const struct step_record *r, kiln_error_t **err);
/* The final image before it is committed: the config and the manifest annotations (may be
 * NULL); its layers were scanned when they were committed. */
int build_scan_image(struct build *b, struct build_stage *final, json_t *annotations,
                     kiln_error_t **err);
/* The in-toto statements of the attestation manifests in top (an index made by
 * attestations_attach; an image manifest has none): "... found in the attestation
 * PREDICATE-TYPE". The blobs of a leaking attestation and the index are removed. */
int build_scan_attestations(struct build *b, const struct oci_desc *top, kiln_error_t **err);
/* After a leak: removes every layer blob of this build, and its snapshot, from the store. */
void build_drop_layers(struct build *b);

/* cache_remote.c: the step cache of the store plus one shared through a registry */
struct step_record;
/* A usable record for key: 1 (cache hit, noted for --cache-to), 0 (miss), -1 when its layer
 * holds a secret of the build (build_scan_cached). */
int build_cache_get(struct build *b, struct build_stage *st, const char *key, struct step_record *r,
                    kiln_error_t **err);
/* Records a new step in the store (and for --cache-to). */
void build_cache_put(struct build *b, const char *key, const struct step_record *r);
void build_cache_note(struct build *b, const char *key, const struct step_record *r);
int cache_remote_import(struct build *b, kiln_error_t **err);
int cache_remote_export(struct build *b, kiln_error_t **err);

/* network.c */
#define BUILD_MAX_DOWNLOAD (4ull << 30) /* ADD <url> without --max-download-size */
/* The build's destination policy: the host's addresses, --allow-net, and the operator's proxy
 * build args (a proxy given on the command line is allowed: the operator named it). */
int build_network_init(struct build *b, kiln_error_t **err);
/* The operator's proxy build args (HTTP_PROXY, HTTPS_PROXY, FTP_PROXY, NO_PROXY, ALL_PROXY, in
 * either case) as "K=V" for a RUN step's environment, as BuildKit passes them: not declared,
 * not in the history, the config or the cache key. Entries env already has are skipped. */
void build_proxy_env(struct build *b, char *const *env, size_t nenv, char ***out, size_t *n);
/* The proxy build arg for a URL's scheme ("https" → HTTPS_PROXY, https_proxy, ALL_PROXY...),
 * or NULL; *no_proxy the NO_PROXY value or NULL. */
const char *build_proxy_for(struct build *b, const char *scheme, const char **no_proxy);
/* What to tell the user when a RUN step failed on this network, from its last output, or "". */
const char *build_network_hint(int network, const char *tail);

/* attestations.c */
/* With --sbom/--provenance (the defaults): generates the documents, stores them in an
 * attestation manifest about image, and an index of both; *top is that index (else image). */
int attestations_attach(struct build *b, struct build_stage *final, const struct oci_desc *image,
                        struct oci_desc *top, kiln_error_t **err);

/* export.c */
int export_image(struct build *b, struct build_stage *final, struct kiln_build_result *res,
                 kiln_error_t **err);
/* export_files.c: the final stage's files (type=local: a new directory; type=tar: one tar, "-"
 * for stdout), written atomically (except to stdout). */
int export_local(struct build *b, struct build_stage *final, const char *dest, kiln_error_t **err);
int export_tar(struct build *b, struct build_stage *final, const char *dest, kiln_error_t **err);

void build_stage_release(struct build_stage *st);

#endif
