#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scan/leakscan.h"
#include "util.h"

static unsigned seed = 12345;

static unsigned rnd(void)
{
    seed = seed * 1103515245u + 12345u;
    return (seed >> 8) & 0xffffff;
}

static void fill_random(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)rnd();
}

/* printable random text, no whitespace */
static void fill_token(char *p, size_t n)
{
    static const char al[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
    for (size_t i = 0; i < n; i++)
        p[i] = al[rnd() % (sizeof(al) - 1)];
    p[n] = '\0';
}

static struct leakscan *one(const void *v, size_t n)
{
    struct leakscan_secret s = {"tok", v, n};
    struct leakscan *ls = NULL;
    kiln_error_t *err = NULL;
    cr_assert_eq(leakscan_new(&s, 1, &ls, &err), 0);
    return ls;
}

/* base64 (std or url) of p, no padding stripped, optionally wrapped every 76 chars */
static char *b64(const unsigned char *p, size_t n, bool url, bool wrap)
{
    size_t enc = 4 * ((n + 2) / 3);
    char *raw = malloc(enc + 1);
    EVP_EncodeBlock((unsigned char *)raw, p, (int)n);
    for (size_t i = 0; url && i < enc; i++)
        raw[i] = raw[i] == '+' ? '-' : raw[i] == '/' ? '_' : raw[i];
    if (!wrap)
        return raw;
    char *w = malloc(enc + enc / 76 + 2);
    size_t k = 0;
    for (size_t i = 0; i < enc; i++) {
        w[k++] = raw[i];
        if (i % 76 == 75)
            w[k++] = '\n';
    }
    w[k] = '\0';
    free(raw);
    return w;
}

Test(leakscan, finds_raw_bytes_anywhere_and_nothing_in_clean_data)
{
    const char *sec = "s3cr3t-token-value";
    struct leakscan *ls = one(sec, strlen(sec));
    char buf[256];
    for (size_t off = 0; off < 64; off++) {
        memset(buf, 'x', sizeof(buf));
        memcpy(buf + off, sec, strlen(sec));
        cr_expect_eq(leakscan_buffer(ls, buf, sizeof(buf)), 0, "offset %zu", off);
    }
    memset(buf, 'x', sizeof(buf));
    memcpy(buf + 10, sec, strlen(sec) - 1);
    cr_expect_eq(leakscan_buffer(ls, buf, sizeof(buf)), -1, "a partial copy is not a hit");
    leakscan_free(ls);
}

Test(leakscan, finds_hex_in_both_cases)
{
    const unsigned char sec[] = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x7f};
    struct leakscan *ls = one(sec, sizeof(sec));
    cr_expect_eq(leakscan_buffer(ls, "zz deadbeef017f zz", 18), 0);
    cr_expect_eq(leakscan_buffer(ls, "zz DEADBEEF017F zz", 18), 0);
    cr_expect_eq(leakscan_buffer(ls, "zz deadbeef017e zz", 18), -1);
    cr_expect_eq(leakscan_buffer(ls, "dead\nbeef\r\n017f", 15), 0, "hex wrapped over lines");
    leakscan_free(ls);
}

/* A secret embedded at every offset (so every base64 alignment) of random data, then encoded:
 * base64 and base64url, wrapped and not, must all be found. */
Test(leakscan, finds_base64_at_every_alignment)
{
    for (size_t len = 7; len < 80; len += 3) {
        unsigned char sec[80];
        fill_random(sec, len);
        sec[0] |= 0x80, sec[len - 1] |= 0x80; /* no whitespace to trim at the ends */
        struct leakscan *ls = one(sec, len);
        for (size_t pre = 0; pre < 6; pre++) {
            unsigned char data[200];
            fill_random(data, sizeof(data));
            memcpy(data + pre, sec, len);
            size_t total = pre + len + (rnd() % 5);
            for (int mode = 0; mode < 4; mode++) {
                char *e = b64(data, total, mode & 1, mode & 2);
                cr_expect_eq(leakscan_buffer(ls, e, strlen(e)), 0, "len %zu prefix %zu mode %d: %s",
                             len, pre, mode, e);
                free(e);
            }
        }
        leakscan_free(ls);
    }
}

