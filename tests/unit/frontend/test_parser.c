/* The parser level (ast.h): heredocs (BuildKit's parser_heredoc_test.go), directives,
 * continuations, comments, limits, positions. */
#include <criterion/criterion.h>
#include <string.h>

#include "ast.h"
#include "heredoc.h"
#include "util.h"

static struct df_ast *parse_ok(const char *text)
{
    struct df_ast *a = NULL;
    kiln_error_t *err = NULL;
    int r = df_ast_parse("Dockerfile", text, strlen(text), &a, &err);
    cr_assert_eq(r, 0, "parse failed: %s", err ? err->msg : "");
    return a;
}

static char *parse_err(const char *text, size_t len, enum kiln_code *code)
{
    struct df_ast *a = NULL;
    kiln_error_t *err = NULL;
    cr_assert_eq(df_ast_parse("Dockerfile", text, len, &a, &err), -1, "should fail: %s", text);
    if (code)
        *code = err->code;
    char *m = xstrdup(err->msg);
    kiln_error_free(err);
    return m;
}

static const char heredoc_file[] = "\n"
                                   "FROM alpine:3.6\n"
                                   "\n"
                                   "ENV NAME=me\n"
                                   "\n"
                                   "RUN ls\n"
                                   "\n"
                                   "USER <<INVALID\n"
                                   "INVALID\n"
                                   "\n"
                                   "RUN <<EMPTY\n"
                                   "EMPTY\n"
                                   "\n"
                                   "RUN 3<<EMPTY2\n"
                                   "EMPTY2\n"
                                   "\n"
                                   "RUN \"<<NOHEREDOC\"\n"
                                   "\n"
                                   "RUN <<INDENT\n"
                                   "\tfoo\n"
                                   "\tbar\n"
                                   "INDENT\n"
                                   "\n"
                                   "RUN <<-UNINDENT\n"
                                   "\tbaz\n"
                                   "\tquux\n"
                                   "UNINDENT\n"
                                   "\n"
                                   "RUN <<-UNINDENT2\n"
                                   "\tbaz\n"
                                   "\tquux\n"
                                   "\tUNINDENT2\n"
                                   "\n"
                                   "RUN <<-EXPAND\n"
                                   "\texpand $NAME\n"
                                   "EXPAND\n"
                                   "\n"
                                   "RUN <<-'NOEXPAND'\n"
                                   "\tdon't expand $NAME\n"
                                   "NOEXPAND\n"
                                   "\n"
                                   "RUN <<COPY\n"
                                   "echo hello world\n"
                                   "echo foo bar\n"
                                   "COPY\n"
                                   "\n"
                                   "RUN <<COMMENT\n"
                                   "# internal comment\n"
                                   "echo hello world\n"
                                   "echo foo bar # trailing comment\n"
                                   "COMMENT\n"
                                   "\n"
                                   "RUN --mount=type=cache,target=/foo <<MOUNT\n"
                                   "echo hello\n"
                                   "MOUNT\n"
                                   "\n"
                                   "COPY <<FILE1 <<FILE2 /dest\n"
                                   "content 1\n"
                                   "FILE1\n"
                                   "content 2\n"
                                   "FILE2\n"
                                   "\n"
                                   "COPY <<EOF /quotes\n"
                                   "\"foo\"\n"
                                   "'bar'\n"
                                   "EOF\n"
                                   "\n"
                                   "COPY <<X <<Y /dest\n"
                                   "Y\n"
                                   "X\n"
                                   "X\n"
                                   "Y\n"
                                   "\n"
                                   "RUN <<COMPLEX python3\n"
                                   "print('hello world')\n"
                                   "COMPLEX\n"
                                   "\n"
                                   "COPY <<file.txt /dest\n"
                                   "hello world\n"
                                   "file.txt\n"
                                   "\n"
                                   "RUN <<eo'f'\n"
                                   "echo foo\n"
                                   "eof\n"
                                   "\n"
                                   "RUN <<eo\\'f\n"
                                   "echo foo\n"
                                   "eo'f\n"
                                   "\n"
                                   "RUN <<'e'o\\'f\n"
                                   "echo foo\n"
                                   "eo'f\n"
                                   "\n"
                                   "RUN <<'one two'\n"
                                   "echo bar\n"
                                   "one two\n"
                                   "\n"
                                   "RUN <<$EOF\n"
                                   "$EOF\n"
                                   "\n"
                                   "RUN <<  EOF\n"
                                   "EOF\n"
                                   "\n"
                                   "RUN <<  EOF  > foo\n"
                                   "EOF\n";

