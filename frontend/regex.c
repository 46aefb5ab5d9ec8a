/* A Go-regexp-compatible subset: parser to a small AST, compiler to Pike VM code, matcher. */
#include <stdbool.h>
#include <string.h>

#include "regex.h"
#include "unicode.h"
#include "util.h"

#define REGEX_MAX_DEPTH 1000

enum regex_op { OP_RUNE, OP_ANY, OP_CLASS, OP_SPLIT, OP_JMP, OP_BOL, OP_EOL, OP_MATCH };

struct regex_inst {
    uint8_t op;
    uint32_t arg; /* OP_RUNE: the rune; OP_CLASS: class index; OP_SPLIT/OP_JMP: target */
    uint32_t alt; /* OP_SPLIT: the less preferred target */
};

struct regex_range {
    uint32_t lo, hi;
};

struct regex_class {
    struct regex_range *r;
    size_t n, cap;
    bool neg;
};

struct regex {
    struct regex_inst *prog;
    size_t n, cap;
    struct regex_class *classes;
    size_t nclasses, capclasses;
};

enum regex_kind { N_EMPTY, N_RUNE, N_ANY, N_CLASS, N_BOL, N_EOL, N_CAT, N_ALT, N_REPEAT };

struct regex_node {
    enum regex_kind kind;
    uint32_t val; /* N_RUNE: rune; N_CLASS: class index; N_REPEAT: '*', '+' or '?' */
    bool lazy;
    struct regex_node **kids;
    size_t nkids, capkids;
};

struct regex_parser {
    const char *s;
    size_t n, pos;
    int depth;
    struct regex *re;
    const char *why;
};

static void node_free(struct regex_node *nd)
{
    if (!nd)
        return;
    for (size_t i = 0; i < nd->nkids; i++)
        node_free(nd->kids[i]);
    free(nd->kids);
    free(nd);
}

static struct regex_node *node_new(enum regex_kind kind, uint32_t val)
{
    struct regex_node *nd = xcalloc(1, sizeof(*nd));
    nd->kind = kind;
    nd->val = val;
    return nd;
}

static void node_add(struct regex_node *parent, struct regex_node *kid)
{
    xgrow(&parent->kids, &parent->capkids, parent->nkids + 1, sizeof(*parent->kids));
    parent->kids[parent->nkids++] = kid;
}

static bool parser_eof(const struct regex_parser *p)
{
    return p->pos >= p->n;
}

static uint32_t parser_peek(const struct regex_parser *p, size_t *w)
{
    return unicode_decode(p->s + p->pos, p->n - p->pos, w);
}

static uint32_t parser_next(struct regex_parser *p)
{
    size_t w;
    uint32_t r = parser_peek(p, &w);
    p->pos += w;
    return r;
}

static void class_add(struct regex_class *c, uint32_t lo, uint32_t hi)
{
    xgrow(&c->r, &c->cap, c->n + 1, sizeof(*c->r));
    c->r[c->n++] = (struct regex_range){lo, hi};
}

static size_t class_new(struct regex *re, bool neg)
{
    xgrow(&re->classes, &re->capclasses, re->nclasses + 1, sizeof(*re->classes));
    re->classes[re->nclasses] = (struct regex_class){NULL, 0, 0, neg};
    return re->nclasses++;
}

/* The Perl classes \d \s \w (ASCII in RE2); negated forms add the complement ranges. */
static bool perl_class(struct regex_class *c, uint32_t letter)
{
    static const struct regex_range d[] = {{'0', '9'}};
    static const struct regex_range s[] = {{'\t', '\n'}, {'\f', '\r'}, {' ', ' '}};
    static const struct regex_range w[] = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
    const struct regex_range *t;
    size_t n;
    switch (letter | 0x20) {
    case 'd':
        t = d, n = ARRAY_SIZE(d);
        break;
    case 's':
        t = s, n = ARRAY_SIZE(s);
        break;
    case 'w':
        t = w, n = ARRAY_SIZE(w);
        break;
    default:
        return false;
    }
    bool neg = letter >= 'A' && letter <= 'Z';
    uint32_t next = 0;
    for (size_t i = 0; i < n; i++) {
        if (!neg)
            class_add(c, t[i].lo, t[i].hi);
        else if (t[i].lo > next)
            class_add(c, next, t[i].lo - 1);
        next = t[i].hi + 1;
    }
    if (neg)
        class_add(c, next, 0x10FFFF);
    return true;
}

