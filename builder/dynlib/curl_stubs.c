/* libcurl, loaded when a registry or a URL is first used (dynlib.h). CURL_FUNCS lists the
 * functions kiln calls (return type, name, parameters, arguments); the definitions must match
 * curl.h's declarations. curl_easy_setopt and curl_easy_getinfo take a variable argument: their
 * stubs pass it on with the type libcurl itself reads for the option (curl.h: the option's
 * number says whether it is a long, a pointer, a function pointer or a curl_off_t; every
 * CURLINFO takes a pointer). */
#define CURL_DISABLE_TYPECHECK 1 /* plain declarations of curl_easy_setopt/getinfo */
#include <curl/curl.h>
#include <stdarg.h>

#include "dynlib.h"

#ifndef KILN_LIBCURL_PATH
#error "KILN_LIBCURL_PATH (the absolute path of libcurl's SONAME) comes from CMake"
#endif

#define CURL_FUNCS(F, V)                                                                           \
    F(CURLcode, curl_global_init, (long flags), (flags))                                           \
    F(CURL *, curl_easy_init, (void), ())                                                          \
    V(curl_easy_cleanup, (CURL * h), (h))                                                          \
    V(curl_easy_reset, (CURL * h), (h))                                                            \
    F(CURLcode, curl_easy_perform, (CURL * h), (h))                                                \
    F(const char *, curl_easy_strerror, (CURLcode c), (c))                                         \
    V(curl_free, (void *p), (p))                                                                   \
    F(struct curl_slist *, curl_slist_append, (struct curl_slist * l, const char *s), (l, s))      \
    V(curl_slist_free_all, (struct curl_slist * l), (l))                                           \
    F(CURLU *, curl_url, (void), ())                                                               \
    V(curl_url_cleanup, (CURLU * u), (u))                                                          \
    F(CURLUcode, curl_url_get, (CURLU * u, CURLUPart w, char **p, unsigned int f), (u, w, p, f))   \
    F(CURLUcode, curl_url_set, (CURLU * u, CURLUPart w, const char *p, unsigned int f),            \
      (u, w, p, f))                                                                                \
    F(const char *, curl_url_strerror, (CURLUcode c), (c))

#define POINTER(ret, name, params, args) static __typeof__(name) *p_##name;
#define VPOINTER(name, params, args)     static __typeof__(name) *p_##name;
CURL_FUNCS(POINTER, VPOINTER)
static __typeof__(curl_easy_setopt) *p_curl_easy_setopt;
static __typeof__(curl_easy_getinfo) *p_curl_easy_getinfo;

#define SYM(ret, name, params, args) {#name, (void **)&p_##name},
#define VSYM(name, params, args)     {#name, (void **)&p_##name},
static const struct dynlib_sym syms[] = {
    CURL_FUNCS(SYM, VSYM){"curl_easy_setopt", (void **)&p_curl_easy_setopt},
    {"curl_easy_getinfo", (void **)&p_curl_easy_getinfo},
};

struct dynlib dynlib_curl = {.name = "libcurl",
                             .path = KILN_LIBCURL_PATH,
                             .syms = syms,
                             .nsyms = sizeof(syms) / sizeof(syms[0])};

#define STUB(ret, name, params, args)                                                              \
    ret name params                                                                                \
    {                                                                                              \
        dynlib_ensure(&dynlib_curl);                                                               \
        return p_##name args;                                                                      \
    }
#define VSTUB(name, params, args)                                                                  \
    void name params                                                                               \
    {                                                                                              \
        dynlib_ensure(&dynlib_curl);                                                               \
        p_##name args;                                                                             \
    }
CURL_FUNCS(STUB, VSTUB)

typedef void (*curl_fn)(void);

CURLcode curl_easy_setopt(CURL *h, CURLoption option, ...)
{
    dynlib_ensure(&dynlib_curl);
    va_list ap;
    va_start(ap, option);
    CURLcode rc;
    if (option < CURLOPTTYPE_OBJECTPOINT) {
        long v = va_arg(ap, long);
        rc = p_curl_easy_setopt(h, option, v);
    } else if (option < CURLOPTTYPE_FUNCTIONPOINT) {
        void *v = va_arg(ap, void *);
        rc = p_curl_easy_setopt(h, option, v);
    } else if (option < CURLOPTTYPE_OFF_T) {
        curl_fn v = va_arg(ap, curl_fn);
        rc = p_curl_easy_setopt(h, option, v);
    } else if (option < CURLOPTTYPE_BLOB) {
        curl_off_t v = va_arg(ap, curl_off_t);
        rc = p_curl_easy_setopt(h, option, v);
    } else {
        void *v = va_arg(ap, void *); /* struct curl_blob * */
        rc = p_curl_easy_setopt(h, option, v);
    }
    va_end(ap);
    return rc;
}

CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
    dynlib_ensure(&dynlib_curl);
    va_list ap;
    va_start(ap, info);
    void *out = va_arg(ap, void *);
    va_end(ap);
    return p_curl_easy_getinfo(h, info, out);
}
