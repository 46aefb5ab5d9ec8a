/* Shared state of the linter's files (internal to frontend/lint/).
 *
 * lint.c           lint_run(), configuration, the result (sorted, deduplicated findings)
 * lint_rules.c     the rule table
 * lint_parse.c     rules on the syntax alone: casing, stage names, MAINTAINER, descriptions
 * lint_from.c      FROM: ARGs in FROM, --platform, base image name, tag and digest
 * lint_dispatch.c  each stage's instructions in order over the plan a build would run
 *                  (stages.h) and the stage's scope (expand.h): UndefinedVar and the
 *                  per-instruction rules
 * lint_copy.c      COPY and ADD
 * lint_expose.c    EXPOSE
 * lint_scope.c     sets of names, and expansion in the global scope that records what it
 *                  looked up (a stage's expansions report through its scope's observer)
 * lint_shell.c     RUN command lines split into pipelines and simple commands
 * lint_run.c       kiln's rules on RUN commands (curl | sh, sudo, apt-get, chmod)
 * lint_secret.c    secret-looking names (BuildKit) and token formats (kiln), masking
 * lint_ref.c       image references: validity, tag, digest
 * lint_output.c    text, JSON and SARIF
 */
#ifndef KILN_FRONTEND_LINT_INTERNAL_H
#define KILN_FRONTEND_LINT_INTERNAL_H

#include "frontend/expand.h"
#include "frontend/lint/lint.h"
#include "frontend/stages.h"

/* A set of names, in insertion order, no duplicates. */
struct lint_names {
    char **v;
    size_t n;
};
void lint_names_add(struct lint_names *s, const char *name);
bool lint_names_has(const struct lint_names *s, const char *name);
void lint_names_copy(struct lint_names *dst, const struct lint_names *src);
void lint_names_release(struct lint_names *s);

/* What the dispatch of a stage leaves for the stages built on it and for FinalUserRoot. */
struct lint_stage {
    int base;                    /* the earlier stage FROM names (the plan's), or -1 */
    bool scratch;                /* FROM scratch */
    bool image;                  /* FROM an image (not scratch, a stage or a named context) */
    struct df_scope scope;       /* the stage's variables (expand.h), at the end of the stage */
    bool env_unknown;            /* based on an image or a named context (Env not known) */
    bool shell_set;              /* a SHELL in the stage or its base stages */
    bool workdir_set;            /* an absolute-or-not WORKDIR in the stage or its base stages */
    bool runs;                   /* a CMD or ENTRYPOINT in the stage or its base stages */
    bool windows;                /* the stage's platform is windows/... (paths as Windows') */
    const struct df_instr *user; /* the last USER (here or in base stages), or NULL */
    char *user_value;            /* its value, expanded as far as known */
};

struct lint_ctx {
    const struct df_file *f;
    const struct lint_opts *o;
    struct lint_result *r;
    struct df_vars global;          /* platform ARGs and meta ARGs, build args applied */
    struct df_vars global_defaults; /* the same with defaults only (no build args) */
    struct lint_names meta_names;   /* meta ARG names (declared, with or without value) */
    struct df_plan *plan;           /* the stage graph a build would use (stages.h) */
    struct lint_stage *stages;      /* one per stage of f */
};

/* Reports a finding for the instruction in (its check comment may skip the rule; NULL: the
 * file's configuration only). Takes ownership of msg and fix (fix may be NULL). */
void lint_emit(struct lint_ctx *c, const struct df_instr *in, enum lint_rule_id id, char *msg,
               char *fix);
/* The same with an explicit line range (MultipleInstructionsDisallowed names the earlier one). */
void lint_emit_at(struct lint_ctx *c, const struct df_instr *in, enum lint_rule_id id, int line,
                  int end_line, char *msg, char *fix);
/* Whether rule id runs for instruction in (NULL: the file's configuration). */
bool lint_enabled(struct lint_ctx *c, const struct df_instr *in, enum lint_rule_id id);

/* lint_parse.c */
void lint_parse_checks(struct lint_ctx *c);
/* lint_from.c */
void lint_from_checks(struct lint_ctx *c, size_t stage);
/* lint_dispatch.c */
void lint_dispatch_stage(struct lint_ctx *c, size_t stage);
void lint_dispatch_final_user(struct lint_ctx *c);
/* The dispatch of one stage. Every expansion in the stage's scope reports UndefinedVar for the
 * instruction in, through the scope's observer. */
