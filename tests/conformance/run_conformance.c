/* Runs BuildKit's Dockerfile parser and shell-lexer conformance data against kiln's frontend,
 * reading it in place from ../shared/conformance/buildkit/frontend/dockerfile:
 *
 *   parser/testfiles/<case>/{Dockerfile,result}  the dump must equal result byte for byte
 *   parser/testfiles-negative/<case>/Dockerfile  the parse must fail
 *   parser/testfile-line/Dockerfile              line numbers (parser_test.go)
 *   shell/envVarTest                             ProcessWord, as lex_test.go runs it
 *   shell/wordsTest                              ProcessWords, as lex_test.go runs it
 *
 * The shell files are run twice: with the escape character '\' as lex_test.go does, and with
 * '`' after swapping '\' and '`' in input and expectation (the lexer treats the escape
 * character generically, and these files use no pattern operators where '\' is literal).
 * envVarTest lines are tagged A (all platforms), U (Unix) or W (Windows, where variable names
 * are case-insensitive): W lines run with a case-insensitive lookup.
 *
 * Usage: run_conformance DATA_DIR. Prints the counts; exits 1 when any case fails, 77 (ctest's
 * skip code) when DATA_DIR is missing (a checkout with no ../shared next to it).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ast.h"
#include "shell.h"
#include "util.h"

struct tally {
    int pass, total;
};

static char *read_file(const char *path, size_t *len)
{
    cleanup_fclose FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *data = xmalloc(cap);
    size_t r;
    while ((r = fread(data + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap)
            data = xrealloc(data, cap *= 2);
    }
    data[n] = '\0';
    *len = n;
    return data;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **list_dir(const char *path, size_t *n)
{
    cleanup_dir DIR *d = opendir(path);
    char **v = NULL;
    *n = 0;
    if (!d)
        return xcalloc(1, sizeof(char *));
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            strv_push(&v, n, xstrdup(e->d_name));
    if (v)
        qsort(v, *n, sizeof(char *), cmp_names);
    return v ? v : xcalloc(1, sizeof(char *));
}

static void check(struct tally *t, int ok, const char *what, const char *detail)
{
    t->total++;
    if (ok)
        t->pass++;
    else
        printf("FAIL %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
}

static void parser_case(struct tally *t, const char *dir, const char *name)
{
    cleanup_free char *df = xasprintf("%s/%s/Dockerfile", dir, name);
    cleanup_free char *res = xasprintf("%s/%s/result", dir, name);
    size_t dlen, rlen;
    cleanup_free char *data = read_file(df, &dlen);
    cleanup_free char *want = read_file(res, &rlen);
    cleanup_df_ast struct df_ast *ast = NULL;
    cleanup_error kiln_error_t *err = NULL;
    if (!data || !want) {
        check(t, 0, name, "cannot read the case");
        return;
    }
    if (df_ast_parse("Dockerfile", data, dlen, &ast, &err) < 0) {
        check(t, 0, name, err->msg);
        return;
    }
    cleanup_free char *dump = df_ast_dump(ast, NULL);
    cleanup_free char *got = xasprintf("%s\n", dump);
    int ok = strcmp(got, want) == 0;
    check(t, ok, name, ok ? NULL : "dump differs");
    if (!ok)
        printf("--- want\n%s--- got\n%s", want, got);
}

static void negative_case(struct tally *t, const char *dir, const char *name)
{
    cleanup_free char *df = xasprintf("%s/%s/Dockerfile", dir, name);
    size_t dlen;
    cleanup_free char *data = read_file(df, &dlen);
    cleanup_df_ast struct df_ast *ast = NULL;
    cleanup_error kiln_error_t *err = NULL;
    int failed = data && df_ast_parse("Dockerfile", data, dlen, &ast, &err) < 0;
    check(t, failed, name, failed ? NULL : "parsed, should have failed");
}

static void run_dir(struct tally *t, const char *root, const char *sub,
                    void (*fn)(struct tally *, const char *, const char *))
{
    cleanup_free char *dir = xasprintf("%s/%s", root, sub);
    size_t n;
    cleanup_strv char **names = list_dir(dir, &n);
    for (size_t i = 0; i < n; i++)
        fn(t, dir, names[i]);
}

static void line_case(struct tally *t, const char *root)
{
    static const int want[][2] = {{5, 5}, {11, 12}, {17, 31}};
    cleanup_free char *df = xasprintf("%s/parser/testfile-line/Dockerfile", root);
    size_t dlen;
    cleanup_free char *data = read_file(df, &dlen);
    cleanup_df_ast struct df_ast *ast = NULL;
    cleanup_error kiln_error_t *err = NULL;
    if (!data || df_ast_parse("Dockerfile", data, dlen, &ast, &err) < 0) {
        check(t, 0, "testfile-line", err ? err->msg : "cannot read");
        return;
    }
    check(t, ast->start_line == 5 && ast->end_line == 31, "testfile-line root", NULL);
    check(t, ast->nnodes == 3, "testfile-line children", NULL);
    for (size_t i = 0; i < 3 && i < ast->nnodes; i++) {
        cleanup_free char *what = xasprintf("testfile-line child %zu (%d-%d)", i,
                                            ast->nodes[i].start_line, ast->nodes[i].end_line);
        check(t, ast->nodes[i].start_line == want[i][0] && ast->nodes[i].end_line == want[i][1],
              what, NULL);
    }
}

/* Swaps '\' and '`' (the backtick run of the shell files). */
static void swap_escape(char *s)
{
    for (; *s; s++)
        *s = *s == '\\' ? '`' : *s == '`' ? '\\' : *s;
}