struct hd {
    const char *name, *content;
    bool expand, chomp;
    unsigned fd;
};

struct hd_case {
    size_t n;
    struct hd docs[2];
};

/* The expectations of BuildKit's TestParseExtractsHeredoc, node by node after FROM. */
static const struct hd_case heredoc_cases[] = {
    {0}, /* ENV */
    {0}, /* RUN ls */
    {0}, /* USER <<INVALID */
    {0}, /* INVALID */
    {1, {{"EMPTY", "", true, false, 0}}},
    {1, {{"EMPTY2", "", true, false, 3}}},
    {0},
    {1, {{"INDENT", "\tfoo\n\tbar\n", true, false, 0}}},
    {1, {{"UNINDENT", "\tbaz\n\tquux\n", true, true, 0}}},
    {1, {{"UNINDENT2", "\tbaz\n\tquux\n", true, true, 0}}},
    {1, {{"EXPAND", "\texpand $NAME\n", true, true, 0}}},
    {1, {{"NOEXPAND", "\tdon't expand $NAME\n", false, true, 0}}},
    {1, {{"COPY", "echo hello world\necho foo bar\n", true, false, 0}}},
    {1,
     {{"COMMENT", "# internal comment\necho hello world\necho foo bar # trailing comment\n", true,
       false, 0}}},
    {1, {{"MOUNT", "echo hello\n", true, false, 0}}},
    {2, {{"FILE1", "content 1\n", true, false, 0}, {"FILE2", "content 2\n", true, false, 0}}},
    {1, {{"EOF", "\"foo\"\n'bar'\n", true, false, 0}}},
    {2, {{"X", "Y\n", true, false, 0}, {"Y", "X\n", true, false, 0}}},
    {1, {{"COMPLEX", "print('hello world')\n", true, false, 0}}},
    {1, {{"file.txt", "hello world\n", true, false, 0}}},
    {1, {{"eof", "echo foo\n", false, false, 0}}},
    {1, {{"eo'f", "echo foo\n", true, false, 0}}},
    {1, {{"eo'f", "echo foo\n", false, false, 0}}},
    {1, {{"one two", "echo bar\n", false, false, 0}}},
    {1, {{"$EOF", "", true, false, 0}}},
    {1, {{"EOF", "", true, false, 0}}},
    {1, {{"EOF", "", true, false, 0}}},
};

Test(parser, heredocs_as_buildkit)
{
    struct df_ast *a = parse_ok(heredoc_file);
    cr_assert_eq(a->nnodes, ARRAY_SIZE(heredoc_cases) + 1);
    for (size_t i = 0; i < ARRAY_SIZE(heredoc_cases); i++) {
        const struct df_node *nd = &a->nodes[i + 1];
        const struct hd_case *c = &heredoc_cases[i];
        cr_expect_eq(nd->nheredocs, c->n, "node %zu (%s)", i + 1, nd->original);
        for (size_t k = 0; k < c->n && k < nd->nheredocs; k++) {
            cr_expect_str_eq(nd->heredocs[k].name, c->docs[k].name, "node %zu", i + 1);
            cr_expect_str_eq(nd->heredocs[k].content, c->docs[k].content, "node %zu", i + 1);
            cr_expect_eq(nd->heredocs[k].expand, c->docs[k].expand, "node %zu", i + 1);
            cr_expect_eq(nd->heredocs[k].chomp, c->docs[k].chomp, "node %zu", i + 1);
            cr_expect_eq(nd->heredocs[k].fd, c->docs[k].fd, "node %zu", i + 1);
        }
    }
    df_ast_free(a);
}

Test(parser, heredoc_positions_and_dump)
{
    struct df_ast *a = parse_ok("FROM a\nRUN <<EOF bash\necho $HOME\nEOF\nCOPY <<A /dst\nx\nA\n");
    cr_assert_eq(a->nodes[1].start_line, 2);
    cr_assert_eq(a->nodes[1].end_line, 4);
    cr_assert_eq(a->nodes[2].start_line, 5);
    cr_assert_eq(a->nodes[2].end_line, 7);
    cleanup_free char *d = df_ast_dump(a, NULL);
    cr_assert_str_eq(d, "(from \"a\")\n(run \"<<EOF bash\")\n(copy \"<<A\" \"/dst\")");
    df_ast_free(a);
}

