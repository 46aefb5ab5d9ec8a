#include <criterion/criterion.h>
#include <string.h>

#include "termsafe.h"
#include "util.h"

static const struct {
    const char *in;
    size_t n; /* 0: strlen(in) */
    const char *out;
} cases[] = {
    {"plain text\twith a tab\n", 0, "plain text\twith a tab\n"},
    {"\033]52;c;SGVsbG8=\007", 0, "\\x1b]52;c;SGVsbG8=\\x07"},            /* OSC 52 clipboard */
    {"\033]0;title\033\\", 0, "\\x1b]0;title\\x1b\\"},                    /* title, ST */
    {"\033[2J\033[1;1H\033[31mred", 0, "\\x1b[2J\\x1b[1;1H\\x1b[31mred"}, /* CSI */
    {"a\rb", 0, "a\\rb"},
    {"\x7f\x08\x01", 0, "\\x7f\\x08\\x01"},
    {"nul\0byte", 8, "nul\\x00byte"},
    {"h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x90\xb3", 0,
     "h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x90\xb3"}, /* UTF-8 stays */
    {"\xc2\x9b"
     "2J",
     0, "\\u009b2J"}, /* C1 CSI */
    {"\xc2\x9d"
     "0;x",
     0, "\\u009d0;x"}, /* C1 OSC */
    {"abc\xe2\x80\xae"
     "cba",
     0, "abc\\u202ecba"},             /* bidi override */
    {"\xe2\x81\xa6x", 0, "\\u2066x"}, /* bidi isolate */
    {"\x9b"
     "2J",
     0, "\\x9b2J"},                                  /* raw 8-bit CSI */
    {"\xc0\xaf", 0, "\\xc0\\xaf"},                   /* overlong '/' */
    {"\xed\xa0\x80", 0, "\\xed\\xa0\\x80"},          /* surrogate */
    {"\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80"}, /* above U+10FFFF */
    {"cut \xe6\x97", 0, "cut \\xe6\\x97"},           /* a cut sequence */
    {"back\\slash", 0, "back\\slash"},
};

Test(termsafe, escapes_control_sequences_and_keeps_text)
{
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        size_t n = cases[i].n ? cases[i].n : strlen(cases[i].in);
        char *got = termsafe_escape(cases[i].in, n);
        cr_expect_str_eq(got, cases[i].out, "case %zu", i);
        cr_expect(!memchr(got, 0x1b, strlen(got)), "case %zu: an ESC byte left", i);
        cr_expect_eq(termsafe_is_clean(cases[i].in, n),
                     !strcmp(cases[i].in, cases[i].out) && n == strlen(cases[i].in),
                     "case %zu: is_clean", i);
        free(got);
    }
}

Test(termsafe, every_byte_is_safe)
{
    /* no single byte, and no pair, comes out as a raw control */
    for (int a = 0; a < 256; a++) {
        for (int b = 0; b < 256; b++) {
            char in[2] = {(char)a, (char)b};
            char *got = termsafe_escape(in, 2);
            for (const unsigned char *p = (const unsigned char *)got; *p; p++)
                cr_assert(*p >= 0x20 || *p == '\t' || *p == '\n', "%02x %02x gives %02x", a, b, *p);
            cr_assert(!strstr(got, "\xc2\x9b") && !strstr(got, "\xc2\x9d"));
            free(got);
        }
    }
}

Test(termsafe, complete_cuts_at_a_character_boundary)
{
    const char *s = "ab\xe6\x97\xa5"; /* "ab" + a 3-byte character */
    cr_expect_eq(termsafe_complete(s, 5), 5);
    cr_expect_eq(termsafe_complete(s, 4), 2);
    cr_expect_eq(termsafe_complete(s, 3), 2);
    cr_expect_eq(termsafe_complete(s, 2), 2);
    cr_expect_eq(termsafe_complete("\xf0\x9f\x90", 3), 0);
    cr_expect_eq(termsafe_complete("\x80\x80\x80\x80", 4), 4); /* malformed: left to escape */
    cr_expect_eq(termsafe_complete("", 0), 0);
}
