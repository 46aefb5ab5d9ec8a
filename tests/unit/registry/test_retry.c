/* The retry policy: what is retried and how long kiln waits. */
#include <criterion/criterion.h>
#include <curl/curl.h>

#include "registry/registry_retry.h"

Test(retry, statuses_worth_retrying)
{
    long yes[] = {408, 429, 500, 502, 503, 504};
    long no[] = {200, 201, 202, 400, 401, 403, 404, 405, 416, 501};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        cr_expect(registry_retry_status(yes[i]), "%ld", yes[i]);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        cr_expect_not(registry_retry_status(no[i]), "%ld", no[i]);
}

Test(retry, transport_failures_worth_retrying)
{
    cr_expect(registry_retry_transport(CURLE_COULDNT_CONNECT));
    cr_expect(registry_retry_transport(CURLE_RECV_ERROR));
    cr_expect(registry_retry_transport(CURLE_PARTIAL_FILE));
    cr_expect(registry_retry_transport(CURLE_OPERATION_TIMEDOUT));
    cr_expect(registry_retry_transport(CURLE_GOT_NOTHING));
    cr_expect_not(registry_retry_transport(CURLE_PEER_FAILED_VERIFICATION));
    cr_expect_not(registry_retry_transport(CURLE_COULDNT_RESOLVE_HOST));
    cr_expect_not(registry_retry_transport(CURLE_URL_MALFORMAT));
    cr_expect_not(registry_retry_transport(CURLE_WRITE_ERROR));
    cr_expect_not(registry_retry_transport(CURLE_OK));
}

Test(retry, exponential_backoff_capped_with_jitter)
{
    struct registry_retry_policy p = registry_retry_default();
    cr_expect_eq(p.max_attempts, 5);
    /* jitter 0: the lower half; the upper bound approaches d */
    cr_expect_eq(registry_retry_delay_ms(&p, 1, -1, 0.0), 125);
    cr_expect_eq(registry_retry_delay_ms(&p, 2, -1, 0.0), 250);
    cr_expect_eq(registry_retry_delay_ms(&p, 3, -1, 0.0), 500);
    cr_expect_eq(registry_retry_delay_ms(&p, 1, -1, 0.5), 187);
    cr_expect_leq(registry_retry_delay_ms(&p, 1, -1, 0.999), 250);
    cr_expect_eq(registry_retry_delay_ms(&p, 10, -1, 0.0), 4000, "capped at max_ms");
    cr_expect_eq(registry_retry_delay_ms(&p, 200, -1, 0.0), 4000, "no overflow");
    cr_expect_eq(registry_retry_delay_ms(&p, 1, -1, 7.0), 125, "bad jitter ignored");
    for (unsigned r = 1; r < 20; r++)
        cr_expect_leq(registry_retry_delay_ms(&p, r, -1, 0.99), p.max_ms);
}

Test(retry, retry_after_is_honoured_within_bounds)
{
    struct registry_retry_policy p = registry_retry_default();
    cr_expect_eq(registry_retry_delay_ms(&p, 1, 3, 0.0), 3000);
    cr_expect_eq(registry_retry_delay_ms(&p, 1, 100000, 0.0), REGISTRY_RETRY_AFTER_MAX * 1000);
    cr_expect_eq(registry_retry_delay_ms(&p, 5, 1, 0.0), 2000, "never shorter than backoff");
    cr_expect_eq(registry_retry_parse_after("7"), 7);
    cr_expect_eq(registry_retry_parse_after("Wed, 21 Oct 2015 07:28:00 GMT"), -1);
    cr_expect_eq(registry_retry_parse_after("-3"), -1);
    cr_expect_eq(registry_retry_parse_after(""), -1);
    cr_expect_eq(registry_retry_parse_after(NULL), -1);
}
