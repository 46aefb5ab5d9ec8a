/* Go build info: ELF files synthesized here in the exact layout Go's linker writes (the test
 * machine need not have a Go toolchain), read through a view, cataloged and validated. */
#include "helpers.h"
#include "sbom/gobuild.h"

#define GO_MAGIC "\xff Go buildinf:"
/* cmd/go/internal/modload's sentinels around the module info */
#define GO_INFO_START                                                                              \
    "0w\xaf\x0c\x92t\x08\x02"                                                                      \
    "A\xe1\xc1\x07\xe6\xd6\x18\xe6"
#define GO_INFO_END                                                                                \
    "\xf9"                                                                                         \
    "2C1\x86\x18 r\x00\x82"                                                                        \
    "B\x10"                                                                                        \
    "A\x16\xd8\xf2"

struct img {
    unsigned char b[16384];
    size_t len;
    bool be;
};

static void put(struct img *m, size_t off, uint64_t v, unsigned n)
{
    cr_assert_leq(off + n, sizeof(m->b));
    for (unsigned i = 0; i < n; i++)
        m->b[off + i] = (unsigned char)(v >> (8 * (m->be ? n - 1 - i : i)));
    if (off + n > m->len)
        m->len = off + n;
}

static void put_bytes(struct img *m, size_t off, const void *p, size_t n)
{
    cr_assert_leq(off + n, sizeof(m->b));
    memcpy(m->b + off, p, n);
    if (off + n > m->len)
        m->len = off + n;
}

static size_t put_uvarint(struct img *m, size_t off, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        put(m, off + n++, (v & 0x7f) | 0x80, 1);
        v >>= 7;
    }
    put(m, off + n++, v, 1);
    return n;
}

/* The framed module info string as the linker stores it. */
static char *framed(const char *modinfo, size_t *len)
{
    *len = 16 + strlen(modinfo) + 16;
    char *s = xmalloc(*len);
    memcpy(s, GO_INFO_START, 16);
    memcpy(s + 16, modinfo, strlen(modinfo));
    memcpy(s + 16 + strlen(modinfo), GO_INFO_END, 16);
    return s;
}

#define DATA_OFF   0x1000u
#define DATA_VADDR 0x401000u

/* ELF64 little-endian, Go >= 1.18 layout: a ".go.buildinfo" section whose 32-byte header (at
 * a 16-aligned offset, after a decoy magic at an unaligned one) is followed by varint-prefixed
 * version and module info strings. with_section false drops the section headers, so the
 * reader must fall back to the writable PT_LOAD segment. */
static void elf64_inline(struct img *m, const char *vers, const char *modinfo, bool with_section)
{
    memset(m, 0, sizeof(*m));
    put_bytes(m, 0,
              "\x7f"
              "ELF\x02\x01\x01",
              7);
    put(m, 16, 2, 2), put(m, 18, 62, 2), put(m, 20, 1, 4);
    put(m, 32, 64, 8); /* e_phoff */
    put(m, 52, 64, 2), put(m, 54, 56, 2), put(m, 56, 1, 2);
    put_bytes(m, DATA_OFF + 8, GO_MAGIC, 14); /* decoy: not 16-aligned */
    size_t h = DATA_OFF + 32;
    put_bytes(m, h, GO_MAGIC, 14);
    put(m, h + 14, 8, 1), put(m, h + 15, 2, 1); /* pointer size 8, inline strings */
    size_t o = h + 32, flen;
    o += put_uvarint(m, o, strlen(vers));
    put_bytes(m, o, vers, strlen(vers)), o += strlen(vers);
    cleanup_free char *mod = framed(modinfo, &flen);
    o += put_uvarint(m, o, flen);
    put_bytes(m, o, mod, flen), o += flen;
    size_t data_end = o;
    /* one PT_LOAD, read-write */
    put(m, 64, 1, 4), put(m, 68, 6, 4), put(m, 72, DATA_OFF, 8), put(m, 80, DATA_VADDR, 8);
    put(m, 88, DATA_VADDR, 8), put(m, 96, data_end - DATA_OFF, 8),
        put(m, 104, data_end - DATA_OFF, 8);
    if (!with_section)
        return;
    static const char names[] = "\0.go.buildinfo\0.shstrtab";
    size_t str = (data_end + 15) & ~(size_t)15, sh = (str + sizeof(names) + 15) & ~(size_t)15;
    put_bytes(m, str, names, sizeof(names));
    put(m, 40, sh, 8), put(m, 58, 64, 2), put(m, 60, 3, 2), put(m, 62, 2, 2);
    /* [1] .go.buildinfo at the 16-aligned header (after the decoy), [2] .shstrtab */
    put(m, sh + 64, 1, 4), put(m, sh + 64 + 4, 1, 4), put(m, sh + 64 + 16, DATA_VADDR + 32, 8);
    put(m, sh + 64 + 24, h, 8), put(m, sh + 64 + 32, data_end - h, 8);
    put(m, sh + 128, 15, 4), put(m, sh + 128 + 4, 3, 4), put(m, sh + 128 + 24, str, 8);
    put(m, sh + 128 + 32, sizeof(names), 8);
    put(m, sh + 191, 0, 1); /* the table's extent */
}