/* A single-rune escape after '\': punctuation or a control-character letter. */
static int escape_rune(uint32_t c, uint32_t *out)
{
    static const char ctl[] = "a\af\ft\tn\nr\rv\v";
    if (c < 0x80 && !unicode_is_letter(c) && !(c >= '0' && c <= '9')) {
        *out = c;
        return 0;
    }
    for (size_t i = 0; i + 1 < sizeof(ctl); i += 2) {
        if ((uint32_t)ctl[i] == c) {
            *out = (uint32_t)ctl[i + 1];
            return 0;
        }
    }
    return -1;
}

struct posix_class {
    const char *name;
    const char *ranges; /* pairs of lo, hi */
};

static const struct posix_class posix_classes[] = {
    {"alnum", "09AZaz"},
    {"alpha", "AZaz"},
    {"ascii", "\x01\x7f"},
    {"blank", "\t\t  "},
    {"cntrl", "\x01\x1f\x7f\x7f"},
    {"digit", "09"},
    {"graph", "!~"},
    {"lower", "az"},
    {"print", " ~"},
    {"punct", "!/:@[`{~"},
    {"space", "\t\r  "},
    {"upper", "AZ"},
    {"word", "09AZ__az"},
    {"xdigit", "09AFaf"},
};

/* [:name:] inside a class; 1 when one was consumed, 0 when not one, -1 on error. */
static int parse_posix(struct regex_parser *p, struct regex_class *c)
{
    if (p->n - p->pos < 2 || memcmp(p->s + p->pos, "[:", 2) != 0)
        return 0;
    const char *end = memmem(p->s + p->pos + 2, p->n - p->pos - 2, ":]", 2);
    if (!end)
        return 0;
    const char *name = p->s + p->pos + 2;
    bool neg = *name == '^';
    name += neg;
    size_t len = (size_t)(end - name);
    for (size_t i = 0; i < ARRAY_SIZE(posix_classes); i++) {
        const struct posix_class *pc = &posix_classes[i];
        if (strlen(pc->name) != len || memcmp(pc->name, name, len) != 0)
            continue;
        struct regex_class tmp = {0};
        for (const char *r = pc->ranges; r[0]; r += 2)
            class_add(&tmp, (unsigned char)r[0], (unsigned char)r[1]);
        uint32_t next = 0;
        for (size_t k = 0; k < tmp.n; k++) {
            if (!neg)
                class_add(c, tmp.r[k].lo, tmp.r[k].hi);
            else if (tmp.r[k].lo > next)
                class_add(c, next, tmp.r[k].lo - 1);
            next = tmp.r[k].hi + 1;
        }
        if (neg)
            class_add(c, next, 0x10FFFF);
        free(tmp.r);
        p->pos = (size_t)(end - p->s) + 2;
        return 1;
    }
    p->why = "invalid character class range";
    return -1;
}

/* One class element's rune (possibly escaped). 1: a rune in *r; 2: a Perl class was added. */
static int class_char(struct regex_parser *p, struct regex_class *c, uint32_t *r)
{
    uint32_t ch = parser_next(p);
    if (ch != '\\')
        return *r = ch, 1;
    if (parser_eof(p))
        return p->why = "trailing backslash at end of expression", -1;
    ch = parser_next(p);
    if (perl_class(c, ch))
        return 2;
    if (escape_rune(ch, r) < 0)
        return p->why = "invalid escape sequence", -1;
    return 1;
}

static int class_item(struct regex_parser *p, struct regex_class *c)
{
    int rc = parse_posix(p, c);
    if (rc != 0)
        return rc;
    uint32_t lo, hi;
    rc = class_char(p, c, &lo);
    if (rc != 1)
        return rc;
    hi = lo;
    if (p->n - p->pos >= 2 && p->s[p->pos] == '-' && p->s[p->pos + 1] != ']') {
        p->pos++;
        rc = class_char(p, c, &hi);
        if (rc != 1 || hi < lo)
            return p->why = "invalid character class range", -1;
    }
    class_add(c, lo, hi);
    return 0;
}