Test(parser, heredoc_not_in_json_or_other_instructions)
{
    struct df_ast *a = parse_ok("FROM a\nRUN [\"whoami\"]\nRUN [\"<<EOF\"]\nRUN [\"<<'EOF'\"]\n"
                                "USER <<X\nX\n");
    for (size_t i = 1; i < a->nnodes; i++)
        cr_assert_eq(a->nodes[i].nheredocs, 0);
    cr_assert_eq(a->nnodes, 6);
    df_ast_free(a);
}

Test(parser, heredoc_in_onbuild)
{
    struct df_ast *a = parse_ok("FROM a\nONBUILD RUN <<EOF\necho hi\nEOF\n");
    cr_assert_eq(a->nodes[1].nheredocs, 1);
    cr_assert_str_eq(a->nodes[1].heredocs[0].content, "echo hi\n");
    df_ast_free(a);
}

Test(parser, heredoc_errors)
{
    enum kiln_code code;
    cleanup_free char *m = parse_err("FROM a\nRUN <<EOF\nno end\n", 22, &code);
    cr_assert_str_eq(m, "Dockerfile:2: unterminated heredoc");
    cr_assert_eq(code, KILN_EINPUT);
}

struct word_case {
    const char *word;
    int result; /* 1 heredoc named EOF, 0 not one, -1 error */
};

/* TestParseHeredocHelpers */
static const struct word_case heredoc_words[] = {
    {"<<EOF", 1},      {"<<'EOF'", 1},   {"<<\"EOF\"", 1}, {"<<-EOF", 1},  {"<<-'EOF'", 1},
    {"<<-\"EOF\"", 1}, {"<<EO\"F\"", 1}, {"<< EOF", 1},    {"<<- EOF", 1}, {"<<'EOF", -1},
    {"<<\"EOF", -1},   {"<<EOF'", -1},   {"<<EOF\"", -1},  {"", 0},        {"EOF", 0},
    {"<<", 0},         {"<<-", 0},       {"<EOF", 0},      {"<<<EOF", 0},  {"<<EOF sh", 0},
};

Test(parser, heredoc_word_helper)
{
    for (size_t i = 0; i < ARRAY_SIZE(heredoc_words); i++) {
        struct df_heredoc h = {0};
        cleanup_error kiln_error_t *err = NULL;
        int r = heredoc_parse_word(heredoc_words[i].word, &h, &err);
        cr_expect_eq(r, heredoc_words[i].result, "word [%s]", heredoc_words[i].word);
        if (r == 1)
            cr_expect_str_eq(h.name, "EOF");
        heredoc_release(&h);
    }
    cleanup_free char *c = heredoc_chomp("\thello\n\t\tworld\n \tx\n");
    cr_assert_str_eq(c, "hello\nworld\n \tx\n");
}

Test(parser, heredocs_from_line)
{
    static const struct {
        const char *line;
        const char *names[2];
    } cases[] = {
        {"RUN <<EOF", {"EOF"}},    {"RUN <<-EOF", {"EOF"}},
        {"RUN <<- EOF", {NULL}}, /* "<<-" and "EOF" are two words: none */
        {"RUN << -EOF", {"-EOF"}}, {"RUN <<'EOF'", {"EOF"}},
        {"RUN 4<<EOF", {"EOF"}},   {"RUN <<EOF <<EOF2", {"EOF", "EOF2"}},
        {"RUN '<<EOF'", {NULL}},   {"RUN \"<<EOF\"", {NULL}},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct df_heredoc *h = NULL;
        size_t n = 0;
        cr_assert_eq(heredoc_from_line(cases[i].line, &h, &n, NULL), 0);
        size_t want = cases[i].names[0] ? (cases[i].names[1] ? 2 : 1) : 0;
        cr_expect_eq(n, want, "%s", cases[i].line);
        for (size_t k = 0; k < n && k < want; k++)
            cr_expect_str_eq(h[k].name, cases[i].names[k]);
        for (size_t k = 0; k < n; k++)
            heredoc_release(&h[k]);
        free(h);
    }
}