/* ELF32 big-endian, the pre-1.18 layout: no section headers, the header holds two pointers to
 * Go string headers {data, len}. */
static void elf32_pointers(struct img *m, const char *vers, const char *modinfo)
{
    memset(m, 0, sizeof(*m));
    m->be = true;
    const uint32_t base = 0x10000;
    put_bytes(m, 0,
              "\x7f"
              "ELF\x01\x02\x01",
              7);
    put(m, 16, 2, 2), put(m, 18, 20, 2), put(m, 20, 1, 4);
    put(m, 28, 52, 4), put(m, 40, 52, 2), put(m, 42, 32, 2), put(m, 44, 2, 2);
    size_t h = DATA_OFF, flen;
    cleanup_free char *mod = framed(modinfo, &flen);
    size_t sh_vers = h + 32, sh_mod = h + 40, s_vers = h + 48, s_mod = s_vers + strlen(vers);
    put_bytes(m, h, GO_MAGIC, 14);
    put(m, h + 14, 4, 1), put(m, h + 15, 1, 1);
    put(m, h + 16, base + sh_vers - DATA_OFF, 4), put(m, h + 20, base + sh_mod - DATA_OFF, 4);
    put(m, sh_vers, base + s_vers - DATA_OFF, 4), put(m, sh_vers + 4, strlen(vers), 4);
    put(m, sh_mod, base + s_mod - DATA_OFF, 4), put(m, sh_mod + 4, flen, 4);
    put_bytes(m, s_vers, vers, strlen(vers));
    put_bytes(m, s_mod, mod, flen);
    size_t end = s_mod + flen;
    /* [0] a read-only text segment, [1] the read-write data segment */
    put(m, 52, 1, 4), put(m, 52 + 4, 0, 4), put(m, 52 + 8, 0x8000, 4), put(m, 52 + 16, 0x100, 4);
    put(m, 52 + 24, 5, 4);
    put(m, 84, 1, 4), put(m, 84 + 4, DATA_OFF, 4), put(m, 84 + 8, base, 4);
    put(m, 84 + 16, end - DATA_OFF, 4), put(m, 84 + 20, end - DATA_OFF, 4), put(m, 84 + 24, 6, 4);
}

static const char hello_mod[] = "path\texample.com/hello\n"
                                "mod\texample.com/hello\t(devel)\t\n"
                                "dep\tgithub.com/google/uuid\tv1.6.0\th1:Kl8=\n"
                                "dep\tgolang.org/x/sys\tv0.17.0\th1:abc=\n"
                                "=>\tgolang.org/x/sys\tv0.18.0\th1:def=\n"
                                "dep\texample.com/local\tv0.0.0\t\n"
                                "=>\t../local\t\t\n"
                                "dep\tgithub.com/pkg/errors\tv0.9.1\th1:z=\n"
                                "=>\t./third_party/errors\t(devel)\t\n"
                                "build\t-compiler=gc\n"
                                "build\tGOOS=linux\n";
static const char old_mod[] = "path\texample.com/old\n"
                              "mod\texample.com/old\tv1.2.3\th1:x=\n"
                              "dep\tgopkg.in/yaml.v3\tv3.0.1\th1:y=\n";

static void write_exe(const char *root, const char *rel, const struct img *m)
{
    cleanup_free char *p = xasprintf("%s/%s", root, rel);
    test_write(p, m->b, m->len);
    cr_assert_eq(chmod(p, 0755), 0);
}

static enum gobuild_status read_img(const struct img *m, char **vers, char **mod)
{
    cleanup_free char *dir = test_tmpdir();
    cleanup_free char *p = xasprintf("%s/exe", dir);
    test_write(p, m->b, m->len);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    const char *why = NULL;
    enum gobuild_status s = gobuild_read(fd, m->len, vers, mod, &why);
    close(fd);
    test_rm_rf(dir);
    return s;
}