Test(leakscan, trims_whitespace_around_a_file_secret)
{
    const char *sec = "  token-from-a-file-123\n";
    struct leakscan *ls = one(sec, strlen(sec));
    cr_expect_eq(leakscan_buffer(ls, "x=token-from-a-file-123;", 24), 0);
    leakscan_free(ls);
}

Test(leakscan, tiny_secrets_are_skipped_and_short_ones_not_searched_in_base64)
{
    struct leakscan_secret s[] = {{"a", "ab\n", 3}, {"b", "wxyz", 4}};
    struct leakscan *ls = NULL;
    cr_assert_eq(leakscan_new(s, 2, &ls, NULL), 0);
    cr_expect(leakscan_skipped(ls, 0));
    cr_expect_not(leakscan_skipped(ls, 1));
    cr_expect_eq(leakscan_buffer(ls, "..ab..", 6), -1);
    cr_expect_eq(leakscan_buffer(ls, "..wxyz..", 8), 1);
    cr_expect_eq(leakscan_buffer(ls, "7778797a", 8), 1, "hex of a 4-byte secret");
    cr_expect_eq(leakscan_buffer(ls, "d3h5eg==", 8), -1,
                 "base64 of 4 bytes is too short to search");
    leakscan_free(ls);
}

Test(leakscan, long_secret_needs_more_than_its_fingerprint)
{
    char sec[3000];
    fill_token(sec, sizeof(sec) - 1);
    struct leakscan *ls = one(sec, strlen(sec));
    char *buf = malloc(10000);
    memset(buf, '.', 10000);
    memcpy(buf + 500, sec, strlen(sec));
    cr_expect_eq(leakscan_buffer(ls, buf, 10000), 0);
    buf[500 + 2000] ^= 1; /* same first 2000 bytes: a candidate, not a hit */
    cr_expect_eq(leakscan_buffer(ls, buf, 10000), -1);
    char *e = b64((unsigned char *)sec, strlen(sec), false, true);
    cr_expect_eq(leakscan_buffer(ls, e, strlen(e)), 0, "wrapped base64 of a long secret");
    free(e);
    free(buf);
    leakscan_free(ls);
}

Test(leakscan, streaming_in_small_chunks_finds_the_same)
{
    char sec[100];
    fill_token(sec, 64);
    struct leakscan *ls = one(sec, 64);
    char data[4096];
    fill_token(data, sizeof(data) - 1);
    char *e = b64((unsigned char *)sec, 64, false, false);
    memcpy(data + 1000, e, strlen(e));
    memcpy(data + 3000, sec, 64);
    for (size_t chunk = 1; chunk < 70; chunk += 7) {
        struct leakscan_stream *s = leakscan_stream_new(ls);
        int found = -1;
        for (size_t i = 0; i < 2000; i += chunk)
            found = leakscan_feed(s, data + i, chunk < 2000 - i ? chunk : 2000 - i);
        cr_expect_eq(found, 0, "chunk %zu", chunk);
        leakscan_stream_reset(s);
        cr_expect_eq(leakscan_feed(s, data, 900), -1);
        leakscan_stream_free(s);
    }
    free(e);
    leakscan_free(ls);
}

Test(leakscan, random_data_gives_no_false_positive)
{
    size_t n = 16u << 20;
    unsigned char *data = malloc(n);
    fill_random(data, n);
    for (int k = 0; k < 4; k++) {
        unsigned char sec[32];
        fill_random(sec, 7 + (size_t)k * 8);
        sec[0] = 'k';
        struct leakscan *ls = one(sec, 7 + (size_t)k * 8);
        cr_expect_eq(leakscan_buffer(ls, data, n), -1);
        leakscan_free(ls);
    }
    free(data);
}

Test(leakscan, many_secrets_report_the_right_one)
{
    struct leakscan_secret s[LEAKSCAN_MAX_SECRETS];
    char vals[LEAKSCAN_MAX_SECRETS][40];
    for (int i = 0; i < LEAKSCAN_MAX_SECRETS; i++) {
        fill_token(vals[i], 39);
        s[i] = (struct leakscan_secret){"id", vals[i], 39};
    }
    struct leakscan *ls = NULL;
    cr_assert_eq(leakscan_new(s, LEAKSCAN_MAX_SECRETS, &ls, NULL), 0);
    char buf[100] = "prefix ";
    memcpy(buf + 7, vals[41], 39);
    cr_expect_eq(leakscan_buffer(ls, buf, 46), 41);
    leakscan_free(ls);
    kiln_error_t *err = NULL;
    struct leakscan_secret more[LEAKSCAN_MAX_SECRETS + 1];
    memcpy(more, s, sizeof(s));
    more[LEAKSCAN_MAX_SECRETS] = s[0];
    cr_expect_eq(leakscan_new(more, LEAKSCAN_MAX_SECRETS + 1, &ls, &err), -1);
    cr_expect_eq(err->code, KILN_ELIMIT);
    kiln_error_free(err);
}

