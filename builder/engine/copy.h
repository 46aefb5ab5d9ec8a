/* COPY and ADD in three phases: plan (select sources, apply Docker's destination rules, decide
 * owners and modes), key (hash the plan with the content of every file, for the step cache),
 * write (stream the plan into a layer). The plan fully determines the layer. */
#ifndef KILN_ENGINE_COPY_H
#define KILN_ENGINE_COPY_H

#include <sys/stat.h>

#include "build.h"
#include "instr.h"
#include "cache/hashindex.h"
#include "cache/stepcache.h"
#include "layer/layer_writer.h"
#include "net/fetch.h"
#include "strset.h"

enum plan_kind {
    PLAN_DIR,
    PLAN_FILE,
    PLAN_SYMLINK,
    PLAN_FIFO,
    PLAN_ARCHIVE,
    PLAN_INLINE,
    PLAN_HARDLINK, /* a second name of a FILE planned before (link: its target) */
    PLAN_URL
};

/* ADD <url>: one remote source, fetched when the plan is keyed (with --checksum: only when the
 * step cache misses, then verified). */
struct copy_url {
    char *url;
    int fd; /* the body, an unnamed file in the store's tmp dir; -1 until fetched */
    struct fetch_result res;
};

struct plan_entry { /* 88 bytes: a COPY of 50,000 files holds 50,000 of them */
    enum plan_kind kind;
    mode_t perm;
    uint32_t uid, gid;
    uint32_t url; /* PLAN_URL: index in j->urls */
    /* FILE: the source's identity when it was planned, for the hash index (the key of an
     * unchanged file then costs no open and no read) */
    bool has_id;
    struct hashindex_id id;
    char *target; /* absolute path in the image */
    char *src;    /* path in the source view (FILE, ARCHIVE) */
    char *link;   /* SYMLINK target; INLINE: the file's content (a heredoc); HARDLINK: the
                   * target of the FILE entry it links to */
};

struct copy_job {
    struct build *b;
    struct build_stage *st;
    const struct df_instr *in;
    bool is_add;
    struct view *src;    /* where sources come from */
    bool src_is_context; /* the main context: .dockerignore applies */
    struct view *dest;   /* the stage's rootfs */
    struct layer_writer *w;
    bool chown;
    uint32_t uid, gid;
    bool chmod;
    unsigned mode;
    struct strset emitted;        /* directories already planned (or written) */
    struct dockerignore *exclude; /* --exclude patterns, relative to each source */
    const char *src_root;         /* the source being copied (for --exclude) */
    bool parents;                 /* --parents: keep the source's path under the destination */
    struct plan_entry *plan;
    size_t nplan, capplan;
    struct copy_url *urls; /* ADD <url> sources, in source order */
    size_t nurls;
    char checksum[DIGEST_STR_LEN + 1]; /* ADD --checksum, or "" */
    struct copy_inode *inodes;         /* sources with more than one link, by inode: hard links */
    size_t ninodes, capinodes;
};

/* A source file seen with st_nlink > 1 and where it was planned: another name of the same
 * inode within the same COPY becomes a tar hard link to it, as BuildKit's layers have them. */
struct copy_inode {
    dev_t dev;
    ino_t ino;
    char *target;
};

/* copy_instr.c: resolves a destination path in the image: symlinks of the existing part
 * resolve inside the root, missing components are kept as they are (they will be created).
 * -1 with errno. */
int copy_dest_resolve(struct view *v, const char *path, char **out);

/* copy_url.c: ADD <url> */
/* An http(s) URL (an ADD source that is downloaded). */
bool copy_is_remote(const char *word);
/* A git repository URL (ADD of one is not supported yet). */
bool copy_is_git(const char *word);
/* ADD --checksum (expanded) into j->checksum, with BuildKit's rules for the sources. */
int copy_url_checksum(struct copy_job *j, char **words, size_t nsrc, kiln_error_t **err);
/* Registers a URL source (j->urls). */
void copy_url_add(struct copy_job *j, const char *url);
/* Plans URL source idx at target (the file name rule is the caller's: url_file_name). */
int copy_plan_url(struct copy_job *j, size_t idx, const char *target, kiln_error_t **err);
/* The cache key part of a PLAN_URL entry: the content digest and Last-Modified (fetching it),
 * or with --checksum the checksum alone. */
int copy_url_key(struct copy_job *j, const struct plan_entry *p, struct cache_key *k,
                 kiln_error_t **err);
/* Writes a PLAN_URL entry into j->w (fetching it when the key did not). */
int copy_url_write(struct copy_job *j, const struct plan_entry *p, kiln_error_t **err);
void copy_url_release(struct copy_job *j);
/* copy_walk.c: adds an entry to the plan */
int copy_plan_push(struct copy_job *j, enum plan_kind kind, const char *target, const char *src,
                   const char *link, mode_t perm, uint32_t uid, uint32_t gid, kiln_error_t **err);

/* Plans the parent chain of target (absolute, canonical): every directory missing in the image
 * and not yet planned, as 0755 owned by the --chown owner (BuildKit's mkdir). --chmod applies to
 * the copied entries only. */
int copy_parents(struct copy_job *j, const char *target, kiln_error_t **err);
/* Plans the source path (canonical in j->src, with its stat) at the image path target. */
int copy_tree(struct copy_job *j, const char *src, const struct stat *st, const char *target,
              kiln_error_t **err);
/* ADD: true when the regular file src is a tar archive (plain, gzip, bzip2, xz). */
bool copy_is_archive(struct copy_job *j, const char *src);
/* Plans a file whose content is given (COPY <<EOF), at target. */
int copy_plan_inline(struct copy_job *j, const char *content, const char *target,
                     kiln_error_t **err);
/* Plans the extraction of the archive src under target. */
int copy_plan_archive(struct copy_job *j, const char *src, const char *target, kiln_error_t **err);

/* Adds the plan (with file contents by digest) to a cache key. */
int copy_plan_key(struct copy_job *j, struct cache_key *k, kiln_error_t **err);
/* Writes the plan into j->w. */
int copy_plan_write(struct copy_job *j, kiln_error_t **err);
void copy_plan_release(struct copy_job *j);

#endif