Test(parser, empty_continuation_warnings)
{
    struct df_ast *a = parse_ok("\nFROM alpine:3.6\n\nRUN valid \\\n    continuation\n\n"
                                "RUN something \\\n\n    following \\\n\n    more\n\n"
                                "RUN another \\\n\n    thing\n\nRUN non-indented \\\n"
                                "# this is a comment\n   after-comment\n\nRUN indented \\\n"
                                "    # this is an indented comment\n    comment\n\t");
    cr_assert_eq(a->nwarnings, 2);
    cr_assert_str_eq(a->warnings[0].msg,
                     "Empty continuation line found in: RUN something     following     more");
    cr_assert_str_eq(a->warnings[0].rule, "NoEmptyContinuation");
    cr_assert_eq(a->warnings[0].line, 11);
    cr_assert_str_eq(a->warnings[1].msg, "Empty continuation line found in: RUN another     thing");
    cleanup_free char *d = df_ast_dump(a, NULL);
    cr_assert(strstr(d, "(run \"non-indented    after-comment\")"));
    cr_assert(strstr(d, "(run \"indented     comment\")"));
    df_ast_free(a);
}

Test(parser, directives)
{
    struct df_ast *a = parse_ok("# syntax=docker/dockerfile:1\n# check=skip=all\n"
                                "# escape=`\nFROM a\nRUN echo \\\nRUN b `\n  c\n");
    cr_assert_eq(a->escape, '`');
    cr_assert_str_eq(a->syntax, "docker/dockerfile:1");
    cr_assert_str_eq(a->check, "skip=all");
    cr_assert_eq(a->nnodes, 3);
    cr_assert_str_eq(a->nodes[1].original, "RUN echo \\");
    cr_assert_str_eq(a->nodes[2].original, "RUN b   c");
    df_ast_free(a);

    /* a blank line or another comment ends the directives */
    a = parse_ok("\n# escape=`\nFROM a\n");
    cr_assert_eq(a->escape, '\\');
    df_ast_free(a);
    a = parse_ok("# hello\n# escape=`\nFROM a\n");
    cr_assert_eq(a->escape, '\\');
    cr_assert_eq(a->nodes[0].ncomments, 2);
    df_ast_free(a);

    cleanup_free char *m1 = parse_err("# escape=x\nFROM a\n", 18, NULL);
    cr_assert_str_eq(m1, "Dockerfile:1: invalid escape token 'x' does not match ` or \\");
    cleanup_free char *m2 = parse_err("# check=a\n#check=b\nFROM a\n", 26, NULL);
    cr_assert_str_eq(m2, "Dockerfile:2: only one check parser directive can be used");
}

Test(parser, comments_attach_to_the_next_instruction)
{
    struct df_ast *a = parse_ok("# check=skip=JSONArgsRecommended\nFROM a\n# one\n#\n# two\n"
                                "  # three\nRUN x\nRUN y\n");
    cr_assert_eq(a->nodes[0].ncomments, 0);
    cr_assert_eq(a->nodes[1].ncomments, 2);
    cr_assert_str_eq(a->nodes[1].comments[0], "two");
    cr_assert_str_eq(a->nodes[1].comments[1], "# three"); /* as BuildKit: from byte 1 */
    cr_assert_eq(a->nodes[2].ncomments, 0);
    df_ast_free(a);
}

Test(parser, case_flags_json_and_bom)
{
    struct df_ast *a = parse_ok("\xEF\xBB\xBF"
                                "from a\r\nCoPy --from=b --chown=\"1 2\" a b\r\n"
                                "cmd [\"a\", \"b\\u0000\"]\nonbuild --x ONBUILD run x\n"
                                "UNKNOWN stuff\n");
    cleanup_free char *d = df_ast_dump(a, NULL);
    cr_assert_str_eq(d, "(from \"a\")\n(copy [\"--from=b\" \"--chown=1 2\"] \"a\" \"b\")\n"
                        "(cmd \"a\" \"b\\x00\")\n(onbuild [\"--x\"] (onbuild (run \"x\")))\n"
                        "(unknown \"\")");
    cr_assert(a->nodes[2].json);
    cr_assert_eq(a->nodes[2].args[1].len, 2);
    df_ast_free(a);
}

