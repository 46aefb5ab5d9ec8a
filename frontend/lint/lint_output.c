/* Findings as text (BuildKit's check output), JSON, and SARIF 2.1.0 for GitHub code scanning
 * (https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/
 * sarif-support-for-code-scanning: version, $schema, runs[].tool.driver.{name,
 * informationUri, rules[]}, results[].{ruleId, level, message.text, locations[]}). */
#include <ctype.h>
#include <string.h>

#include "buf.h"
#include "frontend/lint/lint_internal.h"
#include "json.h"
#include "util.h"

#define OUTPUT_MAX           (64u * 1024 * 1024)
#define EXCERPT_MAX_LINES    5
#define SARIF_SCHEMA         "https://json.schemastore.org/sarif-2.1.0.json"
#define KILN_INFORMATION_URI "https://kiln.dev/"

static const char *level_name(enum lint_level l)
{
    return l == LINT_ERROR ? "error" : "warning";
}

static const char *fix_of(const struct lint_finding *f)
{
    return f->fix ? f->fix : f->rule->fix;
}

char *lint_output_short(const struct lint_finding *f)
{
    if (f->line > 0)
        return xasprintf("%s: %s (line %d)", f->rule->name, f->message, f->line);
    return xasprintf("%s: %s", f->rule->name, f->message);
}

/* Line n (1-based) of data: its start in *start, its length returned; 0 and NULL past the end. */
static size_t source_line(const char *data, size_t len, int n, const char **start)
{
    const char *p = data, *end = data + len;
    for (int i = 1; i < n && p < end; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    *start = p < end ? p : NULL;
    if (!*start)
        return 0;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return (size_t)((nl ? nl : end) - p);
}

static int excerpt(struct buf *b, const struct lint_finding *f, const char *file, const char *data,
                   size_t len)
{
    if (buf_addf(b, NULL, "%s:%d\n--------------------\n", file, f->line) < 0)
        return -1;
    int last =
        f->end_line - f->line >= EXCERPT_MAX_LINES ? f->line + EXCERPT_MAX_LINES - 1 : f->end_line;
    for (int n = f->line; n <= last; n++) {
        const char *s;
        size_t l = source_line(data, len, n, &s);
        if (!s)
            break;
        cleanup_free char *safe = lint_secret_redact(s, l > 200 ? 200 : l);
        if (buf_addf(b, NULL, "%4d | >>> %s\n", n, safe) < 0)
            return -1;
    }
    return buf_addstr(b, "--------------------\n", NULL);
}

static int summary(struct buf *b, const struct lint_result *r)
{
    size_t errors = lint_result_errors(r), warnings = 0;
    for (size_t i = 0; i < r->n; i++)
        warnings += r->v[i].level == LINT_WARNING;
    if (r->build_error && buf_addf(b, NULL, "ERROR: %s\n", r->build_error) < 0)
        return -1;
    if (errors + warnings == 0)
        return buf_addstr(b, "Check complete, no warnings found.\n", NULL);
    if (buf_addstr(b, "Check complete, ", NULL) < 0 ||
        (errors && buf_addf(b, NULL, "%zu error%s%s", errors, errors == 1 ? "" : "s",
                            warnings ? " and " : "") < 0) ||
        (warnings && buf_addf(b, NULL, "%zu warning%s", warnings, warnings == 1 ? "" : "s") < 0) ||
        buf_addf(b, NULL, " %s been found!\n", errors + warnings == 1 ? "has" : "have") < 0)
        return -1;
    return r->dropped ? buf_addf(b, NULL, "(%zu more findings were not kept)\n", r->dropped) : 0;
}

static int finding_text(struct buf *b, const struct lint_finding *f, const char *file,
                        const char *data, size_t len)
{
    if (buf_addf(b, NULL, "%s: %s - %s\n%s", f->level == LINT_ERROR ? "ERROR" : "WARNING",
                 f->rule->name, f->rule->url, f->message) < 0 ||
        (f->line > 0 && buf_addf(b, NULL, " (line %d)", f->line) < 0) ||
        buf_addch(b, '\n', NULL) < 0)
        return -1;
    if (data && f->line > 0 && excerpt(b, f, file, data, len) < 0)
        return -1;
    return buf_addf(b, NULL, "Fix: %s\n\n", fix_of(f));
}

char *lint_output_text(const struct lint_result *r, const char *file, const char *data, size_t len,
                       kiln_error_t **err)
{
    cleanup_buf struct buf b = BUF_INIT(OUTPUT_MAX);
    for (size_t i = 0; i < r->n; i++)
        if (finding_text(&b, &r->v[i], file, data, len) < 0)
            return kiln_err(err, KILN_ELIMIT, 0, "lint output over %u bytes", OUTPUT_MAX), NULL;
    if (summary(&b, r) < 0)
        return kiln_err(err, KILN_ELIMIT, 0, "lint output over %u bytes", OUTPUT_MAX), NULL;
    return buf_detach(&b);
}

/* Takes the reference. */
static char *dump(json_t *j)
{
    cleanup_json json_t *owned = j;
    cleanup_free char *s = json_dumps(owned, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!s)
        abort(); /* only allocation failure makes jansson fail here */
    return xasprintf("%s\n", s);
}

char *lint_output_json(const struct lint_result *r, const char *file)
{
    json_t *findings = json_array();
    for (size_t i = 0; i < r->n; i++) {
        const struct lint_finding *f = &r->v[i];
        json_array_append_new(
            findings, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:i}", "rule", f->rule->name,
                                "level", level_name(f->level), "description", f->rule->description,
                                "url", f->rule->url, "message", f->message, "fix", fix_of(f),
                                "file", file, "line", f->line, "endLine", f->end_line));
    }
    size_t errors = lint_result_errors(r), warnings = 0;
    for (size_t i = 0; i < r->n; i++)
        warnings += r->v[i].level == LINT_WARNING;
    json_t *doc = json_pack("{s:s,s:o,s:I,s:I,s:I}", "file", file, "findings", findings, "errors",
                            (json_int_t)errors, "warnings", (json_int_t)warnings, "dropped",
                            (json_int_t)r->dropped);
    if (r->build_error)
        json_object_set_new(doc, "buildError", json_string(r->build_error));
    return dump(doc);
}

