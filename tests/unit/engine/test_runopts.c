/* --add-host and --ulimit as buildx and Docker parse them (builder/engine/runopts.c). */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/resource.h>

#include "engine/runopts.h"
#include "util.h"

static void free_hosts(struct kiln_kv *h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(h[i].key), free(h[i].value);
    free(h);
}

static char *hosts_of(const char *const *args, size_t nargs, kiln_error_t **err)
{
    struct kiln_kv *h = NULL;
    size_t n = 0;
    for (size_t i = 0; i < nargs; i++)
        if (runopts_add_host(args[i], &h, &n, err) < 0) {
            free_hosts(h, n);
            return NULL;
        }
    char *text = runopts_hosts_text(h, n);
    free_hosts(h, n);
    return text ? text : xstrdup("");
}

Test(runopts, add_host_forms_of_buildx)
{
    const char *args[] = {"DB.example:10.0.0.1", "v6=[::1]", "multi=127.0.0.2,[fe80:0::1]",
                          "cafe:2001:db8::0:1"};
    char *t = hosts_of(args, 4, NULL);
    cr_assert_str_eq(t, "10.0.0.1\tdb.example\n::1\tv6\n127.0.0.2\tmulti\nfe80::1\tmulti\n"
                        "2001:db8::1\tcafe\n");
    free(t);
}

Test(runopts, add_host_refusals)
{
    const char *bad[] = {"nohost",
                         ":1.2.3.4",
                         "h:",
                         "h:1.2.3",
                         "h:300.1.1.1",
                         "h h:1.2.3.4",
                         "h\n127.0.0.1 evil:1.2.3.4",
                         "h#x:1.2.3.4",
                         "h:1.2.3.4,"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        kiln_error_t *err = NULL;
        char *t = hosts_of(&bad[i], 1, &err);
        cr_expect_null(t, "'%s' accepted", bad[i]);
        cr_expect(err && err->code == KILN_EUSAGE && strstr(err->msg, "invalid host"), "%s: %s",
                  bad[i], err ? err->msg : "");
        kiln_error_free(err);
        free(t);
    }
    kiln_error_t *err = NULL;
    const char *gw = "h:host-gateway";
    cr_expect_null(hosts_of(&gw, 1, &err));
    cr_expect_eq(err->code, KILN_EUNSUPPORTED);
    kiln_error_free(err);
}

Test(runopts, ulimit_docker_syntax)
{
    struct kiln_ulimit u[KILN_MAX_ULIMITS];
    size_t n = 0;
    cr_assert_eq(runopts_ulimit("nofile=1024:2048", u, &n, NULL), 0);
    cr_assert_eq(runopts_ulimit("nproc=100", u, &n, NULL), 0);
    cr_assert_eq(runopts_ulimit("stack=-1", u, &n, NULL), 0);
    cr_assert_eq(runopts_ulimit("nofile=10:20", u, &n, NULL), 0); /* replaces */
    cr_assert_eq(runopts_ulimit("core=0", u, &n, NULL), 0);
    cr_assert_eq(n, 4);
    cr_expect(u[0].resource == RLIMIT_NOFILE && u[0].soft == 10 && u[0].hard == 20);
    cr_expect(u[1].resource == RLIMIT_NPROC && u[1].soft == 100 && u[1].hard == 100);
    cr_expect(u[2].resource == RLIMIT_STACK && u[2].soft == RLIM_INFINITY &&
              u[2].hard == RLIM_INFINITY);
    cr_expect(u[3].resource == RLIMIT_CORE && u[3].soft == 0);
}

Test(runopts, ulimit_refusals_with_dockers_words)
{
    static const struct {
        const char *v, *msg;
    } bad[] = {
        {"nofile", "invalid ulimit argument: nofile"},
        {"files=1", "invalid ulimit type: files"},
        {"nofile=x", "invalid ulimit argument: nofile=x"},
        {"nofile=1:2:3", "too many limit value arguments - 1:2:3"},
        {"nofile=3:2", "ulimit soft limit must be less than or equal to hard limit: 3 > 2"},
        {"nofile=-1:2", "soft: -1 (unlimited), hard: 2"},
        {"nofile=-2", "invalid ulimit argument"},
        {"core=1", "core dumps stay off"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct kiln_ulimit u[KILN_MAX_ULIMITS];
        size_t n = 0;
        kiln_error_t *err = NULL;
        cr_expect_eq(runopts_ulimit(bad[i].v, u, &n, &err), -1, "'%s' accepted", bad[i].v);
        cr_expect(err && strstr(err->msg, bad[i].msg), "%s: %s", bad[i].v, err ? err->msg : "");
        kiln_error_free(err);
    }
}
