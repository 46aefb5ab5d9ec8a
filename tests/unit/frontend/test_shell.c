/* Variable expansion beyond the conformance data: patterns, modifiers, the lexer knobs,
 * limits (BuildKit's lex_test.go cases where they are not in envVarTest). */
#include <criterion/criterion.h>
#include <string.h>

#include "buf.h"
#include "dockerfile.h"
#include "shell.h"
#include "util.h"

static const char *lookup(void *ctx, const char *name)
{
    for (const char *const *kv = ctx; *kv; kv += 2)
        if (strcmp(kv[0], name) == 0)
            return kv[1];
    return NULL;
}

static const char *const env[] = {
    "VAR", "plain", "EMPTY", "", "ARG", "x", "PATH", "/usr/bin:/bin", "FILE", "dir/sub/file.tar.gz",
    "SP",  "a  b",  NULL};

struct word_case {
    const char *in, *want; /* want NULL: an error */
};

static const struct word_case words[] = {
    /* ${v:?msg} ${v?msg} (TestShellParserMandatoryEnvVars) */
    {"${VAR:?message here$ARG}", "plain"},
    {"${EMPTY:?message here$ARG}", NULL},
    {"${UNSET:?message here$ARG}", NULL},
    {"${VAR?message here$ARG}", "plain"},
    {"${EMPTY?message here$ARG}", ""},
    {"${UNSET?message here$ARG}", NULL},
    /* -, +, with and without ':' (TestProcessWithMatches) */
    {"${VAR-aaa} ${EMPTY-bbb} ${UNSET-ccc}", "plain  ccc"},
    {"${VAR:-aaa} ${EMPTY:-bbb} ${UNSET:-ccc}", "plain bbb ccc"},
    {"${VAR+aaa} ${EMPTY+bbb} ${UNSET+ccc}", "aaa bbb "},
    {"${VAR:+aaa} ${EMPTY:+bbb} ${UNSET:+ccc}", "aaa  "},
    {"${VAR=aaa}", NULL},
    {"${VAR:=aaa}", NULL},
    /* prefix and suffix removal */
    {"${FILE#*/}", "sub/file.tar.gz"},
    {"${FILE##*/}", "file.tar.gz"},
    {"${FILE%.*}", "dir/sub/file.tar"},
    {"${FILE%%.*}", "dir/sub/file"},
    {"${FILE#dir}", "/sub/file.tar.gz"},
    {"${FILE#nomatch}", "dir/sub/file.tar.gz"},
    {"${FILE%?z}", "dir/sub/file.tar."},
    {"${UNSET#x}", ""},
    {"${VAR:#x}", NULL},
    {"${VAR:%x}", NULL},
    {"${VAR#\\x}", NULL},
    {"${VAR#pl\\*}", "plain"},
    /* replacement */
    {"${PATH/:/;}", "/usr/bin;/bin"},
    {"${PATH//\\//-}", "-usr-bin:-bin"},
    {"${VAR/a/[$0]}", "pl[]in"},
    {"${VAR/a/[\\$0]}", "pl[\\$0]in"},
    {"${VAR//a/[\\$0]}", "pl[\\a]in"},
    {"${VAR//a*/X}", "plX"},
    {"${VAR//?/.}", "....."},
    {"${VAR/x/y}", "plain"},
    {"${VAR//}", NULL},
    {"${VAR/a", NULL},
    /* other */
    {"${UNSET:-${VAR:-x}}", "plain"},
    {"'$VAR' \"$VAR\" \\$VAR", "$VAR plain $VAR"},
    {"${VAR", NULL},
    {"${}", NULL},
    {"${:}", NULL},
    {"$1x", "x"},
    {"a\xff"
     "b",
     "a\xEF\xBF\xBD"
     "b"},
};

Test(shell, process_word_modifiers)
{
    for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
        const struct word_case *c = &words[i];
        cleanup_free char *out = NULL;
        cleanup_error kiln_error_t *err = NULL;
        int r = shell_expand_word(c->in, '\\', lookup, (void *)env, &out, &err);
        if (!c->want) {
            cr_expect_eq(r, -1, "%s: want an error, got [%s]", c->in, out ? out : "");
            continue;
        }
        cr_expect_eq(r, 0, "%s: %s", c->in, err ? err->msg : "");
        if (r == 0)
            cr_expect_str_eq(out, c->want, "%s", c->in);
    }
}

