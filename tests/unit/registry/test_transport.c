/* builder/registry/registry_transport.c: which URLs get the registry's Authorization. */
#include <criterion/criterion.h>

#include "registry/registry_client.h"
#include "util.h"

Test(transport, same_origin_is_scheme_host_and_port_as_written)
{
    static const struct {
        const char *url, *base;
        bool same;
    } cases[] = {
        {"https://reg.example/v2/x/blobs/sha256:1", "https://reg.example", true},
        {"https://reg.example", "https://reg.example", true},
        {"https://reg.example?x=1", "https://reg.example", true},
        {"http://127.0.0.1:5000/v2/", "http://127.0.0.1:5000", true},
        {"http://127.0.0.1:5001/v2/", "http://127.0.0.1:5000", false},  /* other port */
        {"http://127.0.0.1:50001/v2/", "http://127.0.0.1:5000", false}, /* a longer port */
        {"http://127.0.0.1/v2/", "http://127.0.0.1:5000", false},
        {"http://localhost:5000/v2/", "http://127.0.0.1:5000", false}, /* other name */
        {"http://reg.example/v2/", "https://reg.example", false},      /* other scheme */
        {"https://reg.example:443/v2/", "https://reg.example", false}, /* spelled otherwise */
        {"https://reg.example.evil/v2/", "https://reg.example", false},
        {"https://reg.example@evil/v2/", "https://reg.example", false}, /* userinfo trick */
        {"https://reg.exampl/v2/", "https://reg.example", false},
        {"https://cdn.example/reg.example/v2/", "https://reg.example", false},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        cr_expect_eq(registry_transport_same_origin(cases[i].url, cases[i].base), cases[i].same,
                     "%s vs %s", cases[i].url, cases[i].base);
}
