/* The build information the Go linker embeds in an executable (what `go version -m` prints),
 * read from an ELF file the way Go's debug/buildinfo does: find the ".go.buildinfo" section
 * (else the first writable PT_LOAD segment), look for the 16-byte-aligned header
 * "\xff Go buildinf:" in its first 64 KiB, then read the Go version and the module info either
 * inline (varint-prefixed strings, Go >= 1.18) or through two pointers to Go string headers.
 * 32/64-bit and little/big-endian ELF are supported; nothing is executed. */
#ifndef KILN_SBOM_GOBUILD_H
#define KILN_SBOM_GOBUILD_H

#include <stddef.h>

#include "kiln/error.h"

#define GOBUILD_SEARCH      (64u * 1024) /* bytes searched for the header, as Go does */
#define GOBUILD_MAX_HEADERS (4u * 1024 * 1024)
#define GOBUILD_MAX_STRING  (8u * 1024 * 1024)

enum gobuild_status {
    GOBUILD_NOT_GO = 0, /* not an ELF file, or an ELF file without Go build info */
    GOBUILD_FOUND = 1,
    GOBUILD_BROKEN = -1, /* an ELF/Go file whose headers or strings are malformed */
};

/* Reads the build info of the ELF file fd (of size `size`). On GOBUILD_FOUND, *vers is the Go
 * version ("go1.22.1") and *mod the module info without its framing ("" when built without
 * modules), both newly allocated (raw bytes, NUL-terminated). On GOBUILD_BROKEN, *why says what
 * is wrong (static string). */
enum gobuild_status gobuild_read(int fd, size_t size, char **vers, char **mod, const char **why);

#endif
