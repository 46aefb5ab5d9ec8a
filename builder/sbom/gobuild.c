#include <string.h>
#include <unistd.h>

#include "gobuild.h"
#include "util.h"

static const char gobuild_magic[] = "\xff Go buildinf:"; /* 14 bytes */
#define GOBUILD_MAGIC_LEN 14
#define GOBUILD_HDR_LEN   32
#define GOBUILD_ALIGN     16

struct elf_seg {
    uint64_t vaddr, offset, filesz;
    uint32_t flags, type;
};

struct elf {
    int fd;
    size_t size;
    bool is64, be;
    struct elf_seg *segs;
    size_t nsegs;
};

static uint64_t rd(const unsigned char *p, unsigned n, bool be)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[be ? i : n - 1 - i] << (8 * (n - 1 - i));
    return v;
}

/* Reads exactly n bytes at off, inside the file. */
static bool elf_pread(const struct elf *e, void *buf, size_t n, uint64_t off)
{
    if (off > e->size || n > e->size - off)
        return false;
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(e->fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

/* Reads a table of num entries of entsize bytes at off; NULL when out of bounds. */
static unsigned char *elf_table(const struct elf *e, uint64_t off, uint64_t entsize, uint64_t num)
{
    if (num == 0 || entsize == 0 || entsize > 1024 || num > GOBUILD_MAX_HEADERS / entsize)
        return NULL;
    unsigned char *t = xmalloc(entsize * num);
    if (!elf_pread(e, t, entsize * num, off)) {
        free(t);
        return NULL;
    }
    return t;
}

/* Fills e->segs from the program headers. */
static bool elf_load_segments(struct elf *e, const unsigned char *h)
{
    bool w = e->is64, be = e->be;
    uint64_t phoff = w ? rd(h + 32, 8, be) : rd(h + 28, 4, be);
    uint64_t phentsize = rd(h + (w ? 54 : 42), 2, be), phnum = rd(h + (w ? 56 : 44), 2, be);
    if (phnum == 0)
        return true;
    if (phentsize < (w ? 56u : 32u))
        return false;
    cleanup_free unsigned char *t = elf_table(e, phoff, phentsize, phnum);
    if (!t)
        return false;
    e->segs = xcalloc(phnum, sizeof(*e->segs));
    for (uint64_t i = 0; i < phnum; i++) {
        const unsigned char *p = t + i * phentsize;
        struct elf_seg *s = &e->segs[e->nsegs++];
        s->type = (uint32_t)rd(p, 4, be);
        s->flags = (uint32_t)(w ? rd(p + 4, 4, be) : rd(p + 24, 4, be));
        s->offset = w ? rd(p + 8, 8, be) : rd(p + 4, 4, be);
        s->vaddr = w ? rd(p + 16, 8, be) : rd(p + 8, 4, be);
        s->filesz = w ? rd(p + 32, 8, be) : rd(p + 16, 4, be);
    }
    return true;
}

/* Reads up to max bytes at virtual address addr (within one segment's file data); returns
 * the number of bytes read, 0 when addr is not mapped from the file. */
static size_t elf_read_vaddr(const struct elf *e, uint64_t addr, void *buf, size_t max)
{
    for (size_t i = 0; i < e->nsegs; i++) {
        const struct elf_seg *s = &e->segs[i];
        if (s->filesz == 0 || addr < s->vaddr || addr - s->vaddr >= s->filesz)
            continue;
        uint64_t n = s->filesz - (addr - s->vaddr), off = s->offset + (addr - s->vaddr);
        if (n > max)
            n = max;
        if (off >= e->size)
            return 0;
        if (n > e->size - off) /* a truncated file: read what is there */
            n = e->size - off;
        return elf_pread(e, buf, n, off) ? n : 0;
    }
    return 0;
}

enum sect_find { SECT_NONE, SECT_BUILDINFO, SECT_GO_NOTE };

/* Looks for ".go.buildinfo" (its address in *addr) or a Go build-id note among the section
 * headers. */
static enum sect_find elf_find_section(const struct elf *e, const unsigned char *h, uint64_t *addr)
{
    bool w = e->is64, be = e->be;
    uint64_t shoff = w ? rd(h + 40, 8, be) : rd(h + 32, 4, be);
    uint64_t shentsize = rd(h + (w ? 58 : 46), 2, be), shnum = rd(h + (w ? 60 : 48), 2, be);
    uint64_t shstrndx = rd(h + (w ? 62 : 50), 2, be);
    if (shnum == 0 || shstrndx >= shnum || shentsize < (w ? 64u : 40u))
        return SECT_NONE;
    cleanup_free unsigned char *t = elf_table(e, shoff, shentsize, shnum);
    if (!t)
        return SECT_NONE;
    const unsigned char *ss = t + shstrndx * shentsize;
    uint64_t str_off = w ? rd(ss + 24, 8, be) : rd(ss + 16, 4, be);
    uint64_t str_size = w ? rd(ss + 32, 8, be) : rd(ss + 20, 4, be);
    cleanup_free unsigned char *names = elf_table(e, str_off, 1, str_size);
    if (!names)
        return SECT_NONE;
    enum sect_find found = SECT_NONE;
    for (uint64_t i = 0; i < shnum; i++) {
        const unsigned char *s = t + i * shentsize;
        uint64_t name = rd(s, 4, be);
        if (name >= str_size)
            continue;
        const char *nm = (const char *)names + name;
        size_t room = (size_t)(str_size - name);
        if (strnlen(nm, room) == 13 && !memcmp(nm, ".go.buildinfo", 13)) {
            *addr = w ? rd(s + 16, 8, be) : rd(s + 12, 4, be);
            return SECT_BUILDINFO;
        }
        if (strnlen(nm, room) == 16 && !memcmp(nm, ".note.go.buildid", 16))
            found = SECT_GO_NOTE;
    }
    return found;
}

/* Where Go's linker put the build info blob: the section, else (for a Go binary without it,
 * or one without section headers) the first writable, non-executable PT_LOAD segment. */
static bool elf_data_start(const struct elf *e, const unsigned char *h, uint64_t *addr)
{
    enum sect_find f = elf_find_section(e, h, addr);
    if (f == SECT_BUILDINFO)
        return true;
    uint64_t shnum = rd(h + (e->is64 ? 60 : 48), 2, e->be);
    if (f != SECT_GO_NOTE && shnum != 0)
        return false; /* an ordinary ELF file: not worth a 64 KiB read */
    for (size_t i = 0; i < e->nsegs; i++) {
        if (e->segs[i].type == 1 /* PT_LOAD */ && (e->segs[i].flags & 3) == 2 /* W, not X */) {
            *addr = e->segs[i].vaddr;
            return true;
        }
    }
    return false;
}

/* A varint-prefixed string at *addr (inline format); advances *addr. */
static char *go_inline_string(const struct elf *e, uint64_t *addr, size_t *len)
{
    unsigned char vb[10];
    size_t got = elf_read_vaddr(e, *addr, vb, sizeof(vb));
    uint64_t u = 0;
    unsigned shift = 0;
    size_t i = 0;
    for (; i < got; i++) {
        u |= (uint64_t)(vb[i] & 0x7f) << shift;
        shift += 7;
        if (!(vb[i] & 0x80))
            break;
    }
    if (i == got || u > GOBUILD_MAX_STRING)
        return NULL;
    char *s = xmalloc(u + 1);
    if (u && elf_read_vaddr(e, *addr + i + 1, s, u) != u) {
        free(s);
        return NULL;
    }
    s[u] = '\0';
    *len = u;
    *addr += i + 1 + u;
    return s;
}

/* A Go string whose header (data pointer, length) sits at addr (pointer format). */
static char *go_ptr_string(const struct elf *e, uint64_t addr, unsigned ptr, size_t *len)
{
    unsigned char hdr[16];
    if (elf_read_vaddr(e, addr, hdr, 2 * ptr) != 2 * ptr)
        return NULL;
    uint64_t data = rd(hdr, ptr, e->be), n = rd(hdr + ptr, ptr, e->be);
    if (n > GOBUILD_MAX_STRING)
        return NULL;
    char *s = xmalloc(n + 1);
    if (n && elf_read_vaddr(e, data, s, n) != n) {
        free(s);
        return NULL;
    }
    s[n] = '\0';
    *len = n;
    return s;
}

/* Finds the aligned header in the first GOBUILD_SEARCH bytes at start; its address. */
static bool go_find_header(const struct elf *e, uint64_t start, unsigned char hdr[32], uint64_t *at)
{
    cleanup_free unsigned char *data = xmalloc(GOBUILD_SEARCH);
    size_t n = elf_read_vaddr(e, start, data, GOBUILD_SEARCH);
    for (size_t off = 0; off + GOBUILD_HDR_LEN <= n; off += GOBUILD_ALIGN) {
        if (memcmp(data + off, gobuild_magic, GOBUILD_MAGIC_LEN) == 0) {
            memcpy(hdr, data + off, GOBUILD_HDR_LEN);
            *at = start + off;
            return true;
        }
    }
    return false;
}

/* Strips cmd/go's 16-byte sentinels around the module info; "" when they are missing. */
static char *go_unframe(char *mod, size_t len)
{
    if (len >= 33 && mod[len - 17] == '\n') {
        memmove(mod, mod + 16, len - 32);
        mod[len - 32] = '\0';
    } else {
        mod[0] = '\0';
    }
    return mod;
}

static enum gobuild_status go_decode(const struct elf *e, const unsigned char hdr[32], uint64_t at,
                                     char **vers, char **mod, const char **why)
{
    unsigned ptr = hdr[14];
    size_t vlen = 0, mlen = 0;
    cleanup_free char *v = NULL, *m = NULL;
    if (hdr[15] & 2) {
        uint64_t a = at + GOBUILD_HDR_LEN;
        v = go_inline_string(e, &a, &vlen);
        m = v ? go_inline_string(e, &a, &mlen) : NULL;
    } else if (ptr == 4 || ptr == 8) {
        bool be = hdr[15] != 0;
        v = go_ptr_string(e, rd(hdr + 16, ptr, be), ptr, &vlen);
        m = v ? go_ptr_string(e, rd(hdr + 16 + ptr, ptr, be), ptr, &mlen) : NULL;
    } else {
        *why = "bad pointer size in the Go build info header";
        return GOBUILD_BROKEN;
    }
    if (!v || !m || vlen == 0) {
        *why = "Go build info strings cannot be read";
        return GOBUILD_BROKEN;
    }
    *vers = steal_ptr(v);
    *mod = go_unframe(steal_ptr(m), mlen);
    return GOBUILD_FOUND;
}

enum gobuild_status gobuild_read(int fd, size_t size, char **vers, char **mod, const char **why)
{
    unsigned char h[64];
    struct elf e = {.fd = fd, .size = size};
    if (!elf_pread(&e, h, 52, 0) || memcmp(h,
                                           "\x7f"
                                           "ELF",
                                           4) != 0)
        return GOBUILD_NOT_GO;
    if ((h[4] != 1 && h[4] != 2) || (h[5] != 1 && h[5] != 2))
        return GOBUILD_NOT_GO;
    e.is64 = h[4] == 2;
    e.be = h[5] == 2;
    if (e.is64 && !elf_pread(&e, h, 64, 0))
        return GOBUILD_NOT_GO;
    cleanup_free struct elf_seg *segs = NULL;
    bool segs_ok = elf_load_segments(&e, h);
    segs = e.segs;
    uint64_t start;
    if (!elf_data_start(&e, h, &start))
        return GOBUILD_NOT_GO;
    unsigned char hdr[GOBUILD_HDR_LEN];
    uint64_t at;
    if (!segs_ok || !go_find_header(&e, start, hdr, &at))
        return GOBUILD_NOT_GO;
    return go_decode(&e, hdr, at, vers, mod, why);
}