Test(leakscan, no_secrets_find_nothing)
{
    struct leakscan *ls = NULL;
    cr_assert_eq(leakscan_new(NULL, 0, &ls, NULL), 0);
    cr_expect(leakscan_empty(ls));
    cr_expect_eq(leakscan_buffer(ls, "anything", 8), -1);
    leakscan_free(ls);
}

/* ---- masking ---- */

struct sink {
    char out[8192];
    size_t len;
};

static void to_sink(void *ctx, const char *p, size_t n)
{
    struct sink *s = ctx;
    cr_assert_leq(s->len + n, sizeof(s->out));
    memcpy(s->out + s->len, p, n);
    s->len += n;
}

static void mask_in_chunks(struct leakscan *ls, const char *in, size_t chunk, struct sink *s)
{
    memset(s, 0, sizeof(*s));
    struct leakscan_masker *m = leakscan_masker_new(ls, to_sink, s);
    size_t n = strlen(in);
    for (size_t i = 0; i < n; i += chunk)
        leakscan_masker_feed(m, in + i, chunk < n - i ? chunk : n - i);
    leakscan_masker_flush(m);
    leakscan_masker_free(m);
    s->out[s->len] = '\0';
}

Test(leakscan, masker_replaces_every_occurrence_in_any_chunking)
{
    const char *sec = "hunter2-is-my-password";
    struct leakscan *ls = one(sec, strlen(sec));
    const char *in =
        "a hunter2-is-my-password b\nhex 68756e746572322d69732d6d792d70617373776f7264\n"
        "b64 aHVudGVyMi1pcy1teS1wYXNzd29yZA==\nhunter2-is-my-pass end hunt";
    const char *want = "a **** b\nhex ****\nb64 ****A==\nhunter2-is-my-pass end hunt";
    for (size_t chunk = 1; chunk < 40; chunk++) {
        struct sink s;
        mask_in_chunks(ls, in, chunk, &s);
        cr_expect_str_eq(s.out, want, "chunk %zu: %s", chunk, s.out);
    }
    leakscan_free(ls);
}

Test(leakscan, masker_masks_wrapped_hex_and_base64)
{
    char sec[41];
    fill_token(sec, 40);
    struct leakscan *ls = one(sec, 40);
    char *e = b64((unsigned char *)sec, 40, false, false);
    char in[400];
    /* base64 wrapped at 20 columns, hex wrapped at 30 */
    size_t k = (size_t)snprintf(in, sizeof(in), "b64:\n");
    for (size_t i = 0; e[i]; i++)
        k += (size_t)snprintf(in + k, sizeof(in) - k, "%c%s", e[i], i % 20 == 19 ? "\n" : "");
    k += (size_t)snprintf(in + k, sizeof(in) - k, "\nhex:\n");
    for (size_t i = 0; i < 40; i++)
        k += (size_t)snprintf(in + k, sizeof(in) - k, "%02x%s", (unsigned char)sec[i],
                              i % 15 == 14 ? "\n" : "");
    snprintf(in + k, sizeof(in) - k, "\nend\n");
    for (size_t chunk = 1; chunk < 50; chunk += 7) {
        struct sink s;
        mask_in_chunks(ls, in, chunk, &s);
        cr_expect(strstr(s.out, "b64:\n****"), "chunk %zu: %s", chunk, s.out);
        cr_expect(strstr(s.out, "hex:\n****\nend\n"), "chunk %zu: %s", chunk, s.out);
        cr_expect_eq(leakscan_buffer(ls, s.out, s.len), -1, "chunk %zu: %s", chunk, s.out);
    }
    free(e);
    leakscan_free(ls);
}

