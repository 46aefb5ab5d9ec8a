/* The state of one build (kiln_build(), build.c): the options, the store, and one part per
 * concern, each declared with the functions that own it:
 *
 *   input     context.h      the Dockerfile, its .dockerignore, the main and named contexts
 *   plan      plan.h         the frontend's plan: build args, global scope, stage graph
 *   sched     schedule.h     the stages (stage.h), the images COPY --from names, the threads
 *   steps     steps.h        progress: step numbers, warnings printed once
 *   cache     build_cache.h  the step cache records used, --cache-from / --cache-to
 *   leak      leakcheck.h    the secrets, the layers scanned and created (removed on a leak)
 *   net       network.h      what RUN's default network and ADD <url> may reach
 *
 * Stages may build in parallel threads (schedule.h). What they share is guarded by one mutex,
 * b->lock; each part says which of its fields it guards. Everything else is either set before
 * the first stage starts and read-only afterwards, or belongs to one stage.
 */
#ifndef KILN_ENGINE_BUILD_H
#define KILN_ENGINE_BUILD_H

#include <pthread.h>
#include <stdint.h>

#include "build_cache.h"
#include "context.h"
#include "expand.h"
#include "kiln/kiln.h"
#include "leakcheck.h"
#include "net/netpolicy.h"
#include "plan.h"
#include "sandbox/idmap.h"
#include "schedule.h"
#include "snapshot/snapshotter.h"
#include "steps.h"
#include "store/store.h"

struct build {
    const struct kiln_build_opts *o;
    struct df_platform platform; /* what every stage is built for (the host's os/arch) */
    int64_t epoch;               /* SOURCE_DATE_EPOCH: file times, history, created */
    struct store *store;
    struct idmap idmap;       /* the store's id map: views show host ids (owners.h) */
    struct hashindex *hashes; /* content digests of context files, across builds */
    pthread_mutex_t lock;     /* the state stages share (see each part) */
    struct snapshotter snap;  /* the RUN steps' snapshotter (snapshot/snapshotter.h) */
    struct build_input input;
    struct build_plan plan;
    struct build_sched sched;
    struct build_steps steps;
    struct build_cache cache;
    struct build_leak leak;
    struct ssh_agents *ssh; /* --ssh agents (ssh.h), or NULL */
    struct netpolicy net;   /* network.h */
};

#endif
