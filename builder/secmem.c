/* Memory for secret material (see secmem.h). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "secmem.h"
#include "util.h"

#define SECMEM_MAGIC  0x6b696c6e7365636dull /* "kilnsecm" */
#define SECMEM_HEADER 16                    /* magic, mapping length; keeps 16-byte alignment */

struct secmem_header {
    uint64_t magic;
    uint32_t maplen; /* at most 4 GiB: every caller's size is bounded far below */
    uint32_t flags;
};

static void oom(void)
{
    fprintf(stderr, "kiln: out of memory for secret material\n");
    abort();
}

/* The SECMEM_HELPERS mappings, for secmem_drop_helpers in a child: a slot is free when its
 * len is 0; the lock orders writers, a child reads without it. */
static struct {
    void *addr;
    size_t len;
} helpers[SECMEM_MAX_HELPERS];
static pthread_mutex_t helpers_lock = PTHREAD_MUTEX_INITIALIZER;

static void helpers_add(void *addr, size_t len)
{
    pthread_mutex_lock(&helpers_lock);
    size_t i = 0;
    while (i < SECMEM_MAX_HELPERS && __atomic_load_n(&helpers[i].len, __ATOMIC_RELAXED))
        i++;
    if (i == SECMEM_MAX_HELPERS) {
        fprintf(stderr, "kiln: more than %d secret objects\n", SECMEM_MAX_HELPERS);
        abort();
    }
    helpers[i].addr = addr;
    __atomic_store_n(&helpers[i].len, len, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&helpers_lock);
}

static void helpers_remove(void *addr)
{
    pthread_mutex_lock(&helpers_lock);
    for (size_t i = 0; i < SECMEM_MAX_HELPERS; i++)
        if (helpers[i].addr == addr && __atomic_load_n(&helpers[i].len, __ATOMIC_RELAXED)) {
            __atomic_store_n(&helpers[i].len, 0, __ATOMIC_RELEASE);
            helpers[i].addr = NULL;
        }
    pthread_mutex_unlock(&helpers_lock);
}

void secmem_drop_helpers(void)
{
    for (size_t i = 0; i < SECMEM_MAX_HELPERS; i++) {
        size_t len = __atomic_load_n(&helpers[i].len, __ATOMIC_ACQUIRE);
        if (len)
            munmap(helpers[i].addr, len);
    }
}

void *secmem_alloc(size_t n, unsigned flags)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (n > UINT32_MAX - SECMEM_HEADER - page)
        oom();
    size_t len = (n + SECMEM_HEADER + page - 1) / page * page;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        oom();
    /* both are required: a mapping that would reach a dump or a child is not used */
    bool fork_keeps = flags & (SECMEM_INHERIT | SECMEM_HELPERS);
    if (madvise(p, len, MADV_DONTDUMP) < 0 || (!fork_keeps && madvise(p, len, MADV_DONTFORK) < 0)) {
        munmap(p, len);
        oom();
    }
    mlock(p, len); /* best effort: RLIMIT_MEMLOCK may forbid it */
    struct secmem_header *h = p;
    h->magic = SECMEM_MAGIC;
    h->maplen = len;
    h->flags = flags;
    if (flags & SECMEM_HELPERS)
        helpers_add(p, len);
    return (char *)p + SECMEM_HEADER;
}

void *secmem_calloc(size_t nmemb, size_t size, unsigned flags)
{
    if (size && nmemb > SIZE_MAX / size)
        oom();
    return secmem_alloc(nmemb * size, flags);
}

char *secmem_strndup(const char *s, size_t n, unsigned flags)
{
    char *d = secmem_alloc(n + 1, flags);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *secmem_strdup(const char *s, unsigned flags)
{
    return secmem_strndup(s, strlen(s), flags);
}

void secmem_free(void *p)
{
    if (!p)
        return;
    struct secmem_header *h = (struct secmem_header *)((char *)p - SECMEM_HEADER);
    if (h->magic != SECMEM_MAGIC) {
        fprintf(stderr, "kiln: secmem_free of memory it did not allocate\n");
        abort();
    }
    size_t len = h->maplen;
    if (h->flags & SECMEM_HELPERS)
        helpers_remove(h);
    explicit_bzero(h, len);
    munlock(h, len);
    munmap(h, len);
}

/* The VmFlags line of the mapping holding addr in /proc/self/smaps, or "" */
static void vm_flags(uintptr_t addr, char *out, size_t n)
{
    FILE *f = fopen("/proc/self/smaps", "re");
    char line[512];
    bool in = false;
    out[0] = '\0';
    while (f && fgets(line, sizeof(line), f)) {
        unsigned long a, b;
        if (sscanf(line, "%lx-%lx ", &a, &b) == 2 && strchr(line, '-') < strchr(line, ' '))
            in = addr >= a && addr < b;
        else if (in && !strncmp(line, "VmFlags:", 8)) {
            snprintf(out, n, "%.200s", line + 8);
            break;
        }
    }
    if (f)
        fclose(f);
}

static bool has_flag(const char *flags, const char *f)
{
    for (const char *p = flags; (p = strstr(p, f)); p += 2)
        if ((p == flags || p[-1] == ' ') && (p[2] == ' ' || p[2] == '\n' || p[2] == '\0'))
            return true;
    return false;
}

bool secmem_is_protected(const void *p)
{
    const struct secmem_header *h = (const struct secmem_header *)((const char *)p - SECMEM_HEADER);
    char flags[256];
    vm_flags((uintptr_t)p, flags, sizeof(flags));
    return h->magic == SECMEM_MAGIC && has_flag(flags, "dd");
}
