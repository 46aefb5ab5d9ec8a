#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "contenthash.h"
#include "kernel.h"
#include "util.h"

#define READ_BUF (256u * 1024)

/* SHA-256 of bytes [off, off + len) of fd into raw; -1 (errno) on a read error, else the bytes
 * read (fewer than len when the file is shorter). */
static int64_t hash_range(int fd, uint64_t off, uint64_t len, unsigned char *buf,
                          unsigned char raw[32], char *hex)
{
    struct sha256 s;
    sha256_init(&s);
    uint64_t done = 0;
    while (done < len) {
        size_t want = len - done < READ_BUF ? (size_t)(len - done) : READ_BUF;
        ssize_t n = pread(fd, buf, want, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            sha256_release(&s);
            return -1;
        }
        if (n == 0)
            break;
        sha256_update(&s, buf, (size_t)n);
        done += (uint64_t)n;
    }
    if (hex)
        sha256_final(&s, hex);
    else
        sha256_final_raw(&s, raw);
    return (int64_t)done;
}

struct tree {
    int fd;
    uint64_t size, nchunks;
    unsigned char (*sums)[32];
    unsigned nthreads;
    int err_no;  /* a read error (first one wins; written under lock) */
    bool short_; /* a chunk came back short */
    pthread_mutex_t lock;
};

struct part {
    struct tree *t;
    unsigned index;
};

static void *hash_part(void *arg)
{
    struct part *p = arg;
    struct tree *t = p->t;
    unsigned char *buf = xmalloc(READ_BUF);
    for (uint64_t k = p->index; k < t->nchunks; k += t->nthreads) {
        uint64_t off = k * CONTENTHASH_CHUNK;
        uint64_t len = t->size - off < CONTENTHASH_CHUNK ? t->size - off : CONTENTHASH_CHUNK;
        int64_t got = hash_range(t->fd, off, len, buf, t->sums[k], NULL);
        if (got < 0 || (uint64_t)got != len) {
            pthread_mutex_lock(&t->lock);
            if (got < 0 && !t->err_no)
                t->err_no = errno;
            t->short_ = true;
            pthread_mutex_unlock(&t->lock);
            break;
        }
    }
    free(buf);
    return NULL;
}

/* The chunks' hashes, by the threads, then the hash of them. */
static int tree_hash(int fd, uint64_t size, char digest[DIGEST_STR_LEN + 1], bool *whole,
                     kiln_error_t **err)
{
    struct tree t = {
        .fd = fd, .size = size, .nchunks = (size + CONTENTHASH_CHUNK - 1) / CONTENTHASH_CHUNK};
    t.nthreads =
        kernel_cores() < CONTENTHASH_MAX_THREADS ? kernel_cores() : CONTENTHASH_MAX_THREADS;
    t.sums = xcalloc(t.nchunks, sizeof(*t.sums));
    pthread_mutex_init(&t.lock, NULL);
    pthread_t th[CONTENTHASH_MAX_THREADS];
    struct part parts[CONTENTHASH_MAX_THREADS];
    bool started[CONTENTHASH_MAX_THREADS] = {false};
    for (unsigned i = 0; i < t.nthreads; i++)
        parts[i] = (struct part){&t, i};
    for (unsigned i = 1; i < t.nthreads; i++) /* the caller is part 0 */
        started[i] = pthread_create(&th[i], NULL, hash_part, &parts[i]) == 0;
    hash_part(&parts[0]);
    for (unsigned i = 1; i < t.nthreads; i++) {
        if (started[i])
            pthread_join(th[i], NULL);
        else
            hash_part(&parts[i]); /* no thread for it: the caller does its chunks */
    }
    pthread_mutex_destroy(&t.lock);
    int rc = 0;
    if (t.err_no) {
        rc = kiln_err(err, KILN_EIO, t.err_no, "read");
    } else {
        struct sha256 s;
        sha256_init(&s);
        char head[64];
        int n =
            snprintf(head, sizeof(head), "kiln content tree v1 %llu\n", (unsigned long long)size);
        sha256_update(&s, head, (size_t)n);
        sha256_update(&s, t.sums, t.nchunks * sizeof(*t.sums));
        sha256_final(&s, digest);
        *whole = !t.short_;
    }
    free(t.sums);
    return rc;
}

int contenthash_fd(int fd, uint64_t size, char digest[DIGEST_STR_LEN + 1], bool *whole,
                   kiln_error_t **err)
{
    *whole = false;
    if (size >= CONTENTHASH_TREE_MIN)
        return tree_hash(fd, size, digest, whole, err);
    unsigned char *buf = xmalloc(READ_BUF);
    unsigned char raw[32];
    int64_t got = hash_range(fd, 0, UINT64_MAX, buf, raw, digest); /* to its end */
    free(buf);
    if (got < 0)
        return kiln_err_errno(err, KILN_EIO, "read");
    *whole = (uint64_t)got == size;
    return 0;
}
