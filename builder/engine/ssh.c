/* --ssh: the agents of a build (ssh.h). A socket is forwarded as it is; key files are loaded
 * into an ssh-agent started for the build in a private directory (mode 0700) and killed at
 * its end (also when kiln dies: PR_SET_PDEATHSIG). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "ssh.h"
#include "util.h"

#define SSH_KEY_MAX     (100 * 1024) /* BuildKit reads at most this much of a key file */
#define AGENT_WAIT_MS   5000
#define SSH_ADD_WAIT_MS 30000
#define SSH_ADD_ERR_MAX 2048

struct ssh_agent {
    char *id;
    char *socket; /* the agent to forward */
    pid_t pid;    /* an ssh-agent kiln started, or 0 */
    char *dir;    /* its private directory, or NULL */
};

struct ssh_agents {
    struct ssh_agent *v;
    size_t n;
};

const char *ssh_agents_socket(const struct ssh_agents *a, const char *id)
{
    for (size_t i = 0; a && i < a->n; i++)
        if (!strcmp(a->v[i].id, id))
            return a->v[i].socket;
    return NULL;
}

void ssh_agents_close(struct ssh_agents *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++) {
        struct ssh_agent *g = &a->v[i];
        if (g->pid > 0) {
            kill(g->pid, SIGTERM);
            while (waitpid(g->pid, NULL, 0) < 0 && errno == EINTR)
                ;
        }
        if (g->dir) {
            kiln_error_t *e = NULL;
            if (rm_rf_at(AT_FDCWD, g->dir, &e) < 0)
                kiln_error_free(e);
        }
        free(g->id), free(g->socket), free(g->dir);
    }
    free(a->v);
    free(a);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6;
}

/* fork + exec of an openssh-client program, alone in its session (no terminal to prompt on),
 * stdin and stdout /dev/null, stderr to errfd (or /dev/null). */
static pid_t spawn(char *const argv[], char *const envp[], int errfd)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    setsid();
    int null = open("/dev/null", O_RDWR);
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
        dup2(errfd >= 0 ? errfd : null, 2) < 0)
        _exit(127);
    execve(argv[0], argv, envp);
    _exit(127);
}

/* The first of /usr/bin/NAME, /bin/NAME that exists. */
static const char *tool(const char *name, char buf[64])
{
    snprintf(buf, 64, "/usr/bin/%s", name);
    if (access(buf, X_OK) == 0)
        return buf;
    snprintf(buf, 64, "/bin/%s", name);
    return access(buf, X_OK) == 0 ? buf : NULL;
}

static int start_agent(struct ssh_agent *g, kiln_error_t **err)
{
    char bin[64];
    if (!tool("ssh-agent", bin))
        return kiln_err(err, KILN_EUNSUPPORTED, 0,
                        "--ssh %s: loading key files needs ssh-agent (Debian's openssh-client)",
                        g->id);
    const char *tmp = getenv("TMPDIR");
    g->dir = xasprintf("%s/kiln-ssh-XXXXXX", tmp && *tmp && strlen(tmp) < 60 ? tmp : "/tmp");
    if (!mkdtemp(g->dir)) {
        free(steal_ptr(g->dir));
        return kiln_err_errno(err, KILN_EIO, "--ssh %s: temporary directory", g->id);
    }
    g->socket = xasprintf("%s/agent", g->dir);
    char *argv[] = {bin, "-D", "-a", g->socket, NULL};
    char *envp[] = {"PATH=/usr/bin:/bin", NULL};
    g->pid = spawn(argv, envp, -1);
    if (g->pid < 0)
        return kiln_err_errno(err, KILN_EIO, "--ssh %s: start ssh-agent", g->id);
    for (double end = now_ms() + AGENT_WAIT_MS; now_ms() < end;) {
        int fd = ssh_unix_connect(g->socket);
        if (fd >= 0)
            return close(fd), 0;
        if (waitpid(g->pid, NULL, WNOHANG) == g->pid) {
            g->pid = 0;
            break;
        }
        poll(NULL, 0, 20);
    }
    return kiln_err(err, KILN_EIO, 0, "--ssh %s: ssh-agent did not start", g->id);
}