static struct regex_node *parse_class(struct regex_parser *p)
{
    p->pos++; /* '[' */
    bool neg = !parser_eof(p) && p->s[p->pos] == '^';
    p->pos += neg;
    size_t idx = class_new(p->re, neg);
    bool first = true;
    while (!parser_eof(p) && (first || p->s[p->pos] != ']')) {
        first = false;
        if (class_item(p, &p->re->classes[idx]) < 0)
            return NULL;
    }
    if (parser_eof(p)) {
        p->why = "missing closing ]";
        return NULL;
    }
    p->pos++;
    return node_new(N_CLASS, (uint32_t)idx);
}

static struct regex_node *parse_escape(struct regex_parser *p)
{
    p->pos++; /* '\' */
    if (parser_eof(p)) {
        p->why = "trailing backslash at end of expression";
        return NULL;
    }
    uint32_t c = parser_next(p), r;
    size_t idx = class_new(p->re, false);
    if (perl_class(&p->re->classes[idx], c))
        return node_new(N_CLASS, (uint32_t)idx);
    p->re->nclasses--;
    if (escape_rune(c, &r) < 0) {
        p->why = "invalid escape sequence";
        return NULL;
    }
    return node_new(N_RUNE, r);
}

static struct regex_node *parse_alt(struct regex_parser *p);

static struct regex_node *parse_atom(struct regex_parser *p)
{
    size_t w;
    uint32_t c = parser_peek(p, &w);
    switch (c) {
    case '(': {
        if (++p->depth > REGEX_MAX_DEPTH) {
            p->why = "expression nests too deeply";
            return NULL;
        }
        p->pos++;
        struct regex_node *nd = parse_alt(p);
        if (nd && (parser_eof(p) || p->s[p->pos] != ')')) {
            p->why = "missing closing )";
            node_free(nd);
            return NULL;
        }
        p->pos++;
        p->depth--;
        return nd;
    }
    case '[':
        return parse_class(p);
    case '\\':
        return parse_escape(p);
    case '.':
    case '^':
    case '$':
        p->pos++;
        return node_new(c == '.' ? N_ANY : c == '^' ? N_BOL : N_EOL, 0);
    default:
        p->pos += w;
        return node_new(N_RUNE, c);
    }
}

static bool is_repeat(const struct regex_parser *p)
{
    return !parser_eof(p) && strchr("*+?", p->s[p->pos]);
}

static struct regex_node *parse_repeat(struct regex_parser *p, struct regex_node *atom)
{
    struct regex_node *rep = node_new(N_REPEAT, (uint32_t)p->s[p->pos++]);
    node_add(rep, atom);
    if (!parser_eof(p) && p->s[p->pos] == '?') {
        rep->lazy = true;
        p->pos++;
    }
    if (is_repeat(p)) {
        p->why = "invalid nested repetition operator";
        node_free(rep);
        return NULL;
    }
    return rep;
}

static struct regex_node *parse_concat(struct regex_parser *p)
{
    struct regex_node *cat = node_new(N_CAT, 0);
    while (!parser_eof(p) && p->s[p->pos] != '|' && p->s[p->pos] != ')') {
        if (is_repeat(p)) {
            p->why = "missing argument to repetition operator";
            node_free(cat);
            return NULL;
        }
        struct regex_node *atom = parse_atom(p);
        if (atom && is_repeat(p))
            atom = parse_repeat(p, atom);
        if (!atom) {
            node_free(cat);
            return NULL;
        }
        node_add(cat, atom);
    }
    return cat;
}

static struct regex_node *parse_alt(struct regex_parser *p)
{
    struct regex_node *alt = node_new(N_ALT, 0);
    for (;;) {
        struct regex_node *cat = parse_concat(p);
        if (!cat) {
            node_free(alt);
            return NULL;
        }
        node_add(alt, cat);
        if (parser_eof(p) || p->s[p->pos] != '|')
            return alt;
        p->pos++;
    }
}

static uint32_t emit(struct regex *re, uint8_t op, uint32_t arg, uint32_t alt)
{
    xgrow(&re->prog, &re->cap, re->n + 1, sizeof(*re->prog));
    re->prog[re->n] = (struct regex_inst){op, arg, alt};
    return (uint32_t)re->n++;
}

