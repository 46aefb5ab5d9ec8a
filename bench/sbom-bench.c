/* sbom-bench: times sbom_generate (catalog + SPDX + CycloneDX) over a root filesystem, and
 * optionally writes the documents (plain and as in-toto statements) for validation.
 *
 *   sbom-bench [-n RUNS] [-o DIR] [-t SECONDS] LAYER_DIR...
 *
 * LAYER_DIRs are the view's layers, bottom first (one plain directory is a valid image).
 * -t: exit 1 when the best run takes more than SECONDS of CPU time (the wall time is printed
 * too; on a busy machine it is longer). Built by bench/sbom-bench.sh. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsutil.h"
#include "sbom/intoto.h"
#include "sbom/sbom.h"
#include "snapshot/view.h"
#include "util.h"

#define BENCH_DIGEST   "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define BENCH_MAX_RUNS 1000

static double now(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Generates the SBOMs runs times; the wall and CPU time of each run in t and cpu. */
static int bench_runs(struct view *v, int runs, struct sbom_result *r, double *t, double *cpu,
                      kiln_error_t **err)
{
    struct sbom_image_info info = {
        .name = "sbom-bench", .manifest_digest = BENCH_DIGEST, .arch = "amd64"};
    for (int i = 0; i < runs; i++) {
        sbom_result_release(r);
        double t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
        if (sbom_generate(v, &info, r, err) < 0)
            return -1;
        t[i] = now(CLOCK_MONOTONIC) - t0;
        cpu[i] = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
    }
    return 0;
}

static int write_path(const char *path, const char *data, size_t len, kiln_error_t **err)
{
    cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write_all(fd, data, len) < 0)
        return kiln_err_errno(err, KILN_EIO, "write '%s'", path);
    return 0;
}

static int write_doc(const char *dir, const char *name, const char *ptype, const char *doc,
                     size_t len, kiln_error_t **err)
{
    cleanup_free char *plain = xasprintf("%s/%s.json", dir, name);
    cleanup_free char *wrapped = xasprintf("%s/%s.intoto.json", dir, name);
    if (write_path(plain, doc, len, err) < 0)
        return -1;
    struct intoto_subject s = {"sbom-bench", BENCH_DIGEST};
    cleanup_free char *st = NULL;
    size_t stlen = 0;
    if (intoto_statement(ptype, &s, 1, doc, len, &st, &stlen, err) < 0)
        return -1;
    return write_path(wrapped, st, stlen, err);
}

static void report(const char *root, const struct sbom_result *r, double *t, double *cpu, int runs)
{
    qsort(t, (size_t)runs, sizeof(*t), cmp_double);
    qsort(cpu, (size_t)runs, sizeof(*cpu), cmp_double);
    printf("sbom-bench: %s: %zu packages (", root, r->total);
    for (int i = 0; i < SBOM_PKG_NTYPES; i++)
        if (r->counts[i])
            printf("%s%s %zu", i ? " " : "", sbom_pkg_type_name((enum sbom_pkg_type)i),
                   r->counts[i]);
    printf("), SPDX %zu bytes, CycloneDX %zu bytes: best %.3f s, median %.3f s (cpu best %.3f s) "
           "over %d runs\n",
           r->spdx_len, r->cdx_len, t[0], t[runs / 2], cpu[0], runs);
}

int main(int argc, char **argv)
{
    int runs = 5, c;
    const char *out = NULL;
    double limit = 0;
    while ((c = getopt(argc, argv, "n:o:t:")) != -1) {
        if (c == 'n')
            runs = (int)strtol(optarg, NULL, 10);
        else if (c == 'o')
            out = optarg;
        else if (c == 't')
            limit = strtod(optarg, NULL);
        else
            return 2;
    }
    if (optind >= argc || runs < 1 || runs > BENCH_MAX_RUNS) {
        fprintf(stderr, "usage: sbom-bench [-n RUNS] [-o DIR] [-t SECONDS] LAYER_DIR...\n");
        return 2;
    }
    kiln_error_t *err = NULL;
    struct view *v = NULL;
    if (view_new((const char *const *)argv + optind, (size_t)(argc - optind), &v, &err) < 0) {
        fprintf(stderr, "sbom-bench: %s\n", err->msg);
        return 1;
    }
    struct sbom_result r = {0};
    double t[BENCH_MAX_RUNS], cpu[BENCH_MAX_RUNS];
    if (bench_runs(v, runs, &r, t, cpu, &err) < 0) {
        fprintf(stderr, "sbom-bench: %s\n", err->msg);
        return 1;
    }
    for (size_t i = 0; i < r.n_warnings; i++)
        fprintf(stderr, "warning: %s\n", r.warnings[i]);
    if (out &&
        (write_doc(out, "sbom.spdx", SBOM_SPDX_PREDICATE_TYPE, r.spdx_json, r.spdx_len, &err) < 0 ||
         write_doc(out, "sbom.cdx", SBOM_CDX_PREDICATE_TYPE, r.cdx_json, r.cdx_len, &err) < 0)) {
        fprintf(stderr, "sbom-bench: %s\n", err->msg);
        return 1;
    }
    report(argv[optind + (argc - optind) - 1], &r, t, cpu, runs);
    /* the CPU time: a busy machine stretches the wall time, not the work */
    int rc = limit > 0 && cpu[0] > limit ? 1 : 0;
    if (rc)
        fprintf(stderr, "sbom-bench: best run %.3f s of CPU is over the %.3f s target\n", cpu[0],
                limit);
    sbom_result_release(&r);
    view_free(v);
    return rc;
}