struct lint_dispatch {
    struct lint_ctx *c;
    struct lint_stage *ls;
    const struct df_stage *stage;
    const struct df_instr *in;                             /* the instruction being dispatched */
    struct lint_names unmatched;                           /* names its expansions found unset */
    const struct df_instr *cmd, *entrypoint, *healthcheck; /* the last of each in the stage */
};
/* Expands word in the stage's variables (reporting UndefinedVar); NULL when it does not
 * expand. heredoc: a COPY/ADD heredoc body. */
char *lint_dispatch_expand(struct lint_dispatch *d, const char *word, bool heredoc);
/* lint_copy.c: COPY and ADD (CopyIgnoredFile, AddRemoteWithoutChecksum, --chmod) */
void lint_copy_instr(struct lint_dispatch *d, const struct df_instr *in);
/* lint_expose.c: EXPOSE (ExposeProtoCasing, ExposeInvalidFormat, ExposeSsh) */
void lint_expose_instr(struct lint_dispatch *d, const struct df_instr *in);
/* lint_run.c: kiln's rules on one RUN instruction */
void lint_run_commands(struct lint_ctx *c, const struct df_instr *in);
/* ChmodWorldWritable on a mode (octal or symbolic): true when it lets others write. */
bool lint_run_mode_world_writable(const char *mode);

/* lint_scope.c */
/* Expands word with vars as BuildKit's ProcessWord; names looked up go to matched (set) or
 * unmatched (unset), either may be NULL. heredoc: the rules of COPY/ADD heredoc bodies.
 * Returns NULL when the word does not expand (the build would fail there, not the linter). */
char *lint_scope_expand(const struct df_vars *vars, char escape, const char *word, bool heredoc,
                        struct lint_names *matched, struct lint_names *unmatched);
/* True for a variable that official images commonly set in their config Env (GOPATH,
 * PYTHON_VERSION, JAVA_HOME, ...): not reported when the base image's Env is not known. */
bool lint_scope_image_env(const char *name);

/* Whether a WORKDIR, COPY or ADD path is absolute for the stage's OS, as BuildKit's
 * system.IsAbs: on Windows a "C:" drive is removed ("C:\\go" is absolute, "D:\\x" and "C:"
 * alone are errors, so not absolute), backslashes are separators and UNC paths are refused.
 * *clean (may be NULL) gets the path without its drive, with '/' separators, cleaned, or NULL. */
bool lint_path_abs(const char *p, bool windows, char **clean);
/* The OS part of a platform ("windows/amd64" -> windows), lowercase; newly allocated. */
char *lint_platform_os(const char *platform);

/* lint_secret.c */
/* BuildKit's secret-name test for ARG/ENV keys (SecretsUsedInArgOrEnv). */
bool lint_secret_name(const char *key);
/* The first credential-looking token in s: 1 and *kind (a static description) and *masked (a
 * newly allocated masked form) when found, 0 otherwise. */
int lint_secret_token(const char *s, const char **kind, char **masked);
/* s (len bytes) with every credential-looking token masked ("ghp_****"), newly allocated: for
 * the source excerpts of the text output. */
char *lint_secret_redact(const char *s, size_t len);

/* lint_ref.c */
/* reference.ParseNormalizedNamed: whether s is a valid image reference. */
bool lint_ref_valid(const char *s);
/* The tag of a reference (newly allocated in *tag, NULL when none) and whether it has a
 * digest. */
void lint_ref_split(const char *s, char **tag, bool *digest);

/* lint_shell.c: a shell command line as simple commands (words unquoted), each with the
 * index of its pipeline (commands joined by '|' share it). Command and process substitutions
 * are kept as text inside the words. */
struct lint_cmd {
    char **words;
    size_t nwords;
    size_t pipeline;
};
struct lint_cmds {
    struct lint_cmd *v;
    size_t n;
};
void lint_shell_split(const char *script, struct lint_cmds *out);
void lint_shell_release(struct lint_cmds *c);
/* The command word of cmd after assignments and wrappers (sudo, env, exec, command, nice,
 * time), as a base name; *sudo tells whether sudo was among the wrappers. NULL when none.
 * *first is set to the index of the word after the command word. */
const char *lint_shell_command(const struct lint_cmd *cmd, bool *sudo, size_t *first);

#endif
