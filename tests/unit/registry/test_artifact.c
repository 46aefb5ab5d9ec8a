/* The artifact primitives end to end against Debian's docker-registry on a loopback port (the
 * test is skipped when it is not installed): push an artifact of store blobs, pull its manifest
 * and config, then its layers, into a fresh store; a missing reference is reported as missing. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "registry/registry.h"
#include "util.h"

#define REGISTRY_BIN "/usr/bin/docker-registry"

static char dir[64];
static pid_t reg_pid = -1;
static int port;
static struct store *st, *st2;

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof(a);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &n), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static bool ping(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

static void start_registry(void)
{
    snprintf(dir, sizeof(dir), "/tmp/kiln-art-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    port = free_port();
    char *cfg = xasprintf("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                          "    rootdirectory: %s/data\nhttp:\n  addr: 127.0.0.1:%d\n",
                          dir, port);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    cr_assert_eq(write_file_atomic(dfd, "config.yml", cfg, strlen(cfg), 0600, NULL), 0);
    close(dfd);
    free(cfg);
    char *path = xasprintf("%s/config.yml", dir);
    reg_pid = fork();
    if (reg_pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1), dup2(null, 2);
        execl(REGISTRY_BIN, REGISTRY_BIN, "serve", path, (char *)NULL);
        _exit(127);
    }
    free(path);
    for (int i = 0; i < 100 && !ping(); i++)
        usleep(50000);
    cr_assert(ping(), "docker-registry did not start");
}

static void setup(void)
{
    if (access(REGISTRY_BIN, X_OK) != 0)
        cr_skip_test("no %s", REGISTRY_BIN);
    start_registry();
    char *r1 = xasprintf("%s/store1", dir), *r2 = xasprintf("%s/store2", dir);
    cr_assert_eq(store_open(r1, &st, NULL), 0);
    cr_assert_eq(store_open(r2, &st2, NULL), 0);
    free(r1), free(r2);
}

static void teardown(void)
{
    store_close(st);
    store_close(st2);
    if (reg_pid > 0) {
        kill(reg_pid, SIGKILL);
        waitpid(reg_pid, NULL, 0);
    }
    if (dir[0])
        rm_rf_at(AT_FDCWD, dir, NULL);
}

TestSuite(artifact, .init = setup, .fini = teardown, .timeout = 60);

static void put_layer(struct store *s, const char *text, struct oci_desc *d)
{
    cr_assert_eq(store_put_blob(s, text, strlen(text), d->digest, NULL), 0);
    d->size = strlen(text);
    snprintf(d->media_type, sizeof(d->media_type), "application/vnd.kiln.cache.record.v1");
}

Test(artifact, push_then_pull_manifest_config_and_layers)
{
    struct oci_desc layers[2];
    put_layer(st, "record one", &layers[0]);
    put_layer(st, "record two, longer", &layers[1]);
    const char *cfg = "{\"format\":1}";
    json_t *ann = json_pack("{s:s}", "org.example.kind", "cache");
    struct registry_artifact a = {.artifact_type = "application/vnd.kiln.cache.v1",
                                  .config_media_type = "application/vnd.kiln.cache.config.v1+json",
                                  .config = cfg,
                                  .config_len = strlen(cfg),
                                  .layers = layers,
                                  .nlayers = 2,
                                  .annotations = ann};
    char *ref = xasprintf("127.0.0.1:%d/cache/app:buildcache", port);
    struct oci_desc pushed, pulled;
    kiln_error_t *err = NULL;
    cr_assert_eq(registry_artifact_push(st, NULL, ref, &a, &pushed, &err), 0, "%s",
                 err ? err->msg : "");
    json_decref(ann);

    bool missing = true;
    cr_assert_eq(registry_artifact_pull(st2, NULL, ref, false, &pulled, &missing, &err), 0, "%s",
                 err ? err->msg : "");
    cr_expect_not(missing);
    cr_expect_str_eq(pulled.digest, pushed.digest);
    cr_expect(store_has_blob(st2, pushed.digest), "the manifest is in the store");
    cr_expect_not(store_has_blob(st2, layers[0].digest), "layers only when asked for");
    char *m = NULL;
    size_t len;
    cr_assert_eq(store_read_blob(st2, pulled.digest, 1 << 20, &m, &len, NULL), 0);
    cr_expect(strstr(m, "\"artifactType\":\"application/vnd.kiln.cache.v1\"") != NULL, "%s", m);
    cr_expect(strstr(m, "org.example.kind") != NULL, "%s", m);
    free(m);

    cr_assert_eq(registry_fetch_blobs(st2, NULL, ref, layers, 2, &err), 0, "%s",
                 err ? err->msg : "");
    cr_expect(store_has_blob(st2, layers[0].digest));
    cr_expect(store_has_blob(st2, layers[1].digest));
    free(ref);
}

Test(artifact, empty_config_and_a_missing_reference)
{
    struct oci_desc l;
    put_layer(st, "only layer", &l);
    struct registry_artifact a = {
        .artifact_type = "application/vnd.kiln.cache.v1", .layers = &l, .nlayers = 1};
    char *ref = xasprintf("127.0.0.1:%d/c:1", port);
    struct oci_desc pushed, pulled;
    kiln_error_t *err = NULL;
    cr_assert_eq(registry_artifact_push(st, NULL, ref, &a, &pushed, &err), 0, "%s",
                 err ? err->msg : "");
    bool missing = true;
    cr_assert_eq(registry_artifact_pull(st2, NULL, ref, true, &pulled, &missing, &err), 0, "%s",
                 err ? err->msg : "");
    cr_expect_not(missing);
    cr_expect(store_has_blob(st2, l.digest), "layers fetched with with_layers");
    free(ref);

    char *none = xasprintf("127.0.0.1:%d/c:nothing", port);
    cr_assert_eq(registry_artifact_pull(st2, NULL, none, true, &pulled, &missing, &err), 0, "%s",
                 err ? err->msg : "");
    cr_expect(missing, "a tag that does not exist is missing, not an error");
    free(none);
    char *repo = xasprintf("127.0.0.1:%d/never/pushed:1", port);
    cr_assert_eq(registry_artifact_pull(st2, NULL, repo, true, &pulled, &missing, &err), 0);
    cr_expect(missing);
    free(repo);
}

Test(artifact, a_layer_not_in_the_store_is_an_input_error)
{
    struct oci_desc l = {.size = 3};
    snprintf(l.media_type, sizeof(l.media_type), "application/octet-stream");
    snprintf(l.digest, sizeof(l.digest),
             "sha256:0000000000000000000000000000000000000000000000000000000000000000");
    struct registry_artifact a = {.artifact_type = "x/y", .layers = &l, .nlayers = 1};
    char *ref = xasprintf("127.0.0.1:%d/c:2", port);
    struct oci_desc pushed;
    kiln_error_t *err = NULL;
    cr_assert_eq(registry_artifact_push(st, NULL, ref, &a, &pushed, &err), -1);
    cr_expect(strstr(err->msg, "not in the store") != NULL, "%s", err->msg);
    kiln_error_free(err);
    free(ref);
}
