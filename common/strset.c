#include <stdint.h>
#include <string.h>

#include "strset.h"
#include "util.h"

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static size_t find_slot(char **slots, size_t cap, const char *str)
{
    size_t i = (size_t)hash(str) & (cap - 1);
    while (slots[i] && strcmp(slots[i], str) != 0)
        i = (i + 1) & (cap - 1);
    return i;
}

static void rehash(struct strset *s)
{
    size_t cap = s->cap ? s->cap * 2 : 64;
    char **slots = xcalloc(cap, sizeof(char *));
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i])
            slots[find_slot(slots, cap, s->slots[i])] = s->slots[i];
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
}

bool strset_add(struct strset *s, const char *str)
{
    if ((s->n + 1) * 2 > s->cap)
        rehash(s);
    size_t i = find_slot(s->slots, s->cap, str);
    if (s->slots[i])
        return false;
    s->slots[i] = xstrdup(str);
    s->n++;
    return true;
}

bool strset_has(const struct strset *s, const char *str)
{
    return s->cap && s->slots[find_slot(s->slots, s->cap, str)] != NULL;
}

void strset_release(struct strset *s)
{
    for (size_t i = 0; i < s->cap; i++)
        free(s->slots[i]);
    free(s->slots);
    memset(s, 0, sizeof(*s));
}
