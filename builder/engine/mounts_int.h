/* Internal to the RUN mounts of builder/engine (mounts*.c). */
#ifndef KILN_ENGINE_MOUNTS_INT_H
#define KILN_ENGINE_MOUNTS_INT_H

#include "mounts.h"

struct step_mount {
    struct df_mount m;           /* parsed again with the step's variables when deferred */
    const struct df_mount *orig; /* the frontend's (the plan's dependencies point to it) */
    char *target;                /* absolute and clean; NULL: an env-only secret */
    char *id;                    /* secret and cache id */
    const struct secret *secret; /* NULL: an optional secret that was not given */
    struct view *view;           /* bind source, cache from=: borrowed; NULL: none */
    char *src;                   /* clean absolute path in view */
    bool context;                /* view is the main context */
    char *cache_name;            /* cache/mounts/<hex>, relative to the store */
    int lockfd;                  /* the cache's lock, held while the step runs */
    char *tmp;                   /* a private directory under ROOT/tmp, removed afterwards */
    char *host;                  /* the host path the sandbox binds */
    const char *agent;           /* ssh: the agent forwarded (--ssh), NULL when not given */
    struct ssh_proxy *proxy;     /* ssh: the step's socket, while it runs */
};

/* mounts_cache.c: locks the cache of sm (sharing), creates it when missing (mode, owner,
 * from= content) and sets sm->host to the directory the step gets. */
int mounts_cache_open(struct build *b, struct step_mount *sm, const struct idmap *map,
                      kiln_error_t **err);

/* mounts_tree.c: bind sources and cache seeds. path is a clean absolute path in v; context:
 * the main context (.dockerignore applies, files become container root's). */
int mounts_tree_digest(struct build *b, struct view *v, const char *path, bool context,
                       char out[DIGEST_STR_LEN + 1], kiln_error_t **err);
/* Copies the entry at path (recursively) to destdir/name (name must not exist). Owners: the
 * main context's files become container root's; a stage's keep theirs (as root). */
int mounts_tree_copy(struct build *b, struct view *v, const char *path, bool context,
                     const struct idmap *map, int destdir, const char *name, kiln_error_t **err);
/* A private directory ROOT/tmp/mnt-XXXX in sm->tmp (a bind's copy, a busy private cache). */
int mounts_make_tmp(struct build *b, struct step_mount *sm, kiln_error_t **err);

#endif
