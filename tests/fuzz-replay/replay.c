/* Replays every file of the fuzz seed corpora through the fuzz entry points, without
 * libFuzzer, so the normal test suite (and its sanitizer build) keeps them passing.
 * Usage: fuzz_replay dockerfile|dockerignore|lint DIR... */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_entry.h"
#include "util.h"

static int replay_file(const char *path, int (*fn)(const uint8_t *, size_t))
{
    cleanup_fclose FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 1 << 20;
    cleanup_free uint8_t *data = xmalloc(cap);
    size_t n = fread(data, 1, cap, f);
    fn(data, n);
    return 0;
}

static int replay_dir(const char *dir, int (*fn)(const uint8_t *, size_t), size_t *count)
{
    cleanup_dir DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "fuzz_replay: cannot open %s\n", dir);
        return -1;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        cleanup_free char *path = xasprintf("%s/%s", dir, e->d_name);
        if (replay_file(path, fn) < 0) {
            fprintf(stderr, "fuzz_replay: cannot read %s\n", path);
            return -1;
        }
        (*count)++;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(const uint8_t *, size_t);
    } targets[] = {{"dockerfile", fuzz_dockerfile_entry},
                   {"dockerignore", fuzz_dockerignore_entry},
                   {"lint", fuzz_lint_entry}};
    int (*fn)(const uint8_t *, size_t) = NULL;
    for (size_t i = 0; argc >= 3 && i < ARRAY_SIZE(targets); i++)
        if (strcmp(argv[1], targets[i].name) == 0)
            fn = targets[i].fn;
    if (!fn)
        return fprintf(stderr, "usage: fuzz_replay dockerfile|dockerignore|lint DIR...\n"), 2;
    size_t count = 0;
    for (int i = 2; i < argc; i++)
        if (replay_dir(argv[i], fn, &count) < 0)
            return 1;
    printf("fuzz_replay %s: %zu inputs\n", argv[1], count);
    return count > 0 ? 0 : 1;
}
