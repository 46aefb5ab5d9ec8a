#include <stdio.h>
#include <stdlib.h>

#include "json.h"

char *json_dump_stable(const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (!s) {
        fprintf(stderr, "kiln: out of memory serialising JSON\n");
        abort();
    }
    return s;
}

json_t *json_parse_object(const char *data, size_t len, size_t max, const char *what,
                          kiln_error_t **err)
{
    if (len > max) {
        kiln_err(err, KILN_ELIMIT, 0, "%s: larger than %zu bytes", what, max);
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        kiln_err(err, KILN_ECORRUPT, 0, "%s: invalid JSON at line %d: %s", what, je.line, je.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        kiln_err(err, KILN_ECORRUPT, 0, "%s: not a JSON object", what);
        return NULL;
    }
    return j;
}

json_t *json_descriptor(const char *media_type, const char *digest, uint64_t size)
{
    return json_pack("{s:s,s:s,s:I}", "mediaType", media_type, "digest", digest, "size",
                     (json_int_t)size);
}
