/* libarchive, loaded when first needed (dynlib.h). Each line of ARCHIVE_FUNCS is one function
 * kiln calls: its return type, name, parameters and the arguments passed on. The definitions
 * below must match libarchive's own declarations (archive.h is included), so the compiler
 * checks every line. */
#include <archive.h>
#include <archive_entry.h>

#include "dynlib.h"

#ifndef KILN_LIBARCHIVE_PATH
#error "KILN_LIBARCHIVE_PATH (the absolute path of libarchive's SONAME) comes from CMake"
#endif

typedef struct archive A;
typedef struct archive_entry E;

/* F: returns a value; V: returns nothing */
#define ARCHIVE_FUNCS(F, V)                                                                        \
    F(A *, archive_read_new, (void), ())                                                           \
    F(int, archive_read_free, (A * a), (a))                                                        \
    F(int, archive_read_support_format_tar, (A * a), (a))                                          \
    F(int, archive_read_support_format_zip, (A * a), (a))                                          \
    F(int, archive_read_support_format_raw, (A * a), (a))                                          \
    F(int, archive_read_support_filter_all, (A * a), (a))                                          \
    F(int, archive_read_support_filter_gzip, (A * a), (a))                                         \
    F(int, archive_read_support_filter_bzip2, (A * a), (a))                                        \
    F(int, archive_read_support_filter_xz, (A * a), (a))                                           \
    F(int, archive_read_support_filter_zstd, (A * a), (a))                                         \
    F(int, archive_read_open_fd, (A * a, int fd, size_t bs), (a, fd, bs))                          \
    F(int, archive_read_open_memory, (A * a, const void *p, size_t n), (a, p, n))                  \
    F(int, archive_read_open,                                                                      \
      (A * a, void *ctx, archive_open_callback *o, archive_read_callback *r,                       \
       archive_close_callback *c),                                                                 \
      (a, ctx, o, r, c))                                                                           \
    F(int, archive_read_next_header, (A * a, E * *e), (a, e))                                      \
    F(la_ssize_t, archive_read_data, (A * a, void *p, size_t n), (a, p, n))                        \
    F(int, archive_read_data_block, (A * a, const void **p, size_t *n, la_int64_t *off),           \
      (a, p, n, off))                                                                              \
    F(A *, archive_write_new, (void), ())                                                          \
    F(int, archive_write_free, (A * a), (a))                                                       \
    F(int, archive_write_close, (A * a), (a))                                                      \
    F(int, archive_write_set_format_pax_restricted, (A * a), (a))                                  \
    F(int, archive_write_set_format_zip, (A * a), (a))                                             \
    F(int, archive_write_add_filter_gzip, (A * a), (a))                                            \
    F(int, archive_write_set_bytes_per_block, (A * a, int n), (a, n))                              \
    F(int, archive_write_set_bytes_in_last_block, (A * a, int n), (a, n))                          \
    F(int, archive_write_open_fd, (A * a, int fd), (a, fd))                                        \
    F(int, archive_write_open_filename, (A * a, const char *f), (a, f))                            \
    F(int, archive_write_open_memory, (A * a, void *p, size_t n, size_t *used), (a, p, n, used))   \
    F(int, archive_write_open2,                                                                    \
      (A * a, void *ctx, archive_open_callback *o, archive_write_callback *w,                      \
       archive_close_callback *c, archive_free_callback *f),                                       \
      (a, ctx, o, w, c, f))                                                                        \
    F(int, archive_write_header, (A * a, E * e), (a, e))                                           \
    F(la_ssize_t, archive_write_data, (A * a, const void *p, size_t n), (a, p, n))                 \
    F(int, archive_write_finish_entry, (A * a), (a))                                               \
    F(int, archive_errno, (A * a), (a))                                                            \
    F(const char *, archive_error_string, (A * a), (a))                                            \
    F(E *, archive_entry_new, (void), ())                                                          \
    F(E *, archive_entry_clone, (E * e), (e))                                                      \
    V(archive_entry_free, (E * e), (e))                                                            \
    F(const char *, archive_entry_pathname, (E * e), (e))                                          \
    F(const char *, archive_entry_hardlink, (E * e), (e))                                          \
    F(const char *, archive_entry_symlink, (E * e), (e))                                           \
    F(const char *, archive_entry_uname, (E * e), (e))                                             \
    F(__LA_MODE_T, archive_entry_filetype, (E * e), (e))                                           \
    F(__LA_MODE_T, archive_entry_perm, (E * e), (e))                                               \
    F(__LA_MODE_T, archive_entry_mode, (E * e), (e))                                               \
    F(la_int64_t, archive_entry_size, (E * e), (e))                                                \
    F(la_int64_t, archive_entry_uid, (E * e), (e))                                                 \
    F(la_int64_t, archive_entry_gid, (E * e), (e))                                                 \
    F(time_t, archive_entry_mtime, (E * e), (e))                                                   \
    F(long, archive_entry_mtime_nsec, (E * e), (e))                                                \
    F(dev_t, archive_entry_rdev, (E * e), (e))                                                     \
    V(archive_entry_set_pathname, (E * e, const char *s), (e, s))                                  \
    V(archive_entry_copy_pathname, (E * e, const char *s), (e, s))                                 \
    V(archive_entry_set_hardlink, (E * e, const char *s), (e, s))                                  \
    V(archive_entry_copy_hardlink, (E * e, const char *s), (e, s))                                 \
    V(archive_entry_set_symlink, (E * e, const char *s), (e, s))                                   \
    V(archive_entry_set_filetype, (E * e, unsigned int t), (e, t))                                 \
    V(archive_entry_set_mode, (E * e, __LA_MODE_T m), (e, m))                                      \
    V(archive_entry_set_perm, (E * e, __LA_MODE_T m), (e, m))                                      \
    V(archive_entry_set_size, (E * e, la_int64_t n), (e, n))                                       \
    V(archive_entry_set_uid, (E * e, la_int64_t n), (e, n))                                        \
    V(archive_entry_set_gid, (E * e, la_int64_t n), (e, n))                                        \
    V(archive_entry_set_mtime, (E * e, time_t t, long ns), (e, t, ns))                             \
    V(archive_entry_set_rdev, (E * e, dev_t d), (e, d))                                            \
    V(archive_entry_xattr_add_entry, (E * e, const char *n, const void *v, size_t s),              \
      (e, n, v, s))                                                                                \
    F(int, archive_entry_xattr_reset, (E * e), (e))                                                \
    F(int, archive_entry_xattr_next, (E * e, const char **n, const void **v, size_t *s),           \
      (e, n, v, s))

#define POINTER(ret, name, params, args) static __typeof__(name) *p_##name;
#define VPOINTER(name, params, args)     static __typeof__(name) *p_##name;
ARCHIVE_FUNCS(POINTER, VPOINTER)

#define SYM(ret, name, params, args) {#name, (void **)&p_##name},
#define VSYM(name, params, args)     {#name, (void **)&p_##name},
static const struct dynlib_sym syms[] = {ARCHIVE_FUNCS(SYM, VSYM)};

struct dynlib dynlib_archive = {.name = "libarchive",
                                .path = KILN_LIBARCHIVE_PATH,
                                .syms = syms,
                                .nsyms = sizeof(syms) / sizeof(syms[0])};

#define STUB(ret, name, params, args)                                                              \
    ret name params                                                                                \
    {                                                                                              \
        dynlib_ensure(&dynlib_archive);                                                            \
        return p_##name args;                                                                      \
    }
#define VSTUB(name, params, args)                                                                  \
    void name params                                                                               \
    {                                                                                              \
        dynlib_ensure(&dynlib_archive);                                                            \
        p_##name args;                                                                             \
    }
ARCHIVE_FUNCS(STUB, VSTUB)
