/* The Dockerfile AST: what the frontend hands to the builder.
 *
 * The frontend is pure: it reads bytes and returns this structure (or an error naming
 * "Dockerfile:LINE"). Strings are raw as written (quotes and variables unexpanded) unless a
 * field says otherwise; the builder expands them with shell_expand_*() in frontend/shell.h
 * at dispatch time, when the environment of the step is known (frontend/expand.h keeps the
 * ARG/ENV scope of a stage and says which parts of which instruction expand).
 *
 * Related headers: ast.h (the parser-level tree and BuildKit's dump format), and the build
 * plan the builder and the linter consume: expand.h (ARG/ENV scoping), stages.h (stage graph,
 * --target, build order, ONBUILD triggers), args.h (BuildKit's predefined build args, the
 * default PATH); dockerignore.h (.dockerignore matching).
 *
 * Validation follows BuildKit's parser and instructions packages: what BuildKit refuses at
 * parse time is refused here with BuildKit's words, prefixed "NAME:LINE: ".
 *
 * Ownership: everything is owned by the struct df_file and freed by df_file_free().
 */
#ifndef KILN_FRONTEND_DOCKERFILE_H
#define KILN_FRONTEND_DOCKERFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln/error.h"

/* Limits on untrusted input (BuildKit's where it has one). */
#define DF_MAX_FILE_SIZE (4u * 1024 * 1024) /* bytes of a Dockerfile */
#define DF_MAX_LINE                                                                                \
    (64u * 1024) /* bytes of one line, its newline included: BuildKit's                            \
                    "dockerfile line greater than max allowed size                                 \
                    of 65535" */
#define DF_MAX_LOGICAL_LINE                                                                        \
    (1u * 1024 * 1024)                      /* bytes of one instruction, continuation lines        \
                                               joined */
#define DF_MAX_INSTRS    10000u             /* instructions in a file */
#define DF_MAX_HEREDOC   (1u * 1024 * 1024) /* bytes of one heredoc body */
#define DF_MAX_EXPANSION (1u * 1024 * 1024) /* bytes of one expanded word */

enum df_cmd {
    DF_ADD,
    DF_ARG,
    DF_CMD,
    DF_COPY,
    DF_ENTRYPOINT,
    DF_ENV,
    DF_EXPOSE,
    DF_FROM,
    DF_HEALTHCHECK,
    DF_LABEL,
    DF_MAINTAINER,
    DF_ONBUILD,
    DF_RUN,
    DF_SHELL,
    DF_STOPSIGNAL,
    DF_USER,
    DF_VOLUME,
    DF_WORKDIR,
    DF_CMD_COUNT
};

/* "--name=value" before the arguments; value is NULL for a bare "--name". */
struct df_flag {
    char *name; /* without the leading "--" */
    char *value;
};

struct df_heredoc {
    char *name;    /* the delimiter word, unquoted */
    char *content; /* the body, lines joined with '\n', ending in '\n' (tabs stripped for <<-) */
    bool expand;   /* false when the delimiter was quoted: no variable expansion */
    bool chomp;    /* <<- */
    unsigned fd;   /* the file descriptor written before "<<" (RUN 3<<EOF), else 0 */
};

/* A parser warning (BuildKit reports them through its linter). */
struct df_warning {
    int line;
    char *rule; /* the BuildKit lint rule, e.g. "NoEmptyContinuation" */
    char *msg;
};

/* RUN --mount=... (BuildKit's instructions.Mount). */
enum df_mount_type { DF_MOUNT_BIND, DF_MOUNT_CACHE, DF_MOUNT_TMPFS, DF_MOUNT_SECRET, DF_MOUNT_SSH };
enum df_mount_sharing {
    DF_SHARING_UNSET,
    DF_SHARING_SHARED,
    DF_SHARING_PRIVATE,
    DF_SHARING_LOCKED
};

struct df_mount {
    enum df_mount_type type;       /* type=, default bind */
    char *from;                    /* from=: stage, image or named context; NULL when unset */
    char *source;                  /* source= / src=; NULL when unset */
    char *target;                  /* target= / dst= / destination=; NULL when unset */
    bool readonly;                 /* ro/rw as given, else BuildKit's default: read-only except for
                                      cache and tmpfs */
    int64_t size;                  /* tmpfs size= in bytes, 0 when unset */
    char *id;                      /* id= (cache, secret or ssh id); NULL when unset */
    enum df_mount_sharing sharing; /* cache sharing=; UNSET means shared */
    bool required;                 /* secret and ssh */
    char *env;                     /* secret env=; NULL when unset, "" when set empty */
    bool has_mode, has_uid, has_gid; /* secret, ssh and cache only */
    uint32_t mode, uid, gid;
    /* Set when a value may change under expansion (it holds '$', a quote or the escape
     * character): such values are stored raw and not yet validated; the builder must call
     * df_mount_parse() again with its expander before using this mount. */
    bool deferred;
};