/* RFC 3986: a relative reference with unreserved characters and '/' kept. */
static char *uri_path(const char *file)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = xmalloc(3 * strlen(file) + 1), *o = out; /* a byte becomes at most %XX */
    for (const unsigned char *p = (const unsigned char *)file; *p; p++) {
        if (isalnum(*p) || strchr("-._~/", *p)) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

static json_t *sarif_rule(const struct lint_rule *rule)
{
    json_t *tags = json_pack("[s]", rule->buildkit ? "dockerfile" : "security");
    if (!rule->buildkit)
        json_array_append_new(tags, json_string("dockerfile"));
    return json_pack("{s:s,s:s,s:{s:s},s:{s:s},s:s,s:{s:s},s:{s:s},s:{s:o}}", "id", rule->name,
                     "name", rule->name, "shortDescription", "text", rule->description,
                     "fullDescription", "text", rule->description, "helpUri", rule->url, "help",
                     "text", rule->fix, "defaultConfiguration", "level", level_name(rule->level),
                     "properties", "tags", tags);
}

static json_t *sarif_result(const struct lint_finding *f, const char *uri)
{
    /* code scanning needs a line: a finding about the whole file points at line 1 */
    int start = f->line > 0 ? f->line : 1, end = f->line > 0 ? f->end_line : 1;
    cleanup_free char *text = xasprintf("%s. Fix: %s", f->message, fix_of(f));
    return json_pack("{s:s,s:i,s:s,s:{s:s},s:[{s:{s:{s:s},s:{s:i,s:i}}}]}", "ruleId", f->rule->name,
                     "ruleIndex", (int)f->rule->id, "level", level_name(f->level), "message",
                     "text", text, "locations", "physicalLocation", "artifactLocation", "uri", uri,
                     "region", "startLine", start, "endLine", end);
}

char *lint_output_sarif(const struct lint_result *r, const char *file)
{
    json_t *rules = json_array();
    for (size_t i = 0; i < LINT_RULE_COUNT; i++)
        json_array_append_new(rules, sarif_rule(lint_rule((enum lint_rule_id)i)));
    cleanup_free char *uri = uri_path(file);
    json_t *results = json_array();
    for (size_t i = 0; i < r->n; i++)
        json_array_append_new(results, sarif_result(&r->v[i], uri));
    json_t *driver = json_pack("{s:s,s:s,s:s,s:s,s:o}", "name", "kiln", "version", KILN_VERSION,
                               "semanticVersion", KILN_VERSION, "informationUri",
                               KILN_INFORMATION_URI, "rules", rules);
    json_t *artifacts = json_pack("[{s:{s:s}}]", "location", "uri", uri);
    json_t *run = json_pack("{s:{s:o},s:o,s:o}", "tool", "driver", driver, "results", results,
                            "artifacts", artifacts);
    /* a Dockerfile that cannot be built: the run says so, as a tool execution notification */
    if (r->build_error)
        json_object_set_new(run, "invocations",
                            json_pack("[{s:b,s:[{s:s,s:{s:s}}]}]", "executionSuccessful", 0,
                                      "toolExecutionNotifications", "level", "error", "message",
                                      "text", r->build_error));
    return dump(
        json_pack("{s:s,s:s,s:[o]}", "version", "2.1.0", "$schema", SARIF_SCHEMA, "runs", run));
}