Test(shell, error_wording)
{
    cleanup_free char *out = NULL;
    cleanup_error kiln_error_t *err = NULL;
    cr_assert_eq(shell_expand_word("a${b:-c", '\\', lookup, (void *)env, &out, &err), -1);
    cr_assert_str_eq(err->msg, "failed to process \"a${b:-c\": syntax error: missing '}'");
    kiln_error_free(err);
    err = NULL;
    shell_expand_word("a${b", '\\', lookup, (void *)env, &out, &err);
    cr_assert_str_eq(err->msg, "failed to process \"a${b\": unsupported modifier (\xEF\xBF\xBD) in "
                               "substitution");
    kiln_error_free(err);
    err = NULL;
    shell_expand_word("${UNSET:?}", '\\', lookup, (void *)env, &out, &err);
    cr_assert_str_eq(err->msg,
                     "failed to process \"${UNSET:?}\": UNSET: is not allowed to be unset");
    kiln_error_free(err);
    err = NULL;
    shell_expand_word("${VAR:=x}", '\\', lookup, (void *)env, &out, &err);
    cr_assert_str_eq(err->msg, "failed to process \"${VAR:=x}\": unsupported modifier (:=) in "
                               "substitution");
    kiln_error_free(err);
    err = NULL;
    shell_expand_word("${VAR#a\\b}", '\\', lookup, (void *)env, &out, &err);
    cr_assert_str_eq(err->msg, "failed to process \"${VAR#a\\\\b}\": invalid pattern (a\\b) in "
                               "substitution: invalid escape '\\b'");
}

Test(shell, backtick_escape)
{
    cleanup_free char *out = NULL;
    cr_assert_eq(shell_expand_word("a`$VAR \"`\"\" c\\d", '`', lookup, (void *)env, &out, NULL), 0);
    cr_assert_str_eq(out, "a$VAR \" c\\d");
}

Test(shell, words_split_after_expansion)
{
    char **v = NULL;
    size_t n = 0;
    cr_assert_eq(shell_expand_words("a $SP \"$SP\" ''", '\\', lookup, (void *)env, &v, &n, NULL),
                 0);
    cr_assert_eq(n, 4);
    cr_assert_str_eq(v[0], "a");
    cr_assert_str_eq(v[1], "a");
    cr_assert_str_eq(v[2], "b");
    cr_assert_str_eq(v[3], "a  b");
    strv_free(v);
}

Test(shell, skip_unset_and_raw_modes)
{
    struct shell_opts o = {.escape = '\\', .skip_unset = true, .raw_quotes = true};
    cleanup_free char *out = NULL;
    cr_assert_eq(shell_process_word(&o, "$UNSET ${UNSET} ${UNSET:-x} '${VAR}' \"$VAR\"", lookup,
                                    (void *)env, &out, NULL),
                 0);
    cr_assert_str_eq(out, "$UNSET ${UNSET} ${UNSET:-x} '${VAR}' \"plain\"");
    struct shell_opts raw = {.escape = '\\', .raw_escapes = true};
    cleanup_free char *r2 = NULL;
    cr_assert_eq(shell_process_word(&raw, "a\\ b", NULL, NULL, &r2, NULL), 0);
    cr_assert_str_eq(r2, "a\\ b");
}

Test(shell, heredoc_body_expansion)
{
    cleanup_free char *out = NULL;
    cr_assert_eq(
        shell_expand_heredoc("echo '$VAR' \"${ARG}\" \\$ARG\n", lookup, (void *)env, &out, NULL),
        0);
    cr_assert_str_eq(out, "echo 'plain' \"x\" $ARG\n");
}

Test(shell, limits)
{
    /* nesting deeper than SHELL_MAX_DEPTH */
    size_t depth = SHELL_MAX_DEPTH + 10;
    struct buf b = BUF_INIT(1 << 20);
    for (size_t i = 0; i < depth; i++)
        cr_assert_eq(buf_addstr(&b, "${A:-", NULL), 0);
    for (size_t i = 0; i < depth; i++)
        cr_assert_eq(buf_addch(&b, '}', NULL), 0);
    cleanup_free char *word = buf_detach(&b);
    cleanup_free char *out = NULL;
    cleanup_error kiln_error_t *err = NULL;
    cr_assert_eq(shell_expand_word(word, '\\', lookup, (void *)env, &out, &err), -1);
    cr_assert_eq(err->code, KILN_ELIMIT);
    /* an expansion over DF_MAX_EXPANSION */
    size_t big = DF_MAX_EXPANSION / 2 + 16;
    char *v = xmalloc(big + 1);
    memset(v, 'x', big);
    v[big] = '\0';
    const char *const benv[] = {"BIG", v, NULL};
    cleanup_free char *o2 = NULL;
    cleanup_error kiln_error_t *e2 = NULL;
    cr_assert_eq(shell_expand_word("$BIG$BIG$BIG", '\\', lookup, (void *)benv, &o2, &e2), -1);
    cr_assert_eq(e2->code, KILN_ELIMIT);
    free(v);
}