/* RUN --device=name[,required] */
struct df_device {
    char *name;
    bool required;
};

enum df_network { DF_NETWORK_DEFAULT, DF_NETWORK_NONE, DF_NETWORK_HOST };
enum df_security { DF_SECURITY_SANDBOX, DF_SECURITY_INSECURE };

/* COPY and ADD options, validated with BuildKit's flag rules. Strings are raw (the builder
 * expands chown, chmod and checksum; --from is never expanded). */
struct df_copy_opts {
    char *from;  /* COPY --from, NULL when unset */
    char *chown; /* NULL when unset */
    char *chmod;
    char *checksum; /* ADD */
    bool link;
    bool parents;     /* COPY */
    int keep_git_dir; /* ADD: -1 unset, else 0/1 */
    int unpack;       /* ADD: -1 unset, else 0/1 */
    char **exclude;   /* --exclude patterns in order */
    size_t nexclude;
};

/* HEALTHCHECK, parsed as BuildKit's dockerspec.HealthcheckConfig. Durations are in
 * nanoseconds, 0 when not given (the runtime default applies). */
struct df_healthcheck {
    char **test; /* ["NONE"], ["CMD", argv...] (exec form) or ["CMD-SHELL", "cmdline"] */
    size_t ntest;
    int64_t interval, timeout, start_period, start_interval;
    int retries;
};

/*
 * One instruction. The meaning of args depends on cmd:
 *   FROM          args = [image] or [image, "AS", name]            (raw)
 *   ENV, LABEL    args = [key1, value1, key2, value2, ...]         (raw words; "k v" legacy form
 *                                                                   gives one pair)
 *   ARG           args = ["NAME" | "NAME=default", ...]            (raw)
 *   RUN, CMD, ENTRYPOINT, SHELL
 *                 json: args = the array elements (decoded)
 *                 else: args = [the command line after the flags]  (raw, one string)
 *   COPY, ADD     json: decoded elements; else whitespace-separated raw words. Last = dest.
 *   EXPOSE        args = words (raw)
 *   VOLUME        json: decoded elements; else words (raw)
 *   WORKDIR, USER, STOPSIGNAL, MAINTAINER
 *                 args = [the rest of the line] (raw, one string)
 *   HEALTHCHECK   args = ["NONE"] or ["CMD", ...as for CMD...]   (json says which form; the
 *                 type word uppercased; parsed into health)
 *   ONBUILD       args = [the trigger expression as written, "\n" + body + delimiter appended
 *                 per heredoc: what BuildKit stores in the image's OnBuild], sub = its parsed
 *                 instruction
 */
struct df_instr {
    enum df_cmd cmd;
    int line;       /* 1-based first line */
    int end_line;   /* 1-based last line (heredoc bodies included) */
    char *keyword;  /* as written, e.g. "copy" (for casing checks) */
    char *original; /* the instruction text as written, continuations joined */
    struct df_flag *flags;
    size_t nflags;
    char **args;
    size_t nargs;
    bool json;
    struct df_heredoc *heredocs;
    size_t nheredocs;
    /* ONBUILD only: the trigger, parsed. NULL when the trigger does not validate: BuildKit
     * accepts it when the ONBUILD is defined and fails only when the image is used as a base;
     * a warning ("InvalidOnbuildTrigger") records why. */
    struct df_instr *sub;

    /* Added to the first interface; all optional for the builder. */
    char **comments; /* the comment lines right above (for "# check=" and lint) */
    size_t ncomments;
    bool kv_legacy;          /* ENV/LABEL written in the legacy "key value" form */
    char *as_keyword;        /* FROM ... AS name: "AS" as written (casing lint), else NULL */
    struct df_mount *mounts; /* RUN --mount, in order */
    size_t nmounts;
    enum df_network network;   /* RUN --network */
    enum df_security security; /* RUN --security */
    struct df_device *devices; /* RUN --device */
    size_t ndevices;
    struct df_copy_opts copy;      /* COPY, ADD */
    struct df_healthcheck *health; /* HEALTHCHECK */
};

