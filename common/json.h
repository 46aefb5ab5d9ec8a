/* JSON the way kiln reads and writes it (jansson underneath).
 *
 *   cleanup_json json_t *j = json_object();   decref'd at scope exit
 *   json_dump_stable(j)                        the bytes a digest is taken of
 *   json_parse_object(data, len, MAX, ...)     a bounded, strict parse of untrusted bytes
 */
#ifndef KILN_JSON_H
#define KILN_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln/error.h"

static inline void cleanup_jsonp(json_t **j)
{
    json_decref(*j);
}
#define cleanup_json __attribute__((cleanup(cleanup_jsonp)))

/* Compact JSON with sorted keys (any value, not only objects): the same document always gives
 * the same bytes, so its digest is stable. Newly allocated; never NULL (aborts when out of
 * memory, as xmalloc). */
char *json_dump_stable(const json_t *j);

/* Parses data[0..len) as one JSON document that must be an object, duplicate keys rejected.
 * More than max bytes is a KILN_ELIMIT error; anything else that is wrong a KILN_ECORRUPT error
 * whose message starts with what ("manifest: invalid JSON at line 3: ..."). */
json_t *json_parse_object(const char *data, size_t len, size_t max, const char *what,
                          kiln_error_t **err);

/* An OCI content descriptor: {"mediaType", "digest", "size"}. New reference. */
json_t *json_descriptor(const char *media_type, const char *digest, uint64_t size);

#endif
