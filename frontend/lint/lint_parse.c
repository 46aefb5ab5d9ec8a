/* Rules on the syntax alone (BuildKit's instructions.Parse and validateStageNames,
 * validateCommandCasing): NoEmptyContinuation, ConsistentInstructionCasing, StageNameCasing,
 * FromAsCasing, DuplicateStageName, ReservedStageName, MaintainerDeprecated,
 * InvalidDefinitionDescription. */
#include <ctype.h>
#include <string.h>

#include "frontend/lint/lint_internal.h"
#include "frontend/unicode.h"
#include "util.h"

static bool is_lower(const char *s)
{
    cleanup_free char *l = unicode_lower(s);
    return strcmp(l, s) == 0;
}

static bool is_upper(const char *s)
{
    for (; *s; s++)
        if (islower((unsigned char)*s))
            return false;
    return true;
}

static void empty_continuations(struct lint_ctx *c)
{
    for (size_t i = 0; i < c->f->nwarnings; i++) {
        const struct df_warning *w = &c->f->warnings[i];
        if (strcmp(w->rule, "NoEmptyContinuation") == 0)
            lint_emit_at(c, NULL, LINT_NO_EMPTY_CONTINUATION, w->line, w->line,
                         xstrdup("Empty continuation line"), NULL);
    }
}

static void count_case(const char *kw, int *lower, int *upper)
{
    if (is_lower(kw))
        ++*lower;
    else if (is_upper(kw))
        ++*upper;
}

static void case_match(struct lint_ctx *c, const struct df_instr *in, bool majority_lower)
{
    const char *want = NULL;
    if (majority_lower && !is_lower(in->keyword))
        want = "lowercase";
    else if (!majority_lower && !is_upper(in->keyword))
        want = "uppercase";
    if (want)
        lint_emit_at(c, NULL, LINT_CONSISTENT_INSTRUCTION_CASING, in->line, in->end_line,
                     xasprintf("Command '%s' should match the case of the command majority (%s)",
                               in->keyword, want),
                     NULL);
}

/* Counted over the stages' FROM and instructions (not the ARGs before the first FROM). */
static void instruction_casing(struct lint_ctx *c)
{
    int lower = 0, upper = 0;
    for (size_t i = 0; i < c->f->nstages; i++) {
        const struct df_stage *s = &c->f->stages[i];
        count_case(s->from->keyword, &lower, &upper);
        for (size_t k = 0; k < s->ninstrs; k++)
            count_case(s->instrs[k]->keyword, &lower, &upper);
    }
    for (size_t i = 0; i < c->f->nstages; i++) {
        const struct df_stage *s = &c->f->stages[i];
        case_match(c, s->from, lower > upper);
        for (size_t k = 0; k < s->ninstrs; k++)
            case_match(c, s->instrs[k], lower > upper);
    }
}

static void from_casing(struct lint_ctx *c, const struct df_instr *from)
{
    if (from->nargs != 3)
        return;
    if (!is_lower(from->args[2]))
        lint_emit(c, from, LINT_STAGE_NAME_CASING,
                  xasprintf("Stage name '%s' should be lowercase", from->args[2]), NULL);
    /* an inconsistent FROM is ConsistentInstructionCasing's, not this rule's */
    bool lower = is_lower(from->keyword), upper = is_upper(from->keyword);
    if ((lower && !is_lower(from->args[1])) || (!lower && upper && !is_upper(from->args[1])))
        lint_emit(
            c, from, LINT_FROM_AS_CASING,
            xasprintf("'%s' and '%s' keywords' casing do not match", from->args[1], from->keyword),
            NULL);
}

static void stage_names(struct lint_ctx *c)
{
    for (size_t i = 0; i < c->f->nstages; i++) {
        const struct df_stage *s = &c->f->stages[i];
        if (!s->name)
            continue;
        if (strcmp(s->name, "scratch") == 0 || strcmp(s->name, "context") == 0)
            lint_emit_at(c, NULL, LINT_RESERVED_STAGE_NAME, s->from->line, s->from->end_line,
                         xasprintf("Stage name should not use the same name as reserved stage "
                                   "\"%s\"",
                                   s->name),
                         NULL);
        for (size_t k = 0; k < i; k++)
            if (c->f->stages[k].name && strcmp(c->f->stages[k].name, s->name) == 0) {
                lint_emit_at(c, NULL, LINT_DUPLICATE_STAGE_NAME, s->from->line, s->from->end_line,
                             xasprintf("Duplicate stage name \"%s\", stage names should be "
                                       "unique",
                                       s->name),
                             NULL);
                break;
            }
    }
}

/* The description comment of an ARG or a named FROM must start with the name it describes. */
static void definition_description(struct lint_ctx *c, const struct df_instr *in)
{
    if (in->ncomments == 0 || (in->cmd == DF_FROM && in->nargs != 3))
        return;
    const char *last = in->comments[in->ncomments - 1];
    cleanup_free char *first = xstrndup(last, strcspn(last, " "));
    struct lint_names keys = {0};
    if (in->cmd == DF_FROM) {
        cleanup_free char *name = unicode_lower(in->args[2]);
        lint_names_add(&keys, name);
    }
    for (size_t k = 0; in->cmd == DF_ARG && k < in->nargs; k++) {
        cleanup_free char *key = xstrndup(in->args[k], strcspn(in->args[k], "="));
        lint_names_add(&keys, key);
    }
    if (keys.n > 0 && !lint_names_has(&keys, first))
        lint_emit(c, in, LINT_INVALID_DEFINITION_DESCRIPTION,
                  xasprintf("Comment for %s should follow the format: `# %s <description>`",
                            in->cmd == DF_FROM ? "FROM" : "ARG",
                            keys.n > 1 ? "<arg_key>" : keys.v[0]),
                  NULL);
    lint_names_release(&keys);
}

void lint_parse_checks(struct lint_ctx *c)
{
    empty_continuations(c);
    for (size_t i = 0; i < c->f->ninstrs; i++) {
        const struct df_instr *in = &c->f->instrs[i];
        if (in->cmd == DF_MAINTAINER)
            lint_emit(c, in, LINT_MAINTAINER_DEPRECATED,
                      xstrdup("Maintainer instruction is deprecated in favor of using label"),
                      NULL);
        if (in->cmd == DF_FROM)
            from_casing(c, in);
        if (in->cmd == DF_FROM || in->cmd == DF_ARG)
            definition_description(c, in);
    }
    stage_names(c);
    instruction_casing(c);
}
