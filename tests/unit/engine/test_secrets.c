/* --secret values: sources, limits, and the store's HMAC key. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/secrets.h"
#include "fsutil.h"

static char dir[64];
static struct store *st;

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/kiln-secrets-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char root[128];
    snprintf(root, sizeof(root), "%s/root", dir);
    cr_assert_eq(store_open(root, &st, NULL), 0);
}

static void teardown(void)
{
    store_close(st);
    rm_rf_at(AT_FDCWD, dir, NULL);
}

TestSuite(secrets, .init = setup, .fini = teardown);

static char *file_with(const char *name, const char *content, size_t n)
{
    char *p = NULL;
    cr_assert(asprintf(&p, "%s/%s", dir, name) > 0);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fwrite(content, 1, n, f);
    fclose(f);
    return p;
}

Test(secrets, file_env_and_bare_id)
{
    char *path = file_with("a", "from-file\n", 10);
    setenv("KILN_TEST_SECRET", "from-env", 1);
    setenv("bare", "bare-env", 1);
    struct kiln_secret_opt o[] = {
        {"a", path, NULL}, {"b", NULL, "KILN_TEST_SECRET"}, {"bare", NULL, NULL}};
    struct secrets *s = NULL;
    kiln_error_t *err = NULL;
    cr_assert_eq(secrets_load(o, 3, &s, &err), 0, "%s", err ? err->msg : "");
    const struct secret *a = secrets_find(s, "a"), *b = secrets_find(s, "b"),
                        *c = secrets_find(s, "bare");
    cr_assert(a && b && c);
    cr_expect(a->len == 10 && !memcmp(a->value, "from-file\n", 10));
    cr_expect(b->len == 8 && !memcmp(b->value, "from-env", 8));
    cr_expect(c->len == 8 && !memcmp(c->value, "bare-env", 8));
    cr_expect_null(secrets_find(s, "nope"));
    secrets_free(s);
    free(path);
}

Test(secrets, a_later_id_wins)
{
    char *p1 = file_with("one", "first", 5), *p2 = file_with("two", "second", 6);
    struct kiln_secret_opt o[] = {{"x", p1, NULL}, {"x", p2, NULL}};
    struct secrets *s = NULL;
    cr_assert_eq(secrets_load(o, 2, &s, NULL), 0);
    cr_expect_eq(s->n, 1);
    cr_expect_eq(secrets_find(s, "x")->len, 6);
    secrets_free(s);
    free(p1), free(p2);
}

static void load_fails(struct kiln_secret_opt *o, enum kiln_code code, const char *want)
{
    struct secrets *s = NULL;
    kiln_error_t *err = NULL;
    cr_assert_eq(secrets_load(o, 1, &s, &err), -1);
    cr_expect_eq(err->code, code, "%s", err->msg);
    cr_expect(strstr(err->msg, want), "'%s' lacks '%s'", err->msg, want);
    kiln_error_free(err);
}

Test(secrets, missing_oversized_and_bad)
{
    struct kiln_secret_opt o = {"m", "/nonexistent/secret", NULL};
    load_fails(&o, KILN_EINPUT,
               "secret 'm': open '/nonexistent/secret': No such file or directory");
    unsetenv("KILN_UNSET_VAR");
    o = (struct kiln_secret_opt){"e", NULL, "KILN_UNSET_VAR"};
    load_fails(&o, KILN_EINPUT, "environment variable 'KILN_UNSET_VAR' is not set");
    char *big = calloc(1, SECRET_MAX_SIZE + 1);
    char *p = file_with("big", big, SECRET_MAX_SIZE + 1);
    o = (struct kiln_secret_opt){"big", p, NULL};
    load_fails(&o, KILN_ELIMIT, "larger than 500 KiB");
    free(p);
    p = file_with("max", big, SECRET_MAX_SIZE);
    o = (struct kiln_secret_opt){"max", p, NULL};
    struct secrets *s = NULL;
    cr_expect_eq(secrets_load(&o, 1, &s, NULL), 0, "exactly 500 KiB is fine");
    secrets_free(s);
    free(p), free(big);
    o = (struct kiln_secret_opt){"", "x", NULL};
    load_fails(&o, KILN_EUSAGE, "invalid id");
    o = (struct kiln_secret_opt){"a\nb", "x", NULL};
    load_fails(&o, KILN_EUSAGE, "invalid id");
}

Test(secrets, mac_is_keyed_per_store_and_stable)
{
    char *p = file_with("v", "value", 5);
    struct kiln_secret_opt o = {"v", p, NULL};
    struct secrets *s = NULL;
    cr_assert_eq(secrets_load(&o, 1, &s, NULL), 0);
    char m1[SECRET_MAC_LEN + 1], m2[SECRET_MAC_LEN + 1];
    kiln_error_t *err = NULL;
    cr_assert_eq(secrets_mac(s, st, secrets_find(s, "v"), m1, &err), 0, "%s", err ? err->msg : "");
    cr_expect(strncmp(m1, "hmac-sha256:", 12) == 0 && strlen(m1) == SECRET_MAC_LEN);
    struct stat kst;
    cr_assert_eq(fstatat(st->rootfd, SECRET_KEY_FILE, &kst, 0), 0);
    cr_expect_eq(kst.st_mode & 07777, 0600);
    cr_expect_eq(kst.st_size, SECRET_KEY_LEN);
    secrets_free(s);
    /* a new load (another build) reads the same key */
    cr_assert_eq(secrets_load(&o, 1, &s, NULL), 0);
    cr_assert_eq(secrets_mac(s, st, secrets_find(s, "v"), m2, NULL), 0);
    cr_expect_str_eq(m1, m2);
    secrets_free(s);
    /* another key, another MAC; a damaged key is an error, not a silent new one */
    cr_assert_eq(unlinkat(st->rootfd, SECRET_KEY_FILE, 0), 0);
    cr_assert_eq(secrets_load(&o, 1, &s, NULL), 0);
    cr_assert_eq(secrets_mac(s, st, secrets_find(s, "v"), m2, NULL), 0);
    cr_expect_str_neq(m1, m2);
    secrets_free(s);
    cr_assert_eq(fchmodat(st->rootfd, SECRET_KEY_FILE, 0644, 0), 0);
    cr_assert_eq(secrets_load(&o, 1, &s, NULL), 0);
    cr_expect_eq(secrets_mac(s, st, secrets_find(s, "v"), m2, &err), -1);
    cr_expect(err && strstr(err->msg, "not private"), "%s", err ? err->msg : "");
    kiln_error_free(err);
    secrets_free(s);
    free(p);
}
