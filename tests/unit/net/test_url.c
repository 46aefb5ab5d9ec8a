#include <criterion/criterion.h>
#include <string.h>

#include "net/url.h"

Test(url, file_names_as_buildkit)
{
    const char *cases[][2] = {
        {"http://h/a/b/file.tar.gz", "file.tar.gz"},
        {"https://h/dir/", "dir"},
        {"http://h", "__unnamed__"},
        {"http://h/", "__unnamed__"},
        {"http://h/a%20b.txt?x=1#frag", "a b.txt"},
        {"http://h/..", "__unnamed__"},
        {"http://user:pw@h:8080/x.bin", "x.bin"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct url_parts u;
        kiln_error_t *e = NULL;
        cr_assert_eq(url_parse(cases[i][0], false, &u, &e), 0, "%s", cases[i][0]);
        char *n = url_file_name(&u);
        cr_expect_str_eq(n, cases[i][1], "%s", cases[i][0]);
        free(n);
        url_parts_release(&u);
    }
}

Test(url, parts_ports_and_redaction)
{
    struct url_parts u;
    kiln_error_t *e = NULL;
    cr_assert_eq(url_parse("https://[fd00::1]/x", false, &u, &e), 0);
    cr_expect_str_eq(u.host, "fd00::1");
    cr_expect_eq(u.port, 443);
    url_parts_release(&u);
    cr_assert_eq(url_parse("proxy.corp:3128", true, &u, &e), 0);
    cr_expect_str_eq(u.scheme, "http");
    cr_expect_str_eq(u.host, "proxy.corp");
    cr_expect_eq(u.port, 3128);
    url_parts_release(&u);
    cr_expect_eq(url_parse("http://", false, &u, &e), -1);
    cr_assert_not_null(e);
    kiln_error_free(e);
    char *r = url_redact("https://user:secret@h/p");
    cr_expect_str_eq(r, "https://xxxxx@h/p");
    free(r);
}
