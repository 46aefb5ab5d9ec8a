/* builder/secmem.c: secret memory is out of core dumps and, unless asked, out of forked
 * children; and the secrets, the scanner and the HMAC key are kept there. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/secrets.h"
#include "fsutil.h"
#include "scan/leakscan_int.h"
#include "secmem.h"

/* Forks a child that reads p[0..n) and exits 0 when it equals want, 1 otherwise; returns the
 * child's wait status. */
static int child_reads(const char *p, const char *want, size_t n)
{
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        _exit(memcmp(p, want, n) == 0 ? 0 : 1);
    }
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    return st;
}

Test(secmem, zeroed_not_dumped_not_inherited)
{
    char *p = secmem_alloc(100, 0);
    for (size_t i = 0; i < 100; i++)
        cr_assert_eq(p[i], 0);
    cr_expect(secmem_is_protected(p), "MADV_DONTDUMP");
    memcpy(p, "hunter2", 8);
    int st = child_reads(p, "hunter2", 8);
    cr_expect(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
              "a forked child must fault on secret memory (status 0x%x)", st);
    secmem_free(p);
}

Test(secmem, inherit_keeps_it_in_children)
{
    char *p = secmem_strdup("NAME=value", SECMEM_INHERIT);
    cr_expect(secmem_is_protected(p));
    int st = child_reads(p, "NAME=value", 11);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x", st);
    secmem_free(p);
}

Test(secmem, helpers_keep_it_until_the_sandbox_child_drops_it)
{
    char *p = secmem_strdup("scanner-bytes", SECMEM_HELPERS);
    int st = child_reads(p, "scanner-bytes", 14);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a helper child keeps it (status 0x%x)", st);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        secmem_drop_helpers();
        _exit(memcmp(p, "scanner-bytes", 14) == 0 ? 0 : 1);
    }
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_expect(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
              "after secmem_drop_helpers the child has no copy (status 0x%x)", st);
    cr_expect_str_eq(p, "scanner-bytes", "the parent keeps its own");
    secmem_free(p);
}

Test(secmem, heap_is_not_protected)
{
    /* the check itself can fail: plain heap memory is dumpable */
    char *q = malloc(64 * 1024 * 1024); /* its own mapping, not the brk heap */
    cr_assert_not_null(q);
    q[16] = 1;
    char *fake = q + 16;
    cr_expect(!secmem_is_protected(fake));
    free(q);
}

Test(secmem, secrets_scanner_and_key_live_in_secmem)
{
    char dir[] = "/tmp/kiln-secmem-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[64], root[64];
    snprintf(path, sizeof(path), "%s/s", dir);
    snprintf(root, sizeof(root), "%s/root", dir);
    int fd = open(path, O_CREAT | O_WRONLY, 0600);
    cr_assert(fd >= 0 && write(fd, "a-long-enough-secret", 20) == 20);
    close(fd);
    struct kiln_secret_opt o[] = {{"s", path, NULL}};
    struct secrets *s = NULL;
    kiln_error_t *err = NULL;
    cr_assert_eq(secrets_load(o, 1, &s, &err), 0, "%s", err ? err->msg : "");
    cr_expect(secmem_is_protected(s->v[0].value), "the value");
    struct leakscan *ls = s->scan;
    size_t encoded = 0;
    for (size_t i = 0; i < ls->npats; i++)
        if (ls->pats[i].owned) {
            cr_expect(secmem_is_protected(ls->pats[i].bytes), "encoding %zu", i);
            encoded++;
        }
    cr_expect(encoded >= 2, "hex and base64 encodings");
    cr_expect(secmem_is_protected(ls->raw.delta) && secmem_is_protected(ls->enc.delta),
              "the automata");
    struct store *st = NULL;
    cr_assert_eq(store_open(root, &st, NULL), 0);
    char mac[SECRET_MAC_LEN + 1];
    cr_assert_eq(secrets_mac(s, st, &s->v[0], mac, &err), 0, "%s", err ? err->msg : "");
    cr_expect(secmem_is_protected(s->key), "the HMAC key");
    secrets_free(s);
    store_close(st);
    rm_rf_at(AT_FDCWD, dir, NULL);
}
