#include <stdlib.h>
#include <zstd.h>

#include "pzstd.h"
#include "kernel.h"
#include "util.h"

#define OUT_CHUNK ((size_t)256 * 1024)

struct pzstd {
    ZSTD_CCtx *c;
    unsigned char *out;
    pzstd_emit_fn emit;
    void *ctx;
};

static int zfail(size_t r, const char *what, kiln_error_t **err)
{
    return kiln_err(err, KILN_EINTERNAL, 0, "zstd: %s: %s", what, ZSTD_getErrorName(r));
}

int pzstd_new(int level, unsigned threads, pzstd_emit_fn emit, void *ctx, struct pzstd **out,
              kiln_error_t **err)
{
    unsigned n = threads ? threads : kernel_cores();
    if (n > PZSTD_MAX_THREADS)
        n = PZSTD_MAX_THREADS;
    struct pzstd *z = xcalloc(1, sizeof(*z));
    z->c = ZSTD_createCCtx();
    if (!z->c) {
        free(z);
        return kiln_err(err, KILN_EINTERNAL, 0, "zstd: cannot initialise");
    }
    z->out = xmalloc(OUT_CHUNK);
    z->emit = emit;
    z->ctx = ctx;
    static const struct {
        ZSTD_cParameter p;
        const char *name;
    } names[] = {{ZSTD_c_compressionLevel, "level"},
                 {ZSTD_c_nbWorkers, "workers"},
                 {ZSTD_c_jobSize, "job size"},
                 {ZSTD_c_checksumFlag, "checksum"},
                 {ZSTD_c_contentSizeFlag, "content size"}};
    int values[] = {level > 0 ? (level > PZSTD_MAX_LEVEL ? PZSTD_MAX_LEVEL : level)
                              : PZSTD_DEFAULT_LEVEL,
                    (int)n, (int)PZSTD_JOB, 0, 0};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        size_t r = ZSTD_CCtx_setParameter(z->c, names[i].p, values[i]);
        if (ZSTD_isError(r)) { /* a libzstd without threads cannot give the same bytes */
            pzstd_free(z);
            return zfail(r, names[i].name, err);
        }
    }
    *out = z;
    return 0;
}

/* One call of the compressor over in (which may be empty), emitting what it produced; *left is
 * what ZSTD_compressStream2 returned (0: everything flushed). */
static int step(struct pzstd *z, ZSTD_inBuffer *in, ZSTD_EndDirective end, size_t *left,
                kiln_error_t **err)
{
    ZSTD_outBuffer o = {z->out, OUT_CHUNK, 0};
    size_t r = ZSTD_compressStream2(z->c, &o, in, end);
    if (ZSTD_isError(r))
        return zfail(r, "compress", err);
    if (o.pos && z->emit(z->ctx, z->out, o.pos, err) < 0)
        return -1;
    *left = r;
    return 0;
}

int pzstd_write(struct pzstd *z, const void *p, size_t n, kiln_error_t **err)
{
    ZSTD_inBuffer in = {p, n, 0};
    size_t left;
    while (in.pos < in.size)
        if (step(z, &in, ZSTD_e_continue, &left, err) < 0)
            return -1;
    return 0;
}

int pzstd_finish(struct pzstd *z, kiln_error_t **err)
{
    ZSTD_inBuffer in = {NULL, 0, 0};
    size_t left = 1;
    while (left)
        if (step(z, &in, ZSTD_e_end, &left, err) < 0)
            return -1;
    return 0;
}

void pzstd_free(struct pzstd *z)
{
    if (!z)
        return;
    ZSTD_freeCCtx(z->c); /* joins its workers */
    free(z->out);
    free(z);
}