/* Waits for pid with a deadline, collecting what it writes to the pipe rd. */
static int wait_collect(pid_t pid, int rd, char *msg, size_t max)
{
    size_t len = 0;
    bool eof = false;
    for (double end = now_ms() + SSH_ADD_WAIT_MS; !eof && now_ms() < end;) {
        struct pollfd pf = {rd, POLLIN, 0};
        if (poll(&pf, 1, 100) <= 0)
            continue;
        ssize_t r = read(rd, msg + len, max - 1 - len);
        if (r > 0)
            len += (size_t)r;
        eof = r == 0 || len == max - 1;
    }
    msg[len] = '\0';
    if (!eof) /* it hangs: no terminal to prompt on, so nothing will come */
        kill(pid, SIGKILL);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return eof && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int add_keys(struct ssh_agent *g, char *const *keys, size_t n, kiln_error_t **err)
{
    char bin[64];
    if (!tool("ssh-add", bin))
        return kiln_err(err, KILN_EUNSUPPORTED, 0,
                        "--ssh %s: loading key files needs ssh-add (Debian's openssh-client)",
                        g->id);
    char **argv = xcalloc(n + 3, sizeof(char *));
    argv[0] = bin;
    argv[1] = "-q";
    for (size_t i = 0; i < n; i++)
        argv[i + 2] = keys[i];
    cleanup_free char *sock = xasprintf("SSH_AUTH_SOCK=%s", g->socket);
    char *envp[] = {"PATH=/usr/bin:/bin", sock, "SSH_ASKPASS_REQUIRE=never", NULL};
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        free(argv);
        return kiln_err_errno(err, KILN_EIO, "pipe");
    }
    pid_t pid = spawn(argv, envp, p[1]);
    close(p[1]);
    free(argv);
    char msg[SSH_ADD_ERR_MAX];
    int rc = pid < 0 ? -1 : wait_collect(pid, p[0], msg, sizeof(msg));
    close(p[0]);
    if (rc == 0)
        return 0;
    msg[strcspn(msg, "\n")] = '\0';
    return kiln_err(err, KILN_EINPUT, 0,
                    "--ssh %s: ssh-add could not load the key files (%s); a key with a passphrase "
                    "must be loaded into your own ssh-agent: --ssh %s=$SSH_AUTH_SOCK",
                    g->id, pid < 0 ? "cannot run ssh-add" : msg, g->id);
}

/* Sorts the paths of one --ssh into a socket or key files, as BuildKit's toAgentSource. */
static int classify(const struct kiln_ssh_opt *o, char *const *paths, size_t n, const char **socket,
                    kiln_error_t **err)
{
    *socket = NULL;
    bool keys = false;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (*socket)
            return kiln_err(err, KILN_EUSAGE, 0, "--ssh %s: only single socket allowed", o->id);
        if (stat(paths[i], &st) < 0)
            return kiln_err_errno(err, KILN_EUSAGE, "--ssh %s: '%s'", o->id, paths[i]);
        if (S_ISSOCK(st.st_mode)) {
            if (keys)
                return kiln_err(err, KILN_EUSAGE, 0,
                                "--ssh %s: invalid combination of keys and sockets", o->id);
            *socket = paths[i];
            continue;
        }
        if (!S_ISREG(st.st_mode) || st.st_size > SSH_KEY_MAX)
            return kiln_err(err, KILN_EUSAGE, 0,
                            "--ssh %s: '%s' is neither a socket nor a key file (at most %d "
                            "bytes)",
                            o->id, paths[i], SSH_KEY_MAX);
        if (access(paths[i], R_OK) < 0)
            return kiln_err_errno(err, KILN_EUSAGE, "--ssh %s: failed to open %s", o->id, paths[i]);
        keys = true;
    }
    return 0;
}

static int open_one(struct ssh_agents *a, const struct kiln_ssh_opt *o, kiln_error_t **err)
{
    if (ssh_agents_socket(a, o->id))
        return kiln_err(err, KILN_EUSAGE, 0, "--ssh: invalid duplicate ID %s", o->id);
    char *env_paths[2] = {getenv("SSH_AUTH_SOCK"), NULL};
    bool from_env = o->npaths == 0 || (o->npaths == 1 && !*o->paths[0]);
    char *const *paths = from_env ? env_paths : o->paths;
    size_t n = from_env ? 1 : o->npaths;
    if (!paths[0] || !*paths[0])
        return kiln_err(err, KILN_EUSAGE, 0,
                        "--ssh %s: invalid empty ssh agent socket: make sure SSH_AUTH_SOCK is set",
                        o->id);
    const char *socket;
    if (classify(o, paths, n, &socket, err) < 0)
        return -1;
    a->v = xrealloc(a->v, (a->n + 1) * sizeof(*a->v));
    struct ssh_agent *g = &a->v[a->n++];
    *g = (struct ssh_agent){.id = xstrdup(o->id)};
    if (socket) {
        g->socket = xstrdup(socket);
        return 0;
    }
    return start_agent(g, err) < 0 ? -1 : add_keys(g, paths, n, err);
}

int ssh_agents_open(const struct kiln_ssh_opt *opts, size_t n, struct ssh_agents **out,
                    kiln_error_t **err)
{
    *out = NULL;
    if (!n)
        return 0;
    struct ssh_agents *a = xcalloc(1, sizeof(*a));
    for (size_t i = 0; i < n; i++)
        if (open_one(a, &opts[i], err) < 0) {
            ssh_agents_close(a);
            return -1;
        }
    *out = a;
    return 0;
}
