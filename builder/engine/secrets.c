/* Build secrets: loading, holding and keyed hashing (see secrets.h). */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "secmem.h"
#include "secrets.h"
#include "util.h"

/* ---- values ---- */

/* Room for the largest value and the byte that tells it is too large (secmem.h: no dump, not
 * in forked children, locked when allowed, wiped when freed). */
static unsigned char *value_map(size_t *maplen)
{
    *maplen = SECRET_MAX_SIZE + 1;
    return secmem_alloc(*maplen, SECMEM_HELPERS);
}

/* Moves the value into a mapping of its own size: less locked memory per secret. */
static void value_shrink(struct secret *s)
{
    unsigned char *v = secmem_alloc(s->len, SECMEM_HELPERS);
    memcpy(v, s->value, s->len);
    secmem_free(s->value);
    s->value = v;
    s->maplen = s->len;
}

static void value_unmap(struct secret *s)
{
    secmem_free(s->value);
    s->value = NULL;
}

/* Reads at most SECRET_MAX_SIZE bytes of the file into the mapping. */
static int read_value_file(struct secret *s, const char *path, kiln_error_t **err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return kiln_err_errno(err, KILN_EINPUT, "secret '%s': open '%s'", s->id, path);
    if (S_ISDIR(st.st_mode))
        return kiln_err(err, KILN_EINPUT, EISDIR, "secret '%s': read '%s'", s->id, path);
    for (;;) {
        ssize_t r = read(fd, s->value + s->len, SECRET_MAX_SIZE + 1 - s->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return kiln_err_errno(err, KILN_EINPUT, "secret '%s': read '%s'", s->id, path);
        if (r == 0)
            return 0;
        s->len += (size_t)r;
        if (s->len > SECRET_MAX_SIZE)
            return kiln_err(err, KILN_ELIMIT, 0, "secret '%s' is larger than %u KiB", s->id,
                            SECRET_MAX_SIZE / 1024);
    }
}

static int read_value_env(struct secret *s, const char *var, kiln_error_t **err)
{
    const char *v = getenv(var);
    if (!v)
        return kiln_err(err, KILN_EINPUT, 0, "secret '%s': environment variable '%s' is not set",
                        s->id, var);
    size_t n = strlen(v);
    if (n > SECRET_MAX_SIZE)
        return kiln_err(err, KILN_ELIMIT, 0, "secret '%s' is larger than %u KiB", s->id,
                        SECRET_MAX_SIZE / 1024);
    memcpy(s->value, v, n);
    s->len = n;
    return 0;
}

static bool valid_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > SECRET_MAX_ID)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f || id[i] == ',' || id[i] == '\'')
            return false;
    return true;
}

static int load_one(const struct kiln_secret_opt *o, struct secret *s, kiln_error_t **err)
{
    if (!o->id || !valid_id(o->id))
        return kiln_err(err, KILN_EUSAGE, 0, "--secret: invalid id '%s'", o->id ? o->id : "");
    s->id = xstrdup(o->id);
    s->value = value_map(&s->maplen);
    int rc;
    if (o->env)
        rc = read_value_env(s, o->env, err);
    else if (o->src)
        rc = read_value_file(s, o->src, err);
    else if (getenv(o->id)) /* BuildKit: the variable ID when it is set, else the file ID */
        rc = read_value_env(s, o->id, err);
    else
        rc = read_value_file(s, o->id, err);
    if (rc == 0)
        value_shrink(s);
    return rc;
}

static void secret_release(struct secret *s)
{
    value_unmap(s);
    free(s->id);
}

/* Keeps the last secret of each id. */
static void dedupe(struct secrets *s)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        bool later = false;
        for (size_t j = i + 1; j < s->n && !later; j++)
            later = !strcmp(s->v[i].id, s->v[j].id);
        if (later)
            secret_release(&s->v[i]);
        else
            s->v[k++] = s->v[i];
    }
    s->n = k;
}

static int build_scanner(struct secrets *s, kiln_error_t **err)
{
    struct leakscan_secret *ls = xcalloc(s->n + 1, sizeof(*ls));
    for (size_t i = 0; i < s->n; i++)
        ls[i] = (struct leakscan_secret){s->v[i].id, s->v[i].value, s->v[i].len};
    int rc = leakscan_new(ls, s->n, &s->scan, err);
    free(ls);
    return rc;
}

