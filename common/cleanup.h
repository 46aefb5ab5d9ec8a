/* Cleanup attributes for owned locals, and ownership hand-off helpers.
 *
 *   cleanup_free char *s = NULL;          freed at scope exit
 *   cleanup_close int fd = -1;            closed at scope exit when >= 0
 *   return steal_ptr(s);                  hands ownership to the caller
 */
#ifndef KILN_CLEANUP_H
#define KILN_CLEANUP_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>

#include "kiln/error.h"

static inline void cleanup_freep(void *p)
{
    free(*(void **)p);
}
static inline void cleanup_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}
static inline void cleanup_fclosep(FILE **f)
{
    if (*f)
        fclose(*f);
}
static inline void cleanup_closedirp(DIR **d)
{
    if (*d)
        closedir(*d);
}
static inline void cleanup_errorp(kiln_error_t **e)
{
    kiln_error_free(*e);
}
/* A NULL-terminated vector of owned strings. */
static inline void cleanup_strvp(char ***v)
{
    if (*v) {
        for (char **p = *v; *p; p++)
            free(*p);
        free(*v);
    }
}

#define cleanup_free   __attribute__((cleanup(cleanup_freep)))
#define cleanup_close  __attribute__((cleanup(cleanup_closep)))
#define cleanup_fclose __attribute__((cleanup(cleanup_fclosep)))
#define cleanup_dir    __attribute__((cleanup(cleanup_closedirp)))
#define cleanup_error  __attribute__((cleanup(cleanup_errorp)))
#define cleanup_strv   __attribute__((cleanup(cleanup_strvp)))

#define steal_ptr(p)                                                                               \
    ({                                                                                             \
        __typeof__(p) steal_tmp_ = (p);                                                            \
        (p) = NULL;                                                                                \
        steal_tmp_;                                                                                \
    })
#define steal_fd(fd)                                                                               \
    ({                                                                                             \
        int steal_tmp_ = (fd);                                                                     \
        (fd) = -1;                                                                                 \
        steal_tmp_;                                                                                \
    })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
