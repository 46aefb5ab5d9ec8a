/* A small bounded pool of threads for blob transfers: each worker owns one connection and takes
 * the next job; the first error cancels the transfers in flight. */
#include <string.h>

#include "registry_client.h"
#include "util.h"

struct pool {
    struct registry_client *c;
    registry_job_fn fn;
    void *ctx;
    size_t n, next;
    int cancel;
    pthread_mutex_t mu;
    kiln_error_t *err;
};

static void pool_fail(struct pool *p, kiln_error_t *e)
{
    pthread_mutex_lock(&p->mu);
    bool first = !p->err && !__atomic_load_n(&p->cancel, __ATOMIC_SEQ_CST);
    if (first)
        p->err = e;
    __atomic_store_n(&p->cancel, 1, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&p->mu);
    if (!first)
        kiln_error_free(e);
}

static void *pool_worker(void *arg)
{
    struct pool *p = arg;
    struct registry_conn conn;
    kiln_error_t *e = NULL;
    if (registry_conn_init(&conn, p->c, &e) < 0) {
        pool_fail(p, e);
        return NULL;
    }
    conn.cancel = &p->cancel;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        size_t i = p->next++;
        bool stop = i >= p->n || __atomic_load_n(&p->cancel, __ATOMIC_SEQ_CST);
        pthread_mutex_unlock(&p->mu);
        if (stop)
            break;
        if (p->fn(&conn, p->ctx, i, &e) < 0) {
            pool_fail(p, steal_ptr(e));
            break;
        }
    }
    registry_conn_release(&conn);
    return NULL;
}

static int run_inline(struct registry_client *c, size_t n, registry_job_fn fn, void *ctx,
                      kiln_error_t **err)
{
    for (size_t i = 0; i < n; i++)
        if (fn(c->conn, ctx, i, err) < 0)
            return -1;
    return 0;
}

int registry_pool_run(struct registry_client *c, size_t n, registry_job_fn fn, void *ctx,
                      kiln_error_t **err)
{
    unsigned par = c->o->parallel ? c->o->parallel : REGISTRY_DEFAULT_PARALLEL;
    if (par > REGISTRY_MAX_PARALLEL)
        par = REGISTRY_MAX_PARALLEL;
    if (par > n)
        par = (unsigned)n;
    if (par <= 1)
        return run_inline(c, n, fn, ctx, err);
    struct pool p = {.c = c, .fn = fn, .ctx = ctx, .n = n};
    pthread_mutex_init(&p.mu, NULL);
    pthread_t th[REGISTRY_MAX_PARALLEL];
    unsigned started = 0;
    for (; started < par; started++)
        if (pthread_create(&th[started], NULL, pool_worker, &p) != 0)
            break;
    if (started == 0)
        pool_worker(&p);
    for (unsigned i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&p.mu);
    if (!p.err)
        return 0;
    if (err) {
        kiln_error_free(*err);
        *err = p.err;
    } else {
        kiln_error_free(p.err);
    }
    return -1;
}