Test(leakscan, masker_holds_back_only_a_possible_beginning)
{
    const char *sec = "abcdefgh";
    struct leakscan *ls = one(sec, strlen(sec));
    struct sink s = {0};
    struct leakscan_masker *m = leakscan_masker_new(ls, to_sink, &s);
    leakscan_masker_feed(m, "line one\nabc", 12);
    cr_expect_eq(s.len, 9, "'abc' may begin the secret: held back");
    leakscan_masker_feed(m, "x\n", 2);
    cr_expect_eq(s.len, 14);
    leakscan_masker_feed(m, "ab", 2);
    leakscan_masker_flush(m);
    s.out[s.len] = '\0';
    cr_expect_str_eq(s.out, "line one\nabcx\nab");
    leakscan_masker_free(m);
    leakscan_free(ls);
}

Test(leakscan, masker_merges_overlapping_matches)
{
    const char *sec = "abcabcab";
    struct leakscan *ls = one(sec, strlen(sec));
    struct sink s;
    mask_in_chunks(ls, "x abcabcabcabcab y", 3, &s);
    cr_expect_str_eq(s.out, "x **** y");
    leakscan_free(ls);
}

/* ---- tar layers ---- */

struct mem_tar {
    char *data;
    size_t len;
};

static void tar_add(struct archive *a, const char *path, const char *content, const char *link)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_perm(e, 0644);
    if (link) {
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, link);
    } else {
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, (la_int64_t)strlen(content));
    }
    cr_assert_eq(archive_write_header(a, e), ARCHIVE_OK);
    if (!link)
        archive_write_data(a, content, strlen(content));
    archive_entry_free(e);
}

/* a gzip tar in a memfd with the given entries (path, content or NULL, symlink or NULL) */
static int make_tar(const char *const (*entries)[3], size_t n)
{
    int fd = memfd_create("layer", 0);
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_add_filter_gzip(a);
    cr_assert_eq(archive_write_open_fd(a, fd), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++)
        tar_add(a, entries[i][0], entries[i][1] ? entries[i][1] : "", entries[i][2]);
    archive_write_close(a);
    archive_write_free(a);
    lseek(fd, 0, SEEK_SET);
    return fd;
}

Test(leakscan, tar_reports_the_entry_holding_the_secret)
{
    const char *sec = "correct-horse-battery-staple";
    struct leakscan *ls = one(sec, strlen(sec));
    const char *const clean[][3] = {{"etc/a", "hello", NULL}, {"etc/b", "correct-horse", NULL}};
    const char *const leaky[][3] = {
        {"etc/a", "hello", NULL},
        {"app/cfg", "key = Y29ycmVjdC1ob3JzZS1iYXR0ZXJ5LXN0YXBsZQ==", NULL}};
    const char *const linky[][3] = {{"lnk", NULL, "/x/correct-horse-battery-staple"}};
    const char *const split[][3] = {{"a", "correct-horse-", NULL}, {"b", "battery-staple", NULL}};
    struct leakscan_hit hit;
    kiln_error_t *err = NULL;
    int fd = make_tar(clean, 2);
    cr_expect_eq(leakscan_tar_fd(ls, fd, &hit, &err), 0);
    close(fd);
    fd = make_tar(leaky, 2);
    cr_expect_eq(leakscan_tar_fd(ls, fd, &hit, &err), 1);
    cr_expect_str_eq(hit.path, "app/cfg");
    close(fd);
    fd = make_tar(linky, 1);
    cr_expect_eq(leakscan_tar_fd(ls, fd, &hit, &err), 1);
    cr_expect_str_eq(hit.path, "lnk");
    close(fd);
    fd = make_tar(split, 2);
    cr_expect_eq(leakscan_tar_fd(ls, fd, &hit, &err), 0, "split over two files is no leak");
    close(fd);
    leakscan_free(ls);
}

Test(leakscan, tar_that_is_not_a_tar_is_an_error)
{
    const char *sec = "correct-horse-battery-staple";
    struct leakscan *ls = one(sec, strlen(sec));
    int fd = memfd_create("junk", 0);
    char junk[2048];
    memset(junk, 'j', sizeof(junk));
    cr_assert_eq(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
    lseek(fd, 0, SEEK_SET);
    struct leakscan_hit hit;
    kiln_error_t *err = NULL;
    cr_expect_eq(leakscan_tar_fd(ls, fd, &hit, &err), -1);
    cr_expect_eq(err->code, KILN_ECORRUPT);
    kiln_error_free(err);
    close(fd);
    leakscan_free(ls);
}
