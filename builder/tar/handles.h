/* Cleanup attributes for libarchive's handles (see common/cleanup.h):
 *
 *   cleanup_archive_read struct archive *a = archive_read_new();     archive_read_free at exit
 *   cleanup_archive_write struct archive *w = archive_write_new();   archive_write_free at exit
 *   cleanup_archive_entry struct archive_entry *e = archive_entry_new();
 *
 * archive_write_free closes an archive that is still open, which writes its trailer: a writer
 * that fails part-way leaves a complete-looking archive in its output, which the caller discards.
 */
#ifndef KILN_TAR_HANDLES_H
#define KILN_TAR_HANDLES_H

#include <archive.h>
#include <archive_entry.h>

static inline void cleanup_archive_readp(struct archive **a)
{
    if (*a)
        archive_read_free(*a);
}
static inline void cleanup_archive_writep(struct archive **a)
{
    if (*a)
        archive_write_free(*a);
}
static inline void cleanup_archive_entryp(struct archive_entry **e)
{
    if (*e)
        archive_entry_free(*e);
}

#define cleanup_archive_read  __attribute__((cleanup(cleanup_archive_readp)))
#define cleanup_archive_write __attribute__((cleanup(cleanup_archive_writep)))
#define cleanup_archive_entry __attribute__((cleanup(cleanup_archive_entryp)))

#endif
