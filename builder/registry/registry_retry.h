/* The retry policy of the registry client: which failures are worth another attempt, and how
 * long to wait before it (exponential backoff with jitter, Retry-After honoured). Pure. */
#ifndef KILN_REGISTRY_RETRY_H
#define KILN_REGISTRY_RETRY_H

#include <stdbool.h>

#define REGISTRY_RETRY_ATTEMPTS  5    /* attempts per request, the first included */
#define REGISTRY_RETRY_BASE_MS   250  /* the wait before the first retry */
#define REGISTRY_RETRY_MAX_MS    8000 /* the longest computed wait */
#define REGISTRY_RETRY_AFTER_MAX 60   /* the longest Retry-After honoured, seconds */

struct registry_retry_policy {
    unsigned max_attempts; /* >= 1 */
    unsigned base_ms;
    unsigned max_ms;
};

/* The defaults above. */
struct registry_retry_policy registry_retry_default(void);

/* An HTTP status worth retrying: 408, 429, 500, 502, 503, 504. */
bool registry_retry_status(long status);
/* A libcurl result worth retrying (a CURLcode): connection refused or reset, timeouts, a
 * transfer cut short. Never a TLS verification failure, a bad URL or a failed name lookup. */
bool registry_retry_transport(int curl_code);
/* The wait in milliseconds before retry number `retry` (1 for the first retry):
 * base * 2^(retry-1), capped at max_ms, scaled into [d/2, d) by jitter in [0, 1); a
 * Retry-After of retry_after_s seconds (-1: none) raises it, up to REGISTRY_RETRY_AFTER_MAX. */
unsigned registry_retry_delay_ms(const struct registry_retry_policy *p, unsigned retry,
                                 long retry_after_s, double jitter);
/* A Retry-After header value in delta-seconds; -1 for anything else (HTTP dates included). */
long registry_retry_parse_after(const char *v);

#endif
