#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "json.h"
#include "registry_auth.h"
#include "secmem.h"
#include "registry_creds.h"
#include "util.h"

bool registry_cred_empty(const struct registry_cred *c)
{
    return !c->identity_token && !(c->username && c->password);
}

void registry_cred_release(struct registry_cred *c)
{
    registry_auth_free_secret(c->username);
    registry_auth_free_secret(c->password);
    registry_auth_free_secret(c->identity_token);
    memset(c, 0, sizeof(*c));
}

void registry_cred_config_release(struct registry_cred_config *c)
{
    free(c->helper);
    registry_cred_release(&c->cred);
    c->helper = NULL;
}

static bool is_hub(const char *h, size_t n)
{
    static const char *const names[] = {"docker.io", "index.docker.io", "registry-1.docker.io"};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (strlen(names[i]) == n && !strncasecmp(h, names[i], n))
            return true;
    return false;
}

bool registry_creds_key_matches(const char *key, const char *host)
{
    if (str_has_prefix(key, "https://"))
        key += 8;
    else if (str_has_prefix(key, "http://"))
        key += 7;
    size_t n = strcspn(key, "/");
    if (is_hub(key, n))
        return is_hub(host, strlen(host));
    return n == strlen(host) && !strncasecmp(key, host, n);
}

const char *registry_creds_server_url(const char *host)
{
    return is_hub(host, strlen(host)) ? "https://index.docker.io/v1/" : host;
}

bool registry_creds_helper_name_ok(const char *name)
{
    if (!*name || strlen(name) > 64)
        return false;
    for (const char *c = name; *c; c++)
        if (!isalnum((unsigned char)*c) && !strchr("._-", *c))
            return false;
    return name[0] != '.' && name[0] != '-';
}

/* Strict base64 of "user:password". */
static int decode_auth(const char *b64, struct registry_cred *out)
{
    size_t n = strlen(b64);
    if (n == 0 || n % 4 || n > 16384)
        return -1;
    cleanup_secret char *plain = secmem_alloc(n / 4 * 3 + 1, 0);
    int len = EVP_DecodeBlock((unsigned char *)plain, (const unsigned char *)b64, (int)n);
    if (len < 0)
        return -1;
    for (const char *p = b64 + n - 1; p > b64 && *p == '='; p--)
        len--;
    plain[len] = '\0';
    if (memchr(plain, '\0', (size_t)len))
        return -1;
    char *colon = strchr(plain, ':');
    if (!colon || colon == plain)
        return -1;
    out->username = secmem_strndup(plain, (size_t)(colon - plain), 0);
    out->password = secmem_strdup(colon + 1, 0);
    return 0;
}

static void take_string(json_t *o, const char *k, char **slot)
{
    const char *v = json_string_value(json_object_get(o, k));
    if (v && *v && !*slot)
        *slot = secmem_strdup(v, 0);
}

static int parse_entry(json_t *e, const char *what, const char *host, struct registry_cred *out,
                       kiln_error_t **err)
{
    const char *auth = json_string_value(json_object_get(e, "auth"));
    if (auth && *auth && decode_auth(auth, out) < 0)
        return kiln_err(err, KILN_EINPUT, 0,
                        "%s: the auth entry for '%s' is not base64 of "
                        "user:password",
                        what, host);
    take_string(e, "username", &out->username);
    take_string(e, "password", &out->password);
    take_string(e, "identitytoken", &out->identity_token);
    return 0;
}

static const char *pick_helper(json_t *root, const char *host)
{
    json_t *helpers = json_object_get(root, "credHelpers");
    const char *k;
    json_t *v;
    json_object_foreach(helpers, k, v)
    {
        if (json_is_string(v) && registry_creds_key_matches(k, host))
            return json_string_value(v);
    }
    const char *store = json_string_value(json_object_get(root, "credsStore"));
    return store && *store ? store : NULL;
}

int registry_creds_parse(const char *json, size_t len, const char *what, const char *host,
                         struct registry_cred_config *out, kiln_error_t **err)
{
    memset(out, 0, sizeof(*out));
    json_error_t je;
    cleanup_json json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    /* the line only: the text near a JSON error may be a secret */
    if (!json_is_object(root))
        return kiln_err(err, KILN_EINPUT, 0, "%s: invalid JSON (line %d)", what, je.line);
    int rc = 0;
    const char *helper = pick_helper(root, host);
    if (helper && !registry_creds_helper_name_ok(helper))
        rc = kiln_err(err, KILN_EINPUT, 0, "%s: invalid credential helper name '%s'", what, helper);
    else if (helper)
        out->helper = xstrdup(helper);
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(root, "auths"), k, v)
    {
        if (rc == 0 && json_is_object(v) && registry_creds_key_matches(k, host) &&
            registry_cred_empty(&out->cred))
            rc = parse_entry(v, what, host, &out->cred, err);
    }
    if (rc < 0)
        registry_cred_config_release(out);
    return rc;
}