static char *trim_dup(const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    return xstrndup(s, n);
}

struct env {
    char **kv; /* "K=V" */
    size_t n;
    int fold; /* case-insensitive names (Windows) */
};

static const char *env_lookup(void *ctx, const char *name)
{
    const struct env *e = ctx;
    const char *found = NULL;
    size_t nl = strlen(name);
    for (size_t i = 0; i < e->n; i++) {
        const char *eq = strchr(e->kv[i], '=');
        size_t kl = eq ? (size_t)(eq - e->kv[i]) : strlen(e->kv[i]);
        int same = kl == nl && (e->fold ? strncasecmp(e->kv[i], name, nl) == 0
                                        : strncmp(e->kv[i], name, nl) == 0);
        if (same)
            found = eq ? eq + 1 : "";
    }
    return found;
}

static void env_var_line(struct tally *t, char *line, int lineno, char esc)
{
    char *p1 = strchr(line, '|'), *p2 = p1 ? strchr(p1 + 1, '|') : NULL;
    if (!p2) {
        check(t, 0, "envVarTest", "malformed line");
        return;
    }
    cleanup_free char *plat = trim_dup(line, (size_t)(p1 - line));
    cleanup_free char *src = trim_dup(p1 + 1, (size_t)(p2 - p1 - 1));
    cleanup_free char *want = trim_dup(p2 + 1, strlen(p2 + 1));
    if (esc == '`') {
        swap_escape(src);
        swap_escape(want);
    }
    char *kv[] = {"PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL="};
    struct env e = {kv, 4, strcmp(plat, "W") == 0};
    struct shell_opts o = {.escape = esc};
    cleanup_free char *got = NULL;
    cleanup_error kiln_error_t *err = NULL;
    int r = shell_process_word(&o, src, env_lookup, &e, &got, &err);
    int ok = strcmp(want, "error") == 0 ? r < 0 : r == 0 && strcmp(got, want) == 0;
    if (!ok) {
        cleanup_free char *d = xasprintf("line %d (%c) %s: want [%s] got [%s]", lineno, esc, src,
                                         want, r < 0 ? err->msg : got);
        check(t, 0, "envVarTest", d);
        return;
    }
    check(t, 1, "envVarTest", NULL);
}

static void env_var_test(struct tally *t, const char *root, char esc)
{
    cleanup_free char *path = xasprintf("%s/shell/envVarTest", root);
    size_t n;
    cleanup_free char *data = read_file(path, &n);
    if (!data) {
        check(t, 0, "envVarTest", "cannot read");
        return;
    }
    int lineno = 0;
    for (char *line = data, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        cleanup_free char *tl = trim_dup(line, strlen(line));
        if (line[0] == '#' || !*tl)
            continue;
        env_var_line(t, tl, lineno, esc);
    }
}