static void compile_node(struct regex *re, const struct regex_node *nd);

static void compile_alt(struct regex *re, const struct regex_node *nd)
{
    uint32_t *jumps = xcalloc(nd->nkids, sizeof(*jumps));
    for (size_t i = 0; i < nd->nkids; i++) {
        uint32_t split = 0;
        if (i + 1 < nd->nkids)
            split = emit(re, OP_SPLIT, 0, 0);
        if (i + 1 < nd->nkids)
            re->prog[split].arg = (uint32_t)re->n;
        compile_node(re, nd->kids[i]);
        if (i + 1 < nd->nkids) {
            jumps[i] = emit(re, OP_JMP, 0, 0);
            re->prog[split].alt = (uint32_t)re->n;
        }
    }
    for (size_t i = 0; i + 1 < nd->nkids; i++)
        re->prog[jumps[i]].arg = (uint32_t)re->n;
    free(jumps);
}

static void compile_repeat(struct regex *re, const struct regex_node *nd)
{
    uint32_t start = (uint32_t)re->n;
    if (nd->val == '+') {
        compile_node(re, nd->kids[0]);
        uint32_t split = emit(re, OP_SPLIT, start, 0);
        re->prog[split].alt = (uint32_t)re->n;
    } else {
        uint32_t split = emit(re, OP_SPLIT, 0, 0);
        uint32_t body = (uint32_t)re->n;
        compile_node(re, nd->kids[0]);
        if (nd->val == '*')
            emit(re, OP_JMP, start, 0);
        re->prog[split].arg = body;
        re->prog[split].alt = (uint32_t)re->n;
    }
    if (nd->lazy) {
        struct regex_inst *s = &re->prog[nd->val == '+' ? re->n - 1 : start];
        uint32_t t = s->arg;
        s->arg = s->alt;
        s->alt = t;
    }
}

static void compile_node(struct regex *re, const struct regex_node *nd)
{
    switch (nd->kind) {
    case N_EMPTY:
        break;
    case N_RUNE:
        emit(re, OP_RUNE, nd->val, 0);
        break;
    case N_ANY:
        emit(re, OP_ANY, 0, 0);
        break;
    case N_CLASS:
        emit(re, OP_CLASS, nd->val, 0);
        break;
    case N_BOL:
    case N_EOL:
        emit(re, nd->kind == N_BOL ? OP_BOL : OP_EOL, 0, 0);
        break;
    case N_CAT:
        for (size_t i = 0; i < nd->nkids; i++)
            compile_node(re, nd->kids[i]);
        break;
    case N_ALT:
        compile_alt(re, nd);
        break;
    case N_REPEAT:
        compile_repeat(re, nd);
        break;
    }
}

void regex_free(struct regex *re)
{
    if (!re)
        return;
    for (size_t i = 0; i < re->nclasses; i++)
        free(re->classes[i].r);
    free(re->classes);
    free(re->prog);
    free(re);
}

int regex_compile(const char *pattern, size_t len, struct regex **out, const char **why)
{
    if (len > REGEX_MAX_PATTERN) {
        *why = "expression too large";
        return -1;
    }
    struct regex *re = xcalloc(1, sizeof(*re));
    struct regex_parser p = {pattern, len, 0, 0, re, NULL};
    struct regex_node *root = parse_alt(&p);
    if (root && !parser_eof(&p)) {
        p.why = "unexpected )";
        node_free(root);
        root = NULL;
    }
    if (!root) {
        *why = p.why;
        regex_free(re);
        return -1;
    }
    compile_node(re, root);
    emit(re, OP_MATCH, 0, 0);
    node_free(root);
    *out = re;
    return 0;
}

/* Matching: a Pike VM keeping threads in priority order (leftmost-first). */
struct regex_thread {
    uint32_t pc;
    size_t start;
};

struct regex_vm {
    const struct regex *re;
    const char *text;
    size_t n;
    uint32_t *mark;
    uint32_t gen;
    uint32_t *stack;
    uint64_t *budget;
};

