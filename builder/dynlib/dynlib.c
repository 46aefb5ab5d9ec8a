#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dynlib.h"
#include "kiln/kiln.h"

/* Opens l and fills its slots; sets l->error or l->loaded. */
static void load(struct dynlib *l)
{
    void *h = dlopen(l->path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(l->error, sizeof(l->error), "cannot load %s ('%s'): %s", l->name, l->path,
                 why ? why : "unknown error");
        return;
    }
    for (size_t i = 0; i < l->nsyms; i++) {
        dlerror();
        void *p = dlsym(h, l->syms[i].name);
        if (!p) {
            snprintf(l->error, sizeof(l->error), "cannot load %s ('%s'): no function '%s'", l->name,
                     l->path, l->syms[i].name);
            return; /* the handle stays open: other slots may already point into it */
        }
        *l->syms[i].slot = p;
    }
    __atomic_store_n(&l->loaded, true, __ATOMIC_RELEASE);
}

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

int dynlib_load(struct dynlib *l, kiln_error_t **err)
{
    if (__atomic_load_n(&l->loaded, __ATOMIC_ACQUIRE))
        return 0;
    pthread_mutex_lock(&load_lock);
    if (!l->tried) /* once: a failed load is not retried, its error stays */
        load(l);
    l->tried = true;
    pthread_mutex_unlock(&load_lock);
    if (__atomic_load_n(&l->loaded, __ATOMIC_ACQUIRE))
        return 0;
    return kiln_err(err, KILN_EINTERNAL, 0, "%s", l->error);
}

void dynlib_need(struct dynlib *l)
{
    kiln_error_t *e = NULL;
    if (dynlib_load(l, &e) == 0)
        return;
    /* what ld.so does when a library is missing at start: nothing else can be done here */
    dprintf(STDERR_FILENO, "kiln: %s\n", e->msg);
    _exit(127);
}

int kiln_load_archive(kiln_error_t **err)
{
    return dynlib_load(&dynlib_archive, err);
}