static int words_equal(char **got, size_t n, const char *want)
{
    size_t i = 0;
    for (const char *w = want;; i++) {
        const char *comma = strchr(w, ',');
        size_t len = comma ? (size_t)(comma - w) : strlen(w);
        if (i >= n || strlen(got[i]) != len || memcmp(got[i], w, len) != 0)
            return 0;
        if (!comma)
            break;
        w = comma + 1;
    }
    return i + 1 == n;
}

static void words_line(struct tally *t, const char *line, struct env *e, char esc, int lineno)
{
    const char *bar = strchr(line, '|');
    if (!bar || strchr(bar + 1, '|')) {
        check(t, 0, "wordsTest", "malformed line");
        return;
    }
    cleanup_free char *src = trim_dup(line, (size_t)(bar - line));
    const char *w = bar + 1;
    while (*w == ' ')
        w++;
    cleanup_free char *want = xstrdup(w);
    if (esc == '`') {
        swap_escape(src);
        swap_escape(want);
    }
    struct shell_opts o = {.escape = esc};
    cleanup_strv char **got = NULL;
    size_t n = 0;
    cleanup_error kiln_error_t *err = NULL;
    int ok = shell_process_words(&o, src, env_lookup, e, &got, &n, &err) < 0
                 ? strcmp(want, "error") == 0
                 : words_equal(got, n, want);
    cleanup_free char *d = xasprintf("line %d (%c) %s", lineno, esc, src);
    check(t, ok, "wordsTest", ok ? NULL : d);
}

static void words_test(struct tally *t, const char *root, char esc)
{
    cleanup_free char *path = xasprintf("%s/shell/wordsTest", root);
    size_t n;
    cleanup_free char *data = read_file(path, &n);
    struct env e = {NULL, 0, 0};
    int lineno = 0;
    for (char *line = data, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        if (line[0] == '#')
            continue;
        if (strncmp(line, "ENV ", 4) == 0) {
            const char *kv = line + 3;
            while (*kv == ' ')
                kv++;
            strv_push(&e.kv, &e.n, xstrdup(kv));
            continue;
        }
        words_line(t, line, &e, esc, lineno);
    }
    strv_free(e.kv);
}

static int report(const char *what, const struct tally *t)
{
    printf("%s: %d/%d\n", what, t->pass, t->total);
    return t->pass == t->total && t->total > 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
        return 2;
    }
    const char *root = argv[1];
    if (access(root, R_OK | X_OK) != 0) {
        printf("SKIP: no BuildKit conformance data at '%s' (no ../shared next to the checkout)\n",
               root);
        const char *log = getenv("KILN_SKIP_LOG");
        FILE *f = log && *log ? fopen(log, "a") : NULL;
        if (f) {
            fprintf(f, "conformance_buildkit: SKIP: no conformance data at '%s'\n", root);
            fclose(f);
        }
        return 77;
    }
    struct tally parser = {0}, negative = {0}, lines = {0}, env = {0}, envb = {0}, words = {0},
                 wordsb = {0};
    run_dir(&parser, root, "parser/testfiles", parser_case);
    run_dir(&negative, root, "parser/testfiles-negative", negative_case);
    line_case(&lines, root);
    env_var_test(&env, root, '\\');
    env_var_test(&envb, root, '`');
    words_test(&words, root, '\\');
    words_test(&wordsb, root, '`');
    int ok = report("parser", &parser);
    ok &= report("parser-negative", &negative);
    ok &= report("parser-lines", &lines);
    ok &= report("envVarTest (escape \\)", &env);
    ok &= report("envVarTest (escape `)", &envb);
    ok &= report("wordsTest (escape \\)", &words);
    ok &= report("wordsTest (escape `)", &wordsb);
    printf("%s\n", ok ? "conformance: PASS" : "conformance: FAIL");
    return ok ? 0 : 1;
}