static bool class_match(const struct regex_class *c, uint32_t r)
{
    bool in = false;
    for (size_t i = 0; i < c->n && !in; i++)
        in = r >= c->r[i].lo && r <= c->r[i].hi;
    return in != c->neg;
}

/* Adds the thread at pc and everything reachable from it without consuming input, in
 * priority order. pos is the text offset the threads will run at. Returns -1 over budget. */
static int vm_add(struct regex_vm *vm, struct regex_thread *list, size_t *nlist, uint32_t pc,
                  size_t start, size_t pos)
{
    size_t sp = 0;
    vm->stack[sp++] = pc;
    while (sp > 0) {
        if (*vm->budget == 0)
            return -1;
        (*vm->budget)--;
        pc = vm->stack[--sp];
        if (vm->mark[pc] == vm->gen)
            continue;
        vm->mark[pc] = vm->gen;
        const struct regex_inst *in = &vm->re->prog[pc];
        if (in->op == OP_JMP) {
            vm->stack[sp++] = in->arg;
        } else if (in->op == OP_SPLIT) {
            vm->stack[sp++] = in->alt;
            vm->stack[sp++] = in->arg;
        } else if (in->op == OP_BOL || in->op == OP_EOL) {
            if (in->op == OP_BOL ? pos == 0 : pos == vm->n)
                vm->stack[sp++] = pc + 1;
        } else {
            list[(*nlist)++] = (struct regex_thread){pc, start};
        }
    }
    return 0;
}

static bool vm_consumes(const struct regex_vm *vm, const struct regex_inst *in, uint32_t r)
{
    switch (in->op) {
    case OP_RUNE:
        return r == in->arg;
    case OP_ANY:
        return r != '\n';
    case OP_CLASS:
        return class_match(&vm->re->classes[in->arg], r);
    default:
        return false;
    }
}

struct regex_lists {
    struct regex_thread *cur, *next;
    size_t ncur, nnext;
};

/* Runs one step at pos over the current list. Returns 1 when a match was recorded. */
static int vm_step(struct regex_vm *vm, struct regex_lists *l, size_t pos, size_t *ms, size_t *me)
{
    size_t w = 0;
    uint32_t r = pos < vm->n ? unicode_decode(vm->text + pos, vm->n - pos, &w) : UINT32_MAX;
    int found = 0;
    vm->gen++;
    l->nnext = 0;
    for (size_t i = 0; i < l->ncur; i++) {
        const struct regex_inst *in = &vm->re->prog[l->cur[i].pc];
        if (in->op == OP_MATCH) {
            *ms = l->cur[i].start, *me = pos;
            found = 1;
            break; /* lower-priority threads lose */
        }
        if (pos < vm->n && vm_consumes(vm, in, r) &&
            vm_add(vm, l->next, &l->nnext, l->cur[i].pc + 1, l->cur[i].start, pos + w) < 0)
            return -1;
    }
    struct regex_thread *t = l->cur;
    l->cur = l->next, l->next = t;
    l->ncur = l->nnext;
    return found;
}

int regex_find(const struct regex *re, const char *text, size_t n, size_t from, size_t *ms,
               size_t *me, uint64_t *budget)
{
    struct regex_vm vm = {re,    text,
                          n,     xcalloc(re->n, sizeof(uint32_t)),
                          1,     xcalloc(re->n * 2 + 2, sizeof(uint32_t)),
                          budget};
    struct regex_lists l = {xcalloc(re->n, sizeof(struct regex_thread)),
                            xcalloc(re->n, sizeof(struct regex_thread)), 0, 0};
    int matched = 0, rc = 0;
    for (size_t pos = from;;) {
        if (!matched && vm_add(&vm, l.cur, &l.ncur, 0, pos, pos) < 0) {
            rc = -1;
            break;
        }
        if (l.ncur == 0)
            break;
        int s = vm_step(&vm, &l, pos, ms, me);
        if (s < 0) {
            rc = -1;
            break;
        }
        matched |= s;
        if (pos >= n)
            break;
        size_t w;
        unicode_decode(text + pos, n - pos, &w);
        pos += w;
    }
    free(vm.mark);
    free(vm.stack);
    free(l.cur);
    free(l.next);
    return rc < 0 ? -1 : matched;
}
