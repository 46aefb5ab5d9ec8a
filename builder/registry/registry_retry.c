#include <curl/curl.h>
#include <string.h>

#include "registry_retry.h"
#include "util.h"

struct registry_retry_policy registry_retry_default(void)
{
    return (struct registry_retry_policy){REGISTRY_RETRY_ATTEMPTS, REGISTRY_RETRY_BASE_MS,
                                          REGISTRY_RETRY_MAX_MS};
}

bool registry_retry_status(long status)
{
    return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
           status == 504;
}

bool registry_retry_transport(int curl_code)
{
    switch ((CURLcode)curl_code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

unsigned registry_retry_delay_ms(const struct registry_retry_policy *p, unsigned retry,
                                 long retry_after_s, double jitter)
{
    unsigned long long d = p->base_ms;
    for (unsigned i = 1; i < retry && d < p->max_ms; i++)
        d *= 2;
    if (d > p->max_ms)
        d = p->max_ms;
    if (jitter < 0 || jitter >= 1)
        jitter = 0;
    d = d / 2 + (unsigned long long)((double)(d - d / 2) * jitter);
    if (retry_after_s > 0) {
        long s =
            retry_after_s > REGISTRY_RETRY_AFTER_MAX ? REGISTRY_RETRY_AFTER_MAX : retry_after_s;
        if ((unsigned long long)s * 1000 > d)
            d = (unsigned long long)s * 1000;
    }
    return (unsigned)d;
}

long registry_retry_parse_after(const char *v)
{
    uint64_t n;
    if (!v || parse_u64(v, 86400, &n) < 0)
        return -1;
    return (long)n;
}