struct df_stage {
    int index;
    char *name;               /* lowercased "AS" name, or NULL */
    char *base;               /* raw image reference as written (expanded by the builder) */
    char *platform;           /* raw --platform value, or NULL */
    struct df_instr *from;    /* points into instrs storage of the file (not freed separately) */
    struct df_instr **instrs; /* instructions after FROM, in order */
    size_t ninstrs;
};

struct df_file {
    char *name;                  /* the name given to df_parse(), for messages */
    char escape;                 /* '\\' or '`' */
    char *syntax;                /* "# syntax=" directive or NULL */
    char *check;                 /* "# check=" directive or NULL */
    struct df_warning *warnings; /* empty continuation lines, invalid ONBUILD triggers */
    size_t nwarnings;
    struct df_instr *instrs; /* every instruction in order (storage) */
    size_t ninstrs;
    struct df_instr **meta_args; /* ARGs before the first FROM */
    size_t nmeta_args;
    struct df_stage *stages;
    size_t nstages;
};

/* Parses a Dockerfile. name is what error messages call the file (usually "Dockerfile").
 * Errors: KILN_EINPUT "Dockerfile:LINE: ..." for a syntax error, KILN_ELIMIT over a limit. */
int df_parse(const char *name, const char *data, size_t len, struct df_file **out,
             kiln_error_t **err);
void df_file_free(struct df_file *f);
static inline void cleanup_df_filep(struct df_file **f)
{
    df_file_free(*f);
}
#define cleanup_df_file __attribute__((cleanup(cleanup_df_filep)))

/* Expands one word for the builder (see expand.h for one over a stage's variables): returns
 * 0 and a newly allocated *out, or -1 with *err set. */
typedef int (*df_expand_fn)(void *ctx, const char *word, char **out, kiln_error_t **err);

/* Parses one RUN --mount value as BuildKit's parseMount: CSV fields key=value (keys in any
 * case, aliases src, dst, destination, ro, rw, readwrite), every option validated with
 * BuildKit's words ("unexpected key 'x' in 'x=1'", "unsupported mount type \"x\"", ...).
 * With expand, every value is expanded first (the builder does this at dispatch time, with
 * the step's variables). Without expand (parse time) values are taken as written; a value
 * that could change under expansion ('$', a quote or the escape character in it) is kept raw
 * and marks the mount deferred; "from" must not hold a variable ("'from' doesn't support
 * variable expansion, define alias stage instead"). Release with df_mount_release(). */
int df_mount_parse(const char *spec, char escape, df_expand_fn expand, void *ctx,
                   struct df_mount *out, kiln_error_t **err);
void df_mount_release(struct df_mount *m);

/* BuildKit's dispatch-time defaults for a parsed (not deferred) mount: a secret's id (source,
 * else id, else the base name of target) and target (/run/secrets/<id> unless env= is set),
 * an ssh id ("default"), a cache id (the cleaned target). Strings are newly allocated or
 * NULL (target stays NULL for ssh: the agent socket path is the builder's choice). Errors:
 * "one of source, target required" (secret), "ssh does not support source". */
int df_mount_defaults(const struct df_mount *m, char **id, char **target, kiln_error_t **err);

/* The "# check=" directive (file level, or a comment right above an instruction), as
 * BuildKit's linter.ParseLintOptions: "skip=Rule1,Rule2;error=true;experimental=all". */
struct df_check {
    bool skip_all;
    char **skip; /* rule names, NULL-terminated */
    size_t nskip;
    bool experimental_all;
    char **experimental;
    size_t nexperimental;
    bool error; /* lint warnings fail the build */
};

/* Parses the value of a check directive (only up to its first space, as BuildKit). Errors:
 * invalid check option "x"; failed to parse check option "error=x": strconv.ParseBool:
 * parsing "x": invalid syntax. Release with df_check_release(). */
int df_check_parse(const char *value, struct df_check *out, kiln_error_t **err);
/* The check directive among an instruction's comments (the first "check=..." one): 1 and
 * *out when there is one that parses, 0 otherwise (BuildKit ignores a bad one there). */
int df_check_from_comments(char *const *comments, size_t n, struct df_check *out);
void df_check_release(struct df_check *c);

/* COPY/ADD: the heredoc a source argument names ("<<EOF", "<<-'EOF'"...), or NULL when the
 * argument is a path (BuildKit's parseSourcesAndDest). */
const struct df_heredoc *df_instr_heredoc_source(const struct df_instr *in, const char *arg);

/* "FROM" etc. for a command. */
const char *df_cmd_name(enum df_cmd cmd);
/* The value of flag `name` (last one wins), or NULL; *present tells a bare flag apart. */
const char *df_instr_flag(const struct df_instr *in, const char *name, bool *present);

#endif
