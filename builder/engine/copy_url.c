/* ADD <url>: BuildKit's rules for remote sources, fetched under the build's destination policy.
 *
 *   - the file is named after the last component of the URL's path ("__unnamed__" without
 *     one) when the destination is a directory (ends with '/', exists as one, or several
 *     sources), else it is the destination;
 *   - mode 0600 unless --chmod, owner 0:0 unless --chown, mtime from Last-Modified (0 without
 *     one) clamped to the epoch like every file; a remote archive is never unpacked;
 *   - --checksum=sha256:... (one http(s) source only) is verified; the cache key is then the
 *     checksum, so a cached step needs no download; without it the URL is fetched on every
 *     build and the key is the content's digest and Last-Modified;
 *   - git repositories are not supported yet. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "copy.h"
#include "instr.h"
#include "network.h"
#include "net/url.h"
#include "util.h"

bool copy_is_remote(const char *word)
{
    return !strncasecmp(word, "http://", 7) || !strncasecmp(word, "https://", 8);
}

/* BuildKit's git references: git@, git://, ssh://, or a URL whose path ends with ".git"
 * (before any query or "#ref" fragment). */
bool copy_is_git(const char *word)
{
    if (str_has_prefix(word, "git@") || str_has_prefix(word, "git://") ||
        str_has_prefix(word, "ssh://"))
        return true;
    cleanup_free char *path = xstrndup(word, strcspn(word, "?#"));
    size_t n = strlen(path);
    while (n > 0 && path[n - 1] == '/')
        path[--n] = '\0';
    return str_has_suffix(path, ".git");
}

int copy_url_checksum(struct copy_job *j, char **words, size_t nsrc, kiln_error_t **err)
{
    const char *raw = df_instr_flag(j->in, "checksum", NULL);
    j->checksum[0] = '\0';
    if (!raw)
        return 0;
    cleanup_free char *v = NULL;
    if (df_scope_expand(&j->st->scope, raw, &v, err) < 0)
        return instr_wrap(j->b, j->in, err);
    if (nsrc != 1)
        return instr_err(j->b, j->in, err, KILN_EINPUT,
                         "checksum can't be specified for multiple sources");
    if (!copy_is_remote(words[0]) || copy_is_git(words[0]))
        return instr_err(j->b, j->in, err, KILN_EINPUT,
                         "checksum can't be specified for non-HTTP(S) sources");
    if (str_has_prefix(v, "sha384:") || str_has_prefix(v, "sha512:"))
        return instr_err(j->b, j->in, err, KILN_EUNSUPPORTED,
                         "--checksum=%.80s: only sha256 is supported yet", v);
    if (!digest_valid(v))
        return instr_err(j->b, j->in, err, KILN_EINPUT,
                         "invalid checksum digest format: '%.100s' (expected sha256:<64 hex "
                         "digits>)",
                         v);
    memcpy(j->checksum, v, DIGEST_STR_LEN + 1);
    return 0;
}

void copy_url_add(struct copy_job *j, const char *url)
{
    j->urls = xrealloc(j->urls, (j->nurls + 1) * sizeof(*j->urls));
    j->urls[j->nurls++] = (struct copy_url){.url = xstrdup(url), .fd = -1};
}

int copy_plan_url(struct copy_job *j, size_t idx, const char *target, kiln_error_t **err)
{
    if (copy_parents(j, target, err) < 0)
        return -1;
    if (copy_plan_push(j, PLAN_URL, target, j->urls[idx].url, NULL, j->chmod ? j->mode : 0600,
                       j->chown ? j->uid : 0, j->chown ? j->gid : 0, err) < 0)
        return -1;
    j->plan[j->nplan - 1].url = (uint32_t)idx; /* one per source word of the instruction */
    return 0;
}

/* Downloads u into an unnamed file of the store and checks --checksum. */
static int fetch(struct copy_job *j, struct copy_url *u, kiln_error_t **err)
{
    cleanup_free char *shown = url_redact(u->url);
    struct url_parts parts;
    if (url_parse(u->url, false, &parts, err) < 0)
        return -1;
    const char *no_proxy = NULL;
    const char *proxy = network_proxy_for(j->b, parts.scheme, &no_proxy);
    url_parts_release(&parts);
    cleanup_close int fd = openat(j->b->store->tmpfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0)
        return kiln_err_errno(err, KILN_EIO, "download of '%s'", shown);
    const struct kiln_build_opts *o = j->b->o;
    struct fetch_opts fo = {.policy = &j->b->net,
                            .proxy = proxy,
                            .no_proxy = no_proxy,
                            .max_size = o->max_download ? o->max_download : BUILD_MAX_DOWNLOAD,
                            .timeout_sec = (long)o->step_timeout};
    if (fetch_url(u->url, &fo, fd, &u->res, err) < 0)
        return kiln_err_wrap(err, "%s", shown);
    if (j->checksum[0] && strcmp(j->checksum, u->res.digest) != 0)
        return kiln_err(err, KILN_ECORRUPT, 0, "digest mismatch for %s: %s (expected: %s)", shown,
                        u->res.digest, j->checksum);
    u->fd = steal_fd(fd);
    return 0;
}

int copy_url_key(struct copy_job *j, const struct plan_entry *p, struct cache_key *k,
                 kiln_error_t **err)
{
    struct copy_url *u = &j->urls[p->url];
    if (j->checksum[0]) {
        cache_key_add(k, j->checksum);
        return 0;
    }
    if (u->fd < 0 && fetch(j, u, err) < 0)
        return -1;
    cache_key_add(k, u->res.digest);
    cache_key_addu(k, u->res.has_mtime);
    cache_key_addu(k, (uint64_t)u->res.mtime);
    return 0;
}

int copy_url_write(struct copy_job *j, const struct plan_entry *p, kiln_error_t **err)
{
    struct copy_url *u = &j->urls[p->url];
    if (u->fd < 0 && fetch(j, u, err) < 0)
        return -1;
    if (lseek(u->fd, 0, SEEK_SET) < 0)
        return kiln_err_errno(err, KILN_EIO, "download of '%s'", p->src);
    struct layer_entry e = {.path = p->target + 1,
                            .mode = S_IFREG | p->perm,
                            .uid = p->uid,
                            .gid = p->gid,
                            .fd = u->fd,
                            .size = u->res.size,
                            .has_mtime = true, /* BuildKit: Last-Modified, else 0 */
                            .mtime = u->res.has_mtime ? u->res.mtime : 0};
    return layer_writer_add(j->w, &e, err);
}

void copy_url_release(struct copy_job *j)
{
    for (size_t i = 0; i < j->nurls; i++) {
        free(j->urls[i].url);
        if (j->urls[i].fd >= 0)
            close(j->urls[i].fd);
    }
    free(j->urls);
    j->urls = NULL;
    j->nurls = 0;
}
