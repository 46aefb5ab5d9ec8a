/* "# check=" directives: BuildKit's linter.ParseLintOptions. */
#include <string.h>

#include "buf.h"
#include "directives.h"
#include "dockerfile.h"
#include "flags.h"
#include "unicode.h"
#include "util.h"
#include "vec.h"

void df_check_release(struct df_check *c)
{
    strv_free(c->skip);
    strv_free(c->experimental);
    memset(c, 0, sizeof(*c));
}

static char *trim_dup(const char *s, size_t n)
{
    size_t a, len;
    unicode_trim_space(s, n, &a, &len);
    return xstrndup(s + a, len);
}

/* "all", or a comma list of rule names. */
static void rule_list(const char *v, bool *all, char ***list, size_t *n)
{
    cleanup_free char *t = trim_dup(v, strlen(v));
    if (strcmp(t, "all") == 0) {
        *all = true;
        return;
    }
    for (const char *p = t;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        strv_add(list, n, trim_dup(p, len));
        if (!comma)
            break;
        p = comma + 1;
    }
}

static int invalid_option(kiln_error_t **err, const char *s, size_t n)
{
    cleanup_free char *q = unicode_quoted(s, n);
    return kiln_err(err, KILN_EINPUT, 0, "invalid check option %s", q);
}

static int one_option(const char *p, size_t plen, struct df_check *c, kiln_error_t **err)
{
    cleanup_free char *part = xstrndup(p, plen);
    char *eq = strchr(part, '=');
    if (!eq)
        return invalid_option(err, part, plen);
    cleanup_free char *k = trim_dup(part, (size_t)(eq - part));
    const char *v = eq + 1;
    if (strcmp(k, "skip") == 0) {
        rule_list(v, &c->skip_all, &c->skip, &c->nskip);
    } else if (strcmp(k, "experimental") == 0) {
        rule_list(v, &c->experimental_all, &c->experimental, &c->nexperimental);
    } else if (strcmp(k, "error") == 0) {
        cleanup_free char *b = trim_dup(v, strlen(v));
        if (flags_parse_bool(b, &c->error) < 0) {
            cleanup_free char *qp = unicode_quoted(part, plen);
            cleanup_free char *qb = unicode_quoted(b, strlen(b));
            return kiln_err(err, KILN_EINPUT, 0,
                            "failed to parse check option %s: strconv.ParseBool: parsing %s: "
                            "invalid syntax",
                            qp, qb);
        }
    } else {
        return invalid_option(err, k, strlen(k));
    }
    return 0;
}

int df_check_parse(const char *value, struct df_check *out, kiln_error_t **err)
{
    memset(out, 0, sizeof(*out));
    const char *sp = strchr(value, ' ');
    cleanup_free char *v = trim_dup(value, sp ? (size_t)(sp - value) : strlen(value));
    if (!*v)
        return 0;
    const char *p = v;
    for (int part = 0; part < 3; part++) { /* strings.SplitN(v, ";", 3) */
        const char *semi = part < 2 ? strchr(p, ';') : NULL;
        size_t len = semi ? (size_t)(semi - p) : strlen(p);
        if (one_option(p, len, out, err) < 0) {
            df_check_release(out);
            return -1;
        }
        if (!semi)
            break;
        p = semi + 1;
    }
    return 0;
}

int df_check_from_comments(char *const *comments, size_t n, struct df_check *out)
{
    for (size_t i = 0; i < n; i++) {
        struct directives d = {.prefix = ""};
        struct directive dv = {0};
        if (directives_parse_line(&d, comments[i], strlen(comments[i]), &dv, NULL) != 1)
            continue;
        bool is_check = strcmp(dv.name, "check") == 0;
        int r = is_check ? df_check_parse(dv.value, out, NULL) : -1;
        directive_release(&dv);
        if (is_check)
            return r == 0 ? 1 : 0;
    }
    return 0;
}
