#include <jansson.h>
#include <string.h>

#include "jsonargs.h"
#include "util.h"

int jsonargs_parse(const char *s, char ***out, size_t *n)
{
    json_error_t jerr;
    json_t *arr = json_loads(s, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!arr)
        return -1;
    if (!json_is_array(arr)) {
        json_decref(arr);
        return -1;
    }
    size_t count = json_array_size(arr);
    for (size_t i = 0; i < count; i++) {
        if (!json_is_string(json_array_get(arr, i))) {
            json_decref(arr);
            return -1;
        }
    }
    char **v = xcalloc(count + 1, sizeof(char *));
    for (size_t i = 0; i < count; i++) {
        json_t *e = json_array_get(arr, i);
        v[i] = xstrndup(json_string_value(e), json_string_length(e));
    }
    json_decref(arr);
    *out = v;
    *n = count;
    return 0;
}