Test(parser, errors_and_limits)
{
    enum kiln_code code;
    cleanup_free char *e1 = parse_err("", 0, &code);
    cr_assert_str_eq(e1, "Dockerfile:0: file with no instructions");
    cleanup_free char *e2 = parse_err("# only\n\n", 8, NULL);
    cr_assert_str_eq(e2, "Dockerfile:2: file with no instructions");
    cleanup_free char *e3 = parse_err("FROM a\nENV PATH\n", 16, NULL);
    cr_assert_str_eq(e3, "Dockerfile:2: ENV must have two arguments");
    cleanup_free char *e4 = parse_err("CMD [\"a\", [\"b\"]]\n", 17, NULL);
    cr_assert_str_eq(e4, "Dockerfile:1: when using JSON array syntax, arrays must be "
                         "comprised of strings only");
    cleanup_free char *e5 = parse_err("FROM a\nENV a=b c\n", 17, NULL);
    cr_assert_str_eq(e5, "Dockerfile:2: Syntax error - can't find = in \"c\". Must be of the "
                         "form: name=value");
    cleanup_free char *e6 = parse_err("FROM a\0b\n", 9, &code);
    cr_assert_str_eq(e6, "Dockerfile:1: NUL byte in the file");

    size_t n = DF_MAX_LINE + 8;
    char *big = xmalloc(n + 16);
    memcpy(big, "FROM a\nRUN ", 11);
    memset(big + 11, 'x', n);
    cleanup_free char *e7 = parse_err(big, n + 11, &code);
    cr_assert_str_eq(e7, "Dockerfile:2: dockerfile line greater than max allowed size of 65535");
    cr_assert_eq(code, KILN_ELIMIT);
    /* exactly at the limit: 65535 bytes and the newline */
    memset(big + 7, 'x', DF_MAX_LINE - 1);
    memcpy(big + 7, "RUN ", 4);
    big[7 + DF_MAX_LINE - 1] = '\n';
    struct df_ast *a = NULL;
    cr_assert_eq(df_ast_parse("Dockerfile", big, 7 + DF_MAX_LINE, &a, NULL), 0);
    df_ast_free(a);
    free(big);

    cleanup_free char *e8 = parse_err("x", DF_MAX_FILE_SIZE + 1, &code);
    cr_assert_eq(code, KILN_ELIMIT);
}

Test(parser, json_like_go)
{
    static const struct {
        const char *line, *dump;
    } cases[] = {
        {"CMD [\"a\" , \"b\"] ", "(cmd \"a\" \"b\")"},
        {"CMD []", "(cmd)"},
        {"CMD [\"a\"] x", "(cmd \"[\\\"a\\\"] x\")"},
        {"CMD ['a']", "(cmd \"['a']\")"},
        {"CMD [\"\\ud83d\\ude00\", \"\\ud800\"]", "(cmd \"\xF0\x9F\x98\x80\" \"\xEF\xBF\xBD\")"},
        {"CMD [\"a\xff\"]", "(cmd \"a\xEF\xBF\xBD\")"},
        {"CMD [1e999]", "(cmd \"[1e999]\")"},
        {"CMD [\"a\", {\"b\": 1}]", NULL},
        {"CMD [\"\t\"]", "(cmd \"[\\\"\\t\\\"]\")"},
        {"COPY [\"a\", \"b c\"]", "(copy \"a\" \"b c\")"},
        {"VOLUME /a /b", "(volume \"/a\" \"/b\")"},
        {"HEALTHCHECK CMD [\"x\"]", "(healthcheck \"CMD\" \"x\")"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct df_ast *a = NULL;
        cleanup_error kiln_error_t *err = NULL;
        int r = df_ast_parse("Dockerfile", cases[i].line, strlen(cases[i].line), &a, &err);
        if (!cases[i].dump) {
            cr_expect_eq(r, -1, "%s", cases[i].line);
            continue;
        }
        cr_assert_eq(r, 0, "%s: %s", cases[i].line, err ? err->msg : "");
        cleanup_free char *d = df_ast_dump(a, NULL);
        cr_expect_str_eq(d, cases[i].dump, "%s", cases[i].line);
        df_ast_free(a);
    }
}
