#include <string.h>

#include "intoto.h"
#include "json.h"
#include "digest/digest.h"
#include "util.h"

static json_t *intoto_subjects(const struct intoto_subject *s, size_t n, kiln_error_t **err)
{
    if (n == 0 || n > INTOTO_MAX_SUBJECTS) {
        kiln_err(err, KILN_EINPUT, 0, "in-toto: %zu subjects (1 to %d allowed)", n,
                 INTOTO_MAX_SUBJECTS);
        return NULL;
    }
    cleanup_json json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        if (!digest_valid(s[i].digest)) {
            kiln_err(err, KILN_EINPUT, 0, "in-toto: bad subject digest '%s'",
                     s[i].digest ? s[i].digest : "");
            return NULL;
        }
        cleanup_json json_t *o = json_object();
        if (s[i].name && json_object_set_new(o, "name", json_string(s[i].name)) < 0) {
            kiln_err(err, KILN_EINPUT, 0, "in-toto: subject name is not UTF-8");
            return NULL;
        }
        json_object_set_new(o, "digest", json_pack("{s:s}", "sha256", digest_hex(s[i].digest)));
        json_array_append(arr, o);
    }
    return steal_ptr(arr);
}

int intoto_statement(const char *predicate_type, const struct intoto_subject *subjects, size_t n,
                     const char *predicate_json, size_t predicate_len, char **out, size_t *len,
                     kiln_error_t **err)
{
    if (!predicate_type || !*predicate_type)
        return kiln_err(err, KILN_EINPUT, 0, "in-toto: empty predicate type");
    if (predicate_len > INTOTO_MAX_PREDICATE)
        return kiln_err(err, KILN_ELIMIT, 0, "in-toto: predicate is over %u bytes",
                        INTOTO_MAX_PREDICATE);
    json_error_t jerr;
    cleanup_json json_t *pred =
        json_loadb(predicate_json, predicate_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(pred))
        return kiln_err(err, KILN_EINPUT, 0, "in-toto: predicate is not a JSON object: %s",
                        pred ? "another JSON value" : jerr.text);
    json_t *subj = intoto_subjects(subjects, n, err);
    if (!subj)
        return -1;
    cleanup_json json_t *st =
        json_pack("{s:s, s:o, s:s, s:O}", "_type", INTOTO_STATEMENT_TYPE, "subject", subj,
                  "predicateType", predicate_type, "predicate", pred);
    char *s = st ? json_dumps(st, JSON_COMPACT) : NULL;
    if (!s)
        return kiln_err(err, KILN_EINTERNAL, 0, "in-toto: cannot serialise the statement");
    *out = s;
    *len = strlen(s);
    return 0;
}