int registry_creds_parse_helper(const char *json, size_t len, struct registry_cred *out,
                                kiln_error_t **err)
{
    memset(out, 0, sizeof(*out));
    cleanup_json json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    const char *user = json_string_value(json_object_get(root, "Username"));
    const char *secret = json_string_value(json_object_get(root, "Secret"));
    int rc = 0;
    if (!user || !secret || !*secret)
        rc = kiln_err(err, KILN_EINPUT, 0,
                      "credential helper output is not "
                      "{\"Username\":...,\"Secret\":...}");
    else if (!strcmp(user, "<token>"))
        out->identity_token = secmem_strdup(secret, 0);
    else
        out->username = secmem_strdup(user, 0), out->password = secmem_strdup(secret, 0);
    return rc;
}

/* ---- lookup: the files, then the helper ---- */

static char *config_path(const char *auth_file)
{
    if (auth_file)
        return xstrdup(auth_file);
    const char *env = getenv("REGISTRY_AUTH_FILE");
    if (env && *env)
        return xstrdup(env);
    const char *dc = getenv("DOCKER_CONFIG");
    if (dc && *dc)
        return xasprintf("%s/config.json", dc);
    const char *home = getenv("HOME");
    if (!home || *home != '/') {
        struct passwd *pw = getpwuid(geteuid());
        home = pw ? pw->pw_dir : NULL;
    }
    return home ? xasprintf("%s/.docker/config.json", home) : NULL;
}

/* Reads the child's stdout until EOF, the limit, or the timeout. */
static int read_child(int fd, char *out, size_t max, size_t *len)
{
    *len = 0;
    for (int waited = 0; waited < REGISTRY_HELPER_TIMEOUT_MS;) {
        struct pollfd pfd = {fd, POLLIN, 0};
        int r = poll(&pfd, 1, 100);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0) {
            waited += 100;
            continue;
        }
        ssize_t n = read(fd, out + *len, max - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -1 : 0;
        *len += (size_t)n;
        if (*len == max)
            return -1;
    }
    return -1;
}

static int spawn_helper(const char *prog, int in, int out, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    char *argv[] = {(char *)prog, (char *)"get", NULL};
    int r = posix_spawnp(pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    return r;
}

/* Writes s to a pipe whose reader may be gone, without a SIGPIPE for the process. */
static void write_nosigpipe(int fd, const char *s)
{
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    if (write_all(fd, s, strlen(s)) < 0 && errno == EPIPE) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Runs "docker-credential-<helper> get"; *found false when it has nothing for host. */
static int run_helper(const char *helper, const char *host, struct registry_cred *out, bool *found,
                      kiln_error_t **err)
{
    cleanup_free char *prog = xasprintf("docker-credential-%s", helper);
    int inp[2], outp[2];
    if (pipe2(inp, O_CLOEXEC) < 0)
        return kiln_err_errno(err, KILN_EIO, "credential helper '%s'", prog);
    if (pipe2(outp, O_CLOEXEC) < 0) {
        close(inp[0]), close(inp[1]);
        return kiln_err_errno(err, KILN_EIO, "credential helper '%s'", prog);
    }
    pid_t pid;
    int r = spawn_helper(prog, inp[0], outp[1], &pid);
    close(inp[0]), close(outp[1]);
    if (r != 0) {
        close(inp[1]), close(outp[0]);
        return kiln_err(err, KILN_EINPUT, r, "credential helper '%s'", prog);
    }
    const char *url = registry_creds_server_url(host);
    write_nosigpipe(inp[1], url);
    close(inp[1]);
    cleanup_secret char *data = secmem_alloc(REGISTRY_MAX_HELPER + 1, 0);
    size_t len = 0;
    int rr = read_child(outp[0], data, REGISTRY_MAX_HELPER, &len);
    close(outp[0]);
    if (rr < 0)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (rr < 0)
        return kiln_err(err, KILN_EINPUT, 0, "credential helper '%s' for '%s': no answer", prog,
                        host);
    *found = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!*found)
        return 0; /* "credentials not found in native keychain" and the like */
    if (registry_creds_parse_helper(data, len, out, err) < 0)
        return kiln_err_wrap(err, "credential helper '%s' for '%s'", prog, host);
    return 0;
}

int registry_creds_lookup(const char *auth_file, const char *host, struct registry_cred *out,
                          char **source, kiln_error_t **err)
{
    memset(out, 0, sizeof(*out));
    *source = NULL;
    cleanup_free char *path = config_path(auth_file);
    if (!path || (access(path, F_OK) != 0 && errno == ENOENT && !auth_file))
        return 0;
    cleanup_wipe char *data = NULL; /* the file as read (heap): zeroed when done */
    size_t len;
    if (read_file_limited(AT_FDCWD, path, REGISTRY_MAX_CONFIG, &data, &len, err) < 0)
        return kiln_err_wrap(err, "registry credentials");
    struct registry_cred_config cfg;
    if (registry_creds_parse(data, len, path, host, &cfg, err) < 0)
        return -1;
    bool found = false;
    int rc = 0;
    if (cfg.helper) {
        rc = run_helper(cfg.helper, host, out, &found, err);
        if (rc == 0 && found)
            *source = xasprintf("docker-credential-%s", cfg.helper);
    }
    if (rc == 0 && !found && !registry_cred_empty(&cfg.cred)) {
        *out = cfg.cred;
        memset(&cfg.cred, 0, sizeof(cfg.cred));
        *source = xstrdup(path);
    }
    registry_cred_config_release(&cfg);
    return rc;
}
