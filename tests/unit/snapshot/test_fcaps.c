/* File capabilities across the id map (snapshot/fcaps.c): what reaches the disk from a layer and
 * what goes back into a layer. */
#include <criterion/criterion.h>
#include <endian.h>
#include <string.h>

#include "snapshot/fcaps.h"

#define ADMIN (1u << 21)

static size_t value(unsigned char *v, unsigned rev, uint32_t rootid)
{
    uint32_t w[6] = {htole32((rev << 24) | 1), htole32(ADMIN), 0, 0, 0, htole32(rootid)};
    size_t n = rev == 1 ? 12 : rev == 2 ? 20 : 24;
    memcpy(v, w, n);
    return n;
}

static uint32_t rootid_of(const unsigned char *v)
{
    uint32_t r;
    memcpy(&r, v + 20, 4);
    return le32toh(r);
}

static const struct idshift root_map = {1000000000u, 1000000000u, 65536};
static const struct idshift userns = {0, 0, 65536};

Test(fcaps, as_root_every_value_becomes_v3_of_the_mapped_root)
{
    unsigned char in[24], out[FCAPS_MAX];
    for (unsigned rev = 1; rev <= 3; rev++) {
        size_t n = value(in, rev, 0);
        cr_assert_eq(fcaps_to_disk(in, n, &root_map, out), 24, "rev %u", rev);
        cr_assert_eq(out[3], 3);
        cr_assert_eq(rootid_of(out), 1000000000u, "rev %u: host root must never be the root", rev);
        cr_assert(fcaps_disk_ok(out, 24, &root_map));
    }
    size_t n = value(in, 3, 1000);
    cr_assert_eq(fcaps_to_disk(in, n, &root_map, out), 24);
    cr_assert_eq(rootid_of(out), 1000001000u);
}

Test(fcaps, outside_the_map_or_malformed_is_dropped)
{
    unsigned char in[24], out[FCAPS_MAX];
    size_t n = value(in, 3, 65536);
    cr_assert_eq(fcaps_to_disk(in, n, &root_map, out), 0);
    cr_assert_eq(fcaps_to_disk(in, n, &userns, out), 0);
    cr_assert_eq(fcaps_to_disk(in, 23, &root_map, out), 0, "a short v3");
    in[3] = 9;
    cr_assert_eq(fcaps_to_disk(in, 24, &root_map, out), 0, "an unknown revision");
    value(in, 2, 0);
    in[1] = 0x80; /* a flag bit that does not exist */
    cr_assert_eq(fcaps_to_disk(in, 20, &root_map, out), 0);
}

Test(fcaps, in_a_user_namespace_values_stay_in_its_terms)
{
    unsigned char in[24], out[FCAPS_MAX];
    size_t n = value(in, 3, 0);
    cr_assert_eq(fcaps_to_disk(in, n, &userns, out), 20, "v3 for the namespace root is v2");
    cr_assert_eq(out[3], 2);
    n = value(in, 3, 1000);
    cr_assert_eq(fcaps_to_disk(in, n, &userns, out), 24);
    cr_assert_eq(rootid_of(out), 1000u);
}

Test(fcaps, layers_get_v2_for_container_root)
{
    unsigned char in[24], out[FCAPS_MAX];
    size_t n = value(in, 3, 1000000000u);
    cr_assert_eq(fcaps_to_layer(in, n, &root_map, out), 20);
    cr_assert_eq(out[3], 2);
    n = value(in, 3, 1000001000u);
    cr_assert_eq(fcaps_to_layer(in, n, &root_map, out), 24);
    cr_assert_eq(rootid_of(out), 1000u);
    n = value(in, 3, 5);
    cr_assert_eq(fcaps_to_layer(in, n, &root_map, out), 0, "a root uid below the map");
    n = value(in, 2, 0);
    cr_assert_eq(fcaps_to_layer(in, n, &root_map, out), 0, "as root a v2 value is host root's");
    cr_assert(!fcaps_disk_ok(in, n, &root_map));
    cr_assert_eq(fcaps_to_layer(in, n, &userns, out), 20, "in a namespace v2 is its root's");
}

Test(fcaps, without_a_map_nothing_is_written)
{
    unsigned char in[24], out[FCAPS_MAX];
    size_t n = value(in, 2, 0);
    cr_assert_eq(fcaps_to_disk(in, n, NULL, out), 0);
    n = value(in, 3, 0);
    cr_assert_eq(fcaps_to_disk(in, n, NULL, out), 0);
}