int secrets_load(const struct kiln_secret_opt *opts, size_t n, struct secrets **out,
                 kiln_error_t **err)
{
    struct secrets *s = xcalloc(1, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    s->v = xcalloc(n + 1, sizeof(*s->v));
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++, s->n++)
        rc = load_one(&opts[i], &s->v[i], err);
    if (rc == 0)
        dedupe(s);
    if (rc == 0 && s->n > LEAKSCAN_MAX_SECRETS)
        rc = kiln_err(err, KILN_ELIMIT, 0, "more than %d secrets", LEAKSCAN_MAX_SECRETS);
    if (rc == 0)
        rc = build_scanner(s, err);
    if (rc < 0) {
        secrets_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void secrets_free(struct secrets *s)
{
    if (!s)
        return;
    leakscan_free(s->scan);
    for (size_t i = 0; i < s->n; i++)
        secret_release(&s->v[i]);
    free(s->v);
    secmem_free(s->key);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

const struct secret *secrets_find(const struct secrets *s, const char *id)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (!strcmp(s->v[i].id, id))
            return &s->v[i];
    return NULL;
}

/* ---- the store's HMAC key ---- */

/* Writes a new random key unless one exists (rename without replacing: two builds creating it
 * at once agree on the first). */
static int key_create(int cachefd, kiln_error_t **err)
{
    unsigned char k[SECRET_KEY_LEN];
    if (getrandom(k, sizeof(k), 0) != (ssize_t)sizeof(k))
        return kiln_err_errno(err, KILN_EIO, "secret key: getrandom");
    char tmp[32] = ".secret.key.XXXXXX";
    random_name(tmp + strlen(tmp) - 6, 6);
    cleanup_close int fd = openat(cachefd, tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    int rc = fd < 0 ? -1 : write_all(fd, k, sizeof(k));
    explicit_bzero(k, sizeof(k));
    if (rc < 0 || fsync(fd) < 0 ||
        (renameat2(cachefd, tmp, cachefd, "secret.key", RENAME_NOREPLACE) < 0 && errno != EEXIST)) {
        kiln_err_errno(err, KILN_EIO, "secret key: create '" SECRET_KEY_FILE "'");
        unlinkat(cachefd, tmp, 0);
        return -1;
    }
    unlinkat(cachefd, tmp, 0); /* still there when the key existed */
    return 0;
}

static int key_read(int cachefd, unsigned char key[SECRET_KEY_LEN], kiln_error_t **err)
{
    cleanup_close int fd = openat(cachefd, "secret.key", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return kiln_err_errno(err, KILN_EIO, "secret key: open '" SECRET_KEY_FILE "'");
    if (!S_ISREG(st.st_mode) || st.st_size != SECRET_KEY_LEN || (st.st_mode & 077) ||
        st.st_uid != geteuid())
        return kiln_err(err, KILN_ECORRUPT, 0,
                        "secret key '" SECRET_KEY_FILE "' is damaged or not private (want %d "
                        "bytes, mode 0600, owned by this user): remove it",
                        SECRET_KEY_LEN);
    size_t got = 0;
    while (got < SECRET_KEY_LEN) {
        ssize_t r = read(fd, key + got, SECRET_KEY_LEN - got);
        if (r <= 0 && !(r < 0 && errno == EINTR))
            return kiln_err_errno(err, KILN_EIO, "secret key: read '" SECRET_KEY_FILE "'");
        got += r > 0 ? (size_t)r : 0;
    }
    return 0;
}

static int key_load(struct secrets *s, struct store *st, kiln_error_t **err)
{
    if (s->have_key)
        return 0;
    if (mkdir_p_at(st->rootfd, "cache", 0700, err) < 0)
        return -1;
    cleanup_close int cfd = openat(st->rootfd, "cache", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cfd < 0)
        return kiln_err_errno(err, KILN_EIO, "open '%s/cache'", st->root);
    if (faccessat(cfd, "secret.key", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && key_create(cfd, err) < 0)
        return -1;
    if (!s->key)
        s->key = secmem_alloc(SECRET_KEY_LEN, 0);
    if (key_read(cfd, s->key, err) < 0)
        return -1;
    s->have_key = true;
    return 0;
}

int secrets_mac(struct secrets *s, struct store *st, const struct secret *sec,
                char out[SECRET_MAC_LEN + 1], kiln_error_t **err)
{
    pthread_mutex_lock(&s->lock);
    int rc = key_load(s, st, err);
    pthread_mutex_unlock(&s->lock);
    if (rc < 0)
        return -1;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!HMAC(EVP_sha256(), s->key, SECRET_KEY_LEN, sec->value, sec->len, md, &mdlen) ||
        mdlen != 32)
        return kiln_err(err, KILN_EINTERNAL, 0, "secret '%s': HMAC failed", sec->id);
    int k = snprintf(out, SECRET_MAC_LEN + 1, "hmac-sha256:");
    for (unsigned i = 0; i < mdlen; i++)
        k += snprintf(out + k, SECRET_MAC_LEN + 1 - (size_t)k, "%02x", md[i]);
    return 0;
}
