/* Shared libraries kiln loads when a command needs them rather than at every start.
 *
 * libarchive and libcurl bring 38 more libraries with them (libxml2, ICU, libstdc++, GnuTLS,
 * Kerberos, LDAP, SSH, ...). Linked normally, the dynamic loader maps and relocates all of them
 * before main() on every command: ~19 million instructions, most of `kiln version`, `kiln
 * parse` and `kiln lint`, which use none of them. So kiln is not linked against them: the
 * functions it calls are defined in dynlib/ as stubs that jump through a table filled from the
 * library (archive_stubs.c, curl_stubs.c).
 *
 * Hardening is the loader's: each library is opened by its absolute path, fixed when kiln is
 * built (its SONAME in the directory pkg-config gave: no search path, no LD_LIBRARY_PATH for
 * the library itself), with RTLD_NOW (every symbol bound at load, as -z now does) and
 * RTLD_LOCAL, and every function kiln uses must resolve or the load fails. No library is ever
 * loaded by a process that may have changed its root (a step's child): the CLI loads libarchive
 * for every command that may read a layer, in the main thread before any thread or child exists
 * (cli/main.c); libcurl is first used by kiln's own process (registry client, ADD <url>, proxy
 * URLs), never by a child. A stub called before its library was loaded loads it then (libcurl;
 * unit tests) or, when that fails, exits with status 127 and the loader's message, as a missing
 * library makes the dynamic loader do.
 *
 * A new libarchive or libcurl function used anywhere in kiln is one line in the table of its
 * stub file (the link fails with "undefined reference" until it is there). */
#ifndef KILN_DYNLIB_H
#define KILN_DYNLIB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "kiln/error.h"

struct dynlib_sym {
    const char *name;
    void **slot; /* where the address goes (a function pointer of the stub file) */
};

struct dynlib {
    const char *name; /* "libarchive", for messages */
    const char *path; /* absolute */
    const struct dynlib_sym *syms;
    size_t nsyms;
    bool tried;  /* under dynlib.c's lock */
    bool loaded; /* read and written atomically */
    char error[512];
};

extern struct dynlib dynlib_archive, dynlib_curl;

/* Loads l once (later calls return the first result): KILN_EINTERNAL naming the library and the
 * loader's message when it cannot be opened or lacks a function. */
int dynlib_load(struct dynlib *l, kiln_error_t **err);
/* For stubs: returns when l is loaded; loads it, or exits 127 with a message. */
void dynlib_need(struct dynlib *l);

static inline void dynlib_ensure(struct dynlib *l)
{
    if (!__atomic_load_n(&l->loaded, __ATOMIC_ACQUIRE))
        dynlib_need(l);
}

#endif
