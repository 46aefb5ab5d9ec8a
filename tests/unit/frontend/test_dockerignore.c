/* .dockerignore: moby/patternmatcher's test tables (patternmatcher_test.go) and more. */
#include <criterion/criterion.h>
#include <string.h>

#include "dockerignore.h"
#include "util.h"

static struct dockerignore *load(const char *text)
{
    struct dockerignore *d = NULL;
    kiln_error_t *err = NULL;
    int r = dockerignore_parse(".dockerignore", text, strlen(text), &d, &err);
    cr_assert_eq(r, 0, "parse %s: %s", text, err ? err->msg : "");
    return d;
}

static bool excluded(const char *patterns, const char *path)
{
    struct dockerignore *d = load(patterns);
    bool r = dockerignore_excluded(d, path);
    dockerignore_free(d);
    return r;
}

struct match_case {
    const char *pattern, *path;
    bool pass;
};

/* TestMatches of patternmatcher (MatchesOrParentMatches). */
static const struct match_case matches[] = {
    {"**", "file", true},
    {"**", "file/", true},
    {"**/", "file", true},
    {"**/", "file/", true},
    {"**", "dir/file", true},
    {"**/", "dir/file", true},
    {"**", "dir/file/", true},
    {"**/**", "dir/file", true},
    {"**/**", "dir/file/", true},
    {"dir/**", "dir/file", true},
    {"dir/**", "dir/file/", true},
    {"dir/**", "dir/dir2/file", true},
    {"dir/**", "dir/dir2/file/", true},
    {"**/dir", "dir", true},
    {"**/dir", "dir/file", true},
    {"**/dir2/*", "dir/dir2/file", true},
    {"**/dir2/*", "dir/dir2/file/", true},
    {"**/dir2/**", "dir/dir2/dir3/file", true},
    {"**/dir2/**", "dir/dir2/dir3/file/", true},
    {"**file", "file", true},
    {"**file", "dir/file", true},
    {"**/file", "dir/file", true},
    {"**file", "dir/dir/file", true},
    {"**/file", "dir/dir/file", true},
    {"**/file*", "dir/dir/file", true},
    {"**/file*", "dir/dir/file.txt", true},
    {"**/file*txt", "dir/dir/file.txt", true},
    {"**/file*.txt", "dir/dir/file.txt", true},
    {"**/file*.txt*", "dir/dir/file.txt", true},
    {"**/**/*.txt", "dir/dir/file.txt", true},
    {"**/**/*.txt2", "dir/dir/file.txt", false},
    {"**/*.txt", "file.txt", true},
    {"**/**/*.txt", "file.txt", true},
    {"a**/*.txt", "a/file.txt", true},
    {"a**/*.txt", "a/dir/file.txt", true},
    {"a**/*.txt", "a/dir/dir/file.txt", true},
    {"a/*.txt", "a/dir/file.txt", false},
    {"a/*.txt", "a/file.txt", true},
    {"a/*.txt**", "a/file.txt", true},
    {"a[b-d]e", "ae", false},
    {"a[b-d]e", "ace", true},
    {"a[b-d]e", "aae", false},
    {"a[^b-d]e", "aze", true},
    {".*", ".foo", true},
    {".*", "foo", false},
    {"abc.def", "abcdef", false},
    {"abc.def", "abc.def", true},
    {"abc.def", "abcZdef", false},
    {"abc?def", "abcZdef", true},
    {"abc?def", "abcdef", false},
    {"a\\\\", "a\\", true},
    {"**/foo/bar", "foo/bar", true},
    {"**/foo/bar", "dir/foo/bar", true},
    {"**/foo/bar", "dir/dir2/foo/bar", true},
    {"abc/**", "abc", false},
    {"abc/**", "abc/def", true},
    {"abc/**", "abc/def/ghi", true},
    {"**/.foo", ".foo", true},
    {"**/.foo", "bar.foo", false},
    {"a(b)c/def", "a(b)c/def", true},
    {"a(b)c/def", "a(b)c/xyz", false},
    {"a.|)$(}+{bc", "a.|)$(}+{bc", true},
    {"dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
     "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true},
    {"dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true},
    {"a\\*b", "a*b", true},
    /* matchTests (TestMatch) */
    {"abc", "abc", true},
    {"*", "abc", true},
    {"*c", "abc", true},
    {"a*", "a", true},
    {"a*", "abc", true},
    {"a*", "ab/c", true},
    {"a*/b", "abc/b", true},
    {"a*/b", "a/c/b", false},
    {"a*b*c*d*e*/f", "axbxcxdxe/f", true},
    {"a*b*c*d*e*/f", "axbxcxdxexxx/f", true},
    {"a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false},
    {"a*b*c*d*e*/f", "axbxcxdxexxx/fff", false},
    {"a*b?c*x", "abxbbxdbxebxczzx", true},
    {"a*b?c*x", "abxbbxdbxebxczzy", false},
    {"ab[c]", "abc", true},
    {"ab[b-d]", "abc", true},
    {"ab[e-g]", "abc", false},
    {"ab[^c]", "abc", false},
    {"ab[^b-d]", "abc", false},
    {"ab[^e-g]", "abc", true},
    {"a\\*b", "ab", false},
    {"a?b",
     "a\xE2\x98\xBA"
     "b",
     true},
    {"a[^a]b",
     "a\xE2\x98\xBA"
     "b",
     true},
    {"a???b",
     "a\xE2\x98\xBA"
     "b",
     false},
    {"a[^a][^a][^a]b",
     "a\xE2\x98\xBA"
     "b",
     false},
    {"[a-\xCE\xB6]*", "\xCE\xB1", true},
    {"*[a-\xCE\xB6]", "A", false},
    {"a?b", "a/b", false},
    {"a*b", "a/b", false},
    {"[\\]a]", "]", true},
    {"[\\-]", "-", true},
    {"[x\\-]", "x", true},
    {"[x\\-]", "-", true},
    {"[x\\-]", "z", false},
    {"[\\-x]", "x", true},
    {"[\\-x]", "-", true},
    {"[\\-x]", "a", false},
    {"*x", "xxx", true},
};

Test(dockerignore, patternmatcher_tables)
{
    for (size_t i = 0; i < ARRAY_SIZE(matches); i++) {
        const struct match_case *c = &matches[i];
        cr_expect_eq(excluded(c->pattern, c->path), c->pass, "pattern %s path %s: want %d",
                     c->pattern, c->path, c->pass);
    }
}

struct multi_case {
    const char *file, *path;
    bool excluded;
};

/* Exceptions, last match wins, parents, comments, cleaning. */
static const struct multi_case multi[] = {
    {"**\n!util/docker/web\n", "util/docker/web/foo", false},
    {"**\n!util/docker/web\nutil/docker/web/foo\n", "util/docker/web/foo", true},
    {"**\n!dist/*.whl\n", "dist/x-1.0-py3-none-any.whl", false},
    {"!fileutils.go\n*.go\n", "fileutils.go", true},
    {"*.go\n!fileutils.go\n", "fileutils.go", false},
    {"docs\n!docs/README.md\n", "docs/README.md", false},
    {"docs/\n!docs/README.md\n", "docs/README.md", false},
    {"docs/*\n!docs/README.md\n", "docs/README.md", false},
    {"docs\n!docs/README.md\n", "docs/other.md", true},
    {"*.go\n", ".", false},
    {"# comment\n*.md\n", "README.md", true},
    {"#*.md\n", "README.md", false},
    {" # not a comment\n", "# not a comment", true},
    {"  /foo/bar/../baz  \n", "foo/baz", true},
    {"/foo\n", "foo/x", true},
    {"./foo\n", "foo", true},
    {"!  keep\n", "keep", false},
    {"\xEF\xBB\xBF"
     "secret\n",
     "secret", true},
    {"a\r\nb\r\n", "b", true},
    {"*\n!a/b\n", "a", true},
    {"*\n!a/b\n", "a/b", false},
    {"*\n!a/b\n", "a/c", true},
    {"a/b\n!a\n", "a/b/c", false},
    {"a\n!a/b\na/b/c\n", "a/b/c/d", true},
};

Test(dockerignore, exceptions_and_last_match_wins)
{
    for (size_t i = 0; i < ARRAY_SIZE(multi); i++) {
        const struct multi_case *c = &multi[i];
        cr_expect_eq(excluded(c->file, c->path), c->excluded, "file [%s] path %s", c->file,
                     c->path);
    }
}

Test(dockerignore, bad_patterns)
{
    static const char *const bad[] = {"[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]",
                                      "[",    "[^",  "[^bc", "a[",   "!",  "ok\n!\n"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct dockerignore *d = NULL;
        cleanup_error kiln_error_t *err = NULL;
        cr_expect_eq(dockerignore_parse(".dockerignore", bad[i], strlen(bad[i]), &d, &err), -1,
                     "pattern %s should fail", bad[i]);
        cr_expect(err && err->code == KILN_EINPUT);
    }
    cleanup_error kiln_error_t *err = NULL;
    struct dockerignore *d = NULL;
    dockerignore_parse(".dockerignore", "x\n[\n", 4, &d, &err);
    cr_assert_str_eq(err->msg, ".dockerignore:2: syntax error in pattern");
    kiln_error_free(err);
    err = NULL;
    dockerignore_parse(".dockerignore", "!\n", 2, &d, &err);
    cr_assert_str_eq(err->msg, ".dockerignore:1: illegal exclusion pattern: \"!\"");
}

Test(dockerignore, limits)
{
    size_t n = DOCKERIGNORE_MAX_LINE + 10;
    cleanup_free char *line = xmalloc(n + 1);
    memset(line, 'a', n);
    line[n] = '\0';
    struct dockerignore *d = NULL;
    cleanup_error kiln_error_t *err = NULL;
    cr_assert_eq(dockerignore_parse(".dockerignore", line, n, &d, &err), -1);
    cr_assert_eq(err->code, KILN_ELIMIT);
    kiln_error_free(err);
    err = NULL;
    cr_assert_eq(dockerignore_parse(".dockerignore", "a", DOCKERIGNORE_MAX_SIZE + 1, &d, &err), -1);
    cr_assert_eq(err->code, KILN_ELIMIT);
}

Test(dockerignore, match_line_and_count)
{
    struct dockerignore *d = load("# c\n*.log\n\n!keep.log\nbuild/\n");
    cr_assert_eq(dockerignore_count(d), 3);
    cr_assert_eq(dockerignore_match_line(d, "x.log"), 2);
    cr_assert_eq(dockerignore_match_line(d, "keep.log"), 0);
    cr_assert_eq(dockerignore_match_line(d, "build/out/a.o"), 5);
    cr_assert_eq(dockerignore_match_line(d, "src/main.c"), 0);
    cr_assert_eq(dockerignore_match_line(NULL, "x"), 0);
    cr_assert(!dockerignore_excluded(NULL, "x"));
    dockerignore_free(d);
}

Test(dockerignore, may_include_below)
{
    struct dockerignore *d = load("node_modules\n!node_modules/keep/**\n**/tmp\n");
    cr_assert(dockerignore_may_include_below(d, "node_modules"));
    cr_assert(!dockerignore_may_include_below(d, "other"));
    dockerignore_free(d);
    d = load("*\n!**/keep\n");
    cr_assert(dockerignore_may_include_below(d, "anything/deep"));
    dockerignore_free(d);
    d = load("*\n");
    cr_assert(!dockerignore_may_include_below(d, "a"));
    dockerignore_free(d);
}

Test(dockerignore, specific_file_name)
{
    cleanup_free char *p = dockerignore_specific_path("build/app.Dockerfile");
    cr_assert_str_eq(p, "build/app.Dockerfile.dockerignore");
    cr_assert_null(dockerignore_specific_path("-"));
    cr_assert_null(dockerignore_specific_path(NULL));
}
