/* File capabilities across the id map: see fcaps.h. */
#include <endian.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>

#include "snapshot/fcaps.h"

struct fcaps {
    uint32_t flags;   /* VFS_CAP_FLAGS_EFFECTIVE or 0 */
    uint32_t data[4]; /* permitted, inheritable (low), permitted, inheritable (high) */
    uint32_t rootid;  /* 0 for v1 and v2 */
    bool v3;
};

static uint32_t le32_at(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return le32toh(v);
}

static void put_le32(unsigned char *p, uint32_t v)
{
    v = htole32(v);
    memcpy(p, &v, 4);
}

static int parse(const void *value, size_t n, struct fcaps *c)
{
    const unsigned char *p = value;
    if (n < 4)
        return -1;
    uint32_t magic = le32_at(p), rev = magic & VFS_CAP_REVISION_MASK;
    if (magic & ~(VFS_CAP_REVISION_MASK | VFS_CAP_FLAGS_EFFECTIVE))
        return -1;
    size_t want = rev == VFS_CAP_REVISION_1   ? XATTR_CAPS_SZ_1
                  : rev == VFS_CAP_REVISION_2 ? XATTR_CAPS_SZ_2
                  : rev == VFS_CAP_REVISION_3 ? XATTR_CAPS_SZ_3
                                              : 0;
    if (!want || n != want)
        return -1;
    memset(c, 0, sizeof(*c));
    c->flags = magic & VFS_CAP_FLAGS_EFFECTIVE;
    size_t words = rev == VFS_CAP_REVISION_1 ? 2 : 4;
    for (size_t i = 0; i < words; i++)
        c->data[i] = le32_at(p + 4 + 4 * i);
    c->v3 = rev == VFS_CAP_REVISION_3;
    c->rootid = c->v3 ? le32_at(p + XATTR_CAPS_SZ_2) : 0;
    return 0;
}

/* v2 when v3 is false, else v3 with rootid. */
static size_t emit(const struct fcaps *c, bool v3, uint32_t rootid, unsigned char out[FCAPS_MAX])
{
    put_le32(out, (v3 ? VFS_CAP_REVISION_3 : VFS_CAP_REVISION_2) | c->flags);
    for (size_t i = 0; i < 4; i++)
        put_le32(out + 4 + 4 * i, c->data[i]);
    if (!v3)
        return XATTR_CAPS_SZ_2;
    put_le32(out + XATTR_CAPS_SZ_2, rootid);
    return XATTR_CAPS_SZ_3;
}

size_t fcaps_to_disk(const void *value, size_t n, const struct idshift *shift,
                     unsigned char out[FCAPS_MAX])
{
    struct fcaps c;
    if (!shift || parse(value, n, &c) < 0 || c.rootid >= shift->count)
        return 0; /* without a map a value could only hold for host root */
    if (shift->uid)
        return emit(&c, true, shift->uid + c.rootid, out);
    return emit(&c, c.rootid != 0, c.rootid, out);
}

size_t fcaps_to_layer(const void *value, size_t n, const struct idshift *shift,
                      unsigned char out[FCAPS_MAX])
{
    struct fcaps c;
    if (parse(value, n, &c) < 0)
        return 0;
    uint32_t base = shift ? shift->uid : 0, count = shift ? shift->count : UINT32_MAX;
    if (!c.v3)
        return base ? 0 : emit(&c, false, 0, out); /* as root a v2 value is host root's */
    if (c.rootid < base || c.rootid - base >= count)
        return 0;
    uint32_t r = c.rootid - base;
    return emit(&c, r != 0, r, out);
}

bool fcaps_disk_ok(const void *value, size_t n, const struct idshift *shift)
{
    struct fcaps c;
    if (parse(value, n, &c) < 0)
        return false;
    if (!shift || !shift->uid)
        return true;
    return c.v3 && c.rootid >= shift->uid && c.rootid - shift->uid < shift->count;
}
