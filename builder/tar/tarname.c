/* Byte-exact tar names under libarchive: see tarname.h. */
#include <errno.h>
#include <stdbool.h>
#include <locale.h>
#include <pthread.h>
#include <string.h>

#include "tarname.h"

static locale_t utf8_locale;

static void utf8_init(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* The UTF-8 locale, or 0 where the C library has none (then every non-ASCII name takes the raw
 * fallback below, still byte-exact). */
static locale_t utf8(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, utf8_init);
    return utf8_locale;
}

/* A warning that only says a name could not be converted: libarchive kept the raw bytes. It
 * raises those with ARCHIVE_ERRNO_FILE_FORMAT, which is EILSEQ on Linux (no EFTYPE). */
static bool name_warning(struct archive *a)
{
    const char *msg = archive_error_string(a);
    if (archive_errno(a) != EILSEQ || !msg)
        return false;
    /* tar: "... can't be converted from UTF-8 to current locale."; zip (jars): "... cannot be
     * converted from ..."; the tar writer: "Can't translate pathname ..." */
    return strstr(msg, "can't be converted from") || strstr(msg, "cannot be converted from") ||
           strstr(msg, "Can't translate ");
}

int tar_read_next(struct archive *a, struct archive_entry **ae)
{
    locale_t l = utf8(), old = l ? uselocale(l) : (locale_t)0;
    int r = archive_read_next_header(a, ae);
    if (l)
        uselocale(old);
    return r == ARCHIVE_WARN && name_warning(a) ? ARCHIVE_OK : r;
}

int tar_write_header(struct archive *a, struct archive_entry *ae)
{
    locale_t l = utf8(), old = l ? uselocale(l) : (locale_t)0;
    int r = archive_write_header(a, ae);
    if (l)
        uselocale(old);
    return r == ARCHIVE_WARN && name_warning(a) ? ARCHIVE_OK : r;
}

bool tarname_whiteout(const char *path, bool last_ok)
{
    for (const char *c = path; *c;) {
        size_t n = strcspn(c, "/");
        bool last = c[n] == '\0';
        if (n >= 4 && !strncmp(c, ".wh.", 4) && !(last && last_ok))
            return true;
        c += n;
        while (*c == '/')
            c++;
    }
    return false;
}
