/* Names and link targets in tars are bytes, whatever the locale.
 *
 * libarchive converts names between the current locale and the UTF-8 of PAX headers. kiln never
 * calls setlocale, so it runs in the C (ASCII) locale, where any non-ASCII name fails the
 * conversion. These wrappers run libarchive's header calls under a UTF-8 LC_CTYPE (this thread
 * only, restored after each call), so that:
 *   writing: a UTF-8 name goes into a PAX "path"/"linkpath" record as is, as Go's archive/tar
 *     (BuildKit) writes it; a name that is not valid UTF-8 (latin-1...) is written as its raw
 *     bytes too, with libarchive's "hdrcharset=BINARY" record beside it (Go writes the raw bytes
 *     without that record; every reader, Go's included, gets the same bytes back);
 *   reading: names come back as the bytes of the archive. When a name is not valid UTF-8,
 *     libarchive keeps its raw bytes and reports a conversion warning: that warning, and only
 *     that one, counts as success (a malformed PAX header stays an error).
 */
#ifndef KILN_TAR_TARNAME_H
#define KILN_TAR_TARNAME_H

#include <archive.h>
#include <archive_entry.h>
#include <stdbool.h>

/* archive_read_next_header: ARCHIVE_OK (also after a name-conversion warning), ARCHIVE_EOF, or
 * libarchive's error code. Any format libarchive reads (jars are zips). */
int tar_read_next(struct archive *a, struct archive_entry **ae);

/* archive_write_header: ARCHIVE_OK (also after a name-conversion warning) or the error code. */
int tar_write_header(struct archive *a, struct archive_entry *ae);

/* Whether a component of path (relative, '/'-separated) starts with ".wh.": in an OCI layer
 * such an entry is a whiteout, which deletes a file for every consumer of the image. With
 * last_ok, the last component is not checked (a marker its writer means). */
bool tarname_whiteout(const char *path, bool last_ok);

#endif
