#include <criterion/criterion.h>
#include <string.h>

#include "buf.h"
#include "strset.h"
#include "util.h"

static const struct {
    const char *in, *out;
} clean_cases[] = {
    {"", "."},
    {"/", "/"},
    {"a/b", "a/b"},
    {"a//b/", "a/b"},
    {"./a", "a"},
    {"a/./b", "a/b"},
    {"a/../b", "b"},
    {"../a", "../a"},
    {"/../a", "/a"},
    {"a/b/../..", "."},
    {"a/b/../../..", ".."},
    {"//a", "/a"},
    {"/a/b/c/../../d", "/a/d"},
};

Test(util, path_clean_matches_go)
{
    for (size_t i = 0; i < ARRAY_SIZE(clean_cases); i++) {
        char *c = path_clean(clean_cases[i].in);
        cr_expect_str_eq(c, clean_cases[i].out, "path_clean(\"%s\")", clean_cases[i].in);
        free(c);
    }
}

Test(util, parse_u64_is_strict)
{
    uint64_t v;
    cr_expect_eq(parse_u64("42", 100, &v), 0);
    cr_expect_eq(v, 42);
    cr_expect_eq(parse_u64("101", 100, &v), -1, "over max");
    cr_expect_eq(parse_u64("", 100, &v), -1);
    cr_expect_eq(parse_u64(" 1", 100, &v), -1);
    cr_expect_eq(parse_u64("1x", 100, &v), -1);
    cr_expect_eq(parse_u64("-1", 100, &v), -1);
    cr_expect_eq(parse_u64("18446744073709551616", UINT64_MAX, &v), -1, "overflow");
}

Test(util, parse_mode_and_size)
{
    unsigned m;
    uint64_t s;
    cr_expect_eq(parse_mode("0755", &m), 0);
    cr_expect_eq(m, 0755);
    cr_expect_eq(parse_mode("8", &m), -1);
    cr_expect_eq(parse_mode("17777", &m), -1);
    cr_expect_eq(parse_size("64m", &s), 0);
    cr_expect_eq(s, 64ull << 20);
    cr_expect_eq(parse_size("1GiB", &s), 0);
    cr_expect_eq(s, 1ull << 30);
    cr_expect_eq(parse_size("12q", &s), -1);
}

Test(buf, enforces_its_limit)
{
    struct buf b = BUF_INIT(8);
    kiln_error_t *err = NULL;
    cr_assert_eq(buf_addstr(&b, "12345678", &err), 0);
    cr_expect_eq(buf_addch(&b, 'x', &err), -1);
    cr_assert_not_null(err);
    cr_expect_eq(err->code, KILN_ELIMIT);
    cr_expect_str_eq(buf_str(&b), "12345678", "unchanged after a refused append");
    kiln_error_free(err);
    buf_release(&b);
}

Test(error, wrap_prefixes_context_and_keeps_code)
{
    kiln_error_t *err = NULL;
    kiln_err(&err, KILN_EINPUT, ENOENT, "open '%s'", "a.txt");
    kiln_err_wrap(&err, "Dockerfile:%d: COPY", 3);
    cr_expect_str_eq(err->msg, "Dockerfile:3: COPY: open 'a.txt': No such file or directory");
    cr_expect_eq(kiln_error_exit_status(err), 2);
    kiln_error_free(err);
}

Test(strset, adds_once)
{
    struct strset s = STRSET_INIT;
    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "p/%d", i);
        cr_expect(strset_add(&s, name));
    }
    cr_expect_not(strset_add(&s, "p/7"));
    cr_expect(strset_has(&s, "p/999"));
    cr_expect_not(strset_has(&s, "p/1000"));
    cr_expect_eq(s.n, 1000);
    strset_release(&s);
}