Test(gobuild, inline_strings_in_the_section)
{
    struct img m;
    elf64_inline(&m, "go1.22.1", hello_mod, true);
    cleanup_free char *vers = NULL, *mod = NULL;
    cr_assert_eq(read_img(&m, &vers, &mod), GOBUILD_FOUND);
    cr_expect_str_eq(vers, "go1.22.1");
    cr_expect_str_eq(mod, hello_mod);
}

Test(gobuild, writable_segment_without_sections)
{
    struct img m;
    elf64_inline(&m, "go1.21.0", hello_mod, false);
    cleanup_free char *vers = NULL, *mod = NULL;
    cr_assert_eq(read_img(&m, &vers, &mod), GOBUILD_FOUND);
    cr_expect_str_eq(vers, "go1.21.0");
}

Test(gobuild, big_endian_pointers)
{
    struct img m;
    elf32_pointers(&m, "go1.16.5", old_mod);
    cleanup_free char *vers = NULL, *mod = NULL;
    cr_assert_eq(read_img(&m, &vers, &mod), GOBUILD_FOUND);
    cr_expect_str_eq(vers, "go1.16.5");
    cr_expect_str_eq(mod, old_mod);
}

Test(gobuild, not_go_and_truncated)
{
    struct img m;
    elf64_inline(&m, "go1.22.1", hello_mod, true);
    char *vers = NULL, *mod = NULL;
    struct img plain = m;
    memset(plain.b + DATA_OFF, 0, 256); /* no magic anywhere */
    cr_expect_eq(read_img(&plain, &vers, &mod), GOBUILD_NOT_GO);
    struct img cut;
    elf64_inline(&cut, "go1.22.1", hello_mod, false);
    cut.len = DATA_OFF + 32 + 32 + 3; /* the header survives, the strings do not */
    cr_expect_eq(read_img(&cut, &vers, &mod), GOBUILD_BROKEN);
    struct img text = {.len = 100};
    memset(text.b, 'x', 100);
    cr_expect_eq(read_img(&text, &vers, &mod), GOBUILD_NOT_GO);
    cr_expect_null(vers);
}

Test(gobuild, cataloged_modules_with_replacements)
{
    cleanup_free char *root = test_tmpdir();
    struct img m;
    elf64_inline(&m, "go1.22.1 X:boringcrypto", hello_mod, true);
    write_exe(root, "usr/local/bin/hello", &m);
    elf32_pointers(&m, "go1.16.5", old_mod);
    write_exe(root, "app/old", &m);
    /* not executable: not looked at */
    elf64_inline(&m, "go1.20.0", old_mod, true);
    cleanup_free char *lib = xasprintf("%s/usr/lib/not-exec", root);
    test_write(lib, m.b, m.len);
    struct sbom_result r;
    test_generate(root, &r);
    json_t *pkgs = test_spdx_packages(&r);
    static const char *const want[] = {
        "pkg:golang/example.com/hello",
        "pkg:golang/github.com/google/uuid@v1.6.0",
        "pkg:golang/golang.org/x/sys@v0.18.0",
        "pkg:golang/example.com/local@v0.0.0",
        "pkg:golang/stdlib@1.22.1",
        "pkg:golang/github.com/pkg/errors@v0.9.1",
        "pkg:golang/example.com/old@v1.2.3",
        "pkg:golang/gopkg.in/yaml.v3@v3.0.1",
        "pkg:golang/stdlib@1.16.5",
    };
    for (size_t i = 0; i < ARRAY_SIZE(want); i++)
        cr_expect_not_null(test_find_purl(pkgs, want[i]), "missing %s", want[i]);
    cr_expect_eq(r.counts[SBOM_PKG_GO], ARRAY_SIZE(want));
    cr_expect_eq(json_array_size(pkgs), ARRAY_SIZE(want) + 1, "the image and the Go packages");
    json_t *hello = test_find_purl(pkgs, "pkg:golang/example.com/hello");
    cr_expect_null(json_object_get(hello, "versionInfo"), "(devel) is no version");
    cr_expect_str_eq(json_string_value(json_object_get(hello, "sourceInfo")),
                     "acquired package info from go module build info: /usr/local/bin/hello");
    json_decref(pkgs);
    test_validate_result("go", &r);
    sbom_result_release(&r);
    test_rm_rf(root);
}
