/* kiln's rules on RUN commands: CurlPipeShell, SudoInRun, AptWithoutNoInstallRecommends (not
 * for a simulation: apt-get install -s), AptUpdateAlone (apt-get, apt and tonistiigi/xx's
 * xx-apt-get and xx-apt), ChmodWorldWritable. The scripts of a RUN are its command line (shell
 * form), the "-c" script of a JSON-form shell (or its words), and its heredoc bodies. */
#include <ctype.h>
#include <string.h>

#include "buf.h"
#include "frontend/lint/lint_internal.h"
#include "util.h"

struct run_state {
    struct lint_ctx *c;
    const struct df_instr *in;
    bool curl_reported, sudo_reported, chmod_reported, recommends_reported;
    bool apt_update, apt_install;
};

static bool is_shell(const char *w)
{
    static const char *const shells[] = {"sh", "bash", "zsh", "dash", "ash", "ksh", "mksh"};
    for (size_t i = 0; i < ARRAY_SIZE(shells); i++)
        if (strcmp(w, shells[i]) == 0)
            return true;
    return false;
}

static bool is_download(const char *w)
{
    return strcmp(w, "curl") == 0 || strcmp(w, "wget") == 0;
}

/* sh -c "$(curl ...)", bash <(wget -O- ...), sh -c "`curl ...`" */
static const char *substituted_download(const struct lint_cmd *cmd, size_t first)
{
    static const char *const forms[] = {"$(curl", "$(wget", "<(curl", "<(wget", "`curl", "`wget"};
    for (size_t i = first; i < cmd->nwords; i++)
        for (size_t k = 0; k < ARRAY_SIZE(forms); k++)
            if (strstr(cmd->words[i], forms[k]))
                return forms[k] + (forms[k][0] == '`' ? 1 : 2);
    return NULL;
}

static void curl_pipe_shell(struct run_state *st, const struct lint_cmds *cmds)
{
    const char *download = NULL, *shell = NULL;
    for (size_t i = 0; i < cmds->n && !shell; i++) {
        bool sudo;
        size_t first = 0;
        const char *w = lint_shell_command(&cmds->v[i], &sudo, &first);
        if (!w)
            continue;
        bool piped = i > 0 && cmds->v[i - 1].pipeline == cmds->v[i].pipeline;
        if (!piped)
            download = NULL;
        if (is_download(w))
            download = w;
        else if (is_shell(w) && download)
            shell = w;
        else if (is_shell(w) && (download = substituted_download(&cmds->v[i], first)))
            shell = w;
    }
    if (!shell || st->curl_reported)
        return;
    st->curl_reported = true;
    lint_emit(st->c, st->in, LINT_CURL_PIPE_SHELL,
              xasprintf("RUN runs a script downloaded with %s in %s without verifying it", download,
                        shell),
              NULL);
}

/* apt-get install without --no-install-recommends (or APT::Install-Recommends=false). */
static bool recommends_off(const struct lint_cmd *cmd, size_t first)
{
    for (size_t i = first; i < cmd->nwords; i++) {
        const char *w = cmd->words[i];
        if (strcmp(w, "--no-install-recommends") == 0)
            return true;
        const char *o = strstr(w, "APT::Install-Recommends=");
        if (o && strchr("0fF", o[strlen("APT::Install-Recommends=")]))
            return true;
    }
    return false;
}

/* -s, --simulate and apt-get's other names for it: nothing is installed. */
static bool simulated(const struct lint_cmd *cmd, size_t first)
{
    static const char *const longs[] = {"--simulate", "--just-print", "--dry-run", "--recon",
                                        "--no-act"};
    for (size_t i = first; i < cmd->nwords; i++) {
        const char *w = cmd->words[i];
        for (size_t k = 0; k < ARRAY_SIZE(longs); k++)
            if (strcmp(w, longs[k]) == 0)
                return true;
        if (w[0] == '-' && w[1] != '-' && w[1] &&
            strspn(w + 1, "abcdefghijklmnpqrsuvwxyz") == strlen(w + 1) && strchr(w + 1, 's'))
            return true; /* -s, or combined short options such as -qs (-o and -t take values) */
        if (strcmp(w, "-o") == 0 || strcmp(w, "-c") == 0 || strcmp(w, "-t") == 0)
            i++;
    }
    return false;
}

/* apt-get and apt, also through tonistiigi/xx's cross-compilation wrappers. */
static bool is_apt(const char *w)
{
    static const char *const names[] = {"apt-get", "apt", "xx-apt-get", "xx-apt"};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (strcmp(w, names[i]) == 0)
            return true;
    return false;
}

/* The apt subcommand: the first word that is not an option (-o, -c, -t take a value). */
static const char *apt_subcommand(const struct lint_cmd *cmd, size_t first)
{
    for (size_t i = first; i < cmd->nwords; i++) {
        const char *w = cmd->words[i];
        if (w[0] != '-')
            return w;
        if (strcmp(w, "-o") == 0 || strcmp(w, "-c") == 0 || strcmp(w, "-t") == 0)
            i++;
    }
    return NULL;
}

static void apt(struct run_state *st, const struct lint_cmd *cmd, const char *w, size_t first)
{
    if (!is_apt(w))
        return;
    const char *sub = apt_subcommand(cmd, first);
    if (!sub)
        return;
    if (strcmp(sub, "update") == 0)
        st->apt_update = true;
    static const char *const uses[] = {"install",   "upgrade", "dist-upgrade", "full-upgrade",
                                       "build-dep", "source",  "download"};
    for (size_t i = 0; i < ARRAY_SIZE(uses); i++)
        st->apt_install |= strcmp(sub, uses[i]) == 0;
    if (strcmp(sub, "install") == 0 && !recommends_off(cmd, first) && !simulated(cmd, first) &&
        !st->recommends_reported) {
        st->recommends_reported = true;
        lint_emit(st->c, st->in, LINT_APT_WITHOUT_NO_INSTALL_RECOMMENDS,
                  xasprintf("%s install without --no-install-recommends also installs "
                            "recommended packages",
                            w),
                  NULL);
    }
}

static void chmod_cmd(struct run_state *st, const struct lint_cmd *cmd, const char *w, size_t first)
{
    if (strcmp(w, "chmod") != 0 || st->chmod_reported)
        return;
    for (size_t i = first; i < cmd->nwords; i++) {
        const char *m = cmd->words[i];
        if (m[0] == '-' && (m[1] == '-' || strspn(m + 1, "RvcfH") == strlen(m + 1)))
            continue; /* an option, not a mode such as -w */
        if (lint_run_mode_world_writable(m)) {
            st->chmod_reported = true;
            lint_emit(st->c, st->in, LINT_CHMOD_WORLD_WRITABLE,
                      xasprintf("chmod %s makes files world-writable", m), NULL);
        }
        return;
    }
}

static void script(struct run_state *st, const char *text)
{
    struct lint_cmds cmds;
    lint_shell_split(text, &cmds);
    curl_pipe_shell(st, &cmds);
    for (size_t i = 0; i < cmds.n; i++) {
        bool sudo;
        size_t first = 0;
        const char *w = lint_shell_command(&cmds.v[i], &sudo, &first);
        if (sudo && !st->sudo_reported) {
            st->sudo_reported = true;
            lint_emit(st->c, st->in, LINT_SUDO_IN_RUN,
                      xstrdup("RUN uses sudo: build steps run as the stage's USER, and sudo in "
                              "an image is a privilege-escalation path"),
                      NULL);
        }
        if (w) {
            apt(st, &cmds.v[i], w, first);
            chmod_cmd(st, &cmds.v[i], w, first);
        }
    }
    lint_shell_release(&cmds);
}

/* JSON form: a shell's -c script, else the words joined. */
static void json_form(struct run_state *st, const struct df_instr *in)
{
    const char *base = strrchr(in->args[0], '/');
    base = base ? base + 1 : in->args[0];
    if (in->nargs >= 3 && is_shell(base) && strcmp(in->args[1], "-c") == 0)
        return script(st, in->args[2]);
    cleanup_buf struct buf b = BUF_INIT(DF_MAX_LOGICAL_LINE);
    for (size_t i = 0; i < in->nargs; i++)
        if (buf_addf(&b, NULL, "%s'%s'", i ? " " : "", in->args[i]) < 0)
            return; /* cannot happen: the quoted words are no longer than the JSON array */
    script(st, buf_str(&b));
}

void lint_run_commands(struct lint_ctx *c, const struct df_instr *in)
{
    struct run_state st = {.c = c, .in = in};
    if (in->nargs > 0 && in->json)
        json_form(&st, in);
    else if (in->nargs > 0)
        script(&st, in->args[0]);
    for (size_t i = 0; i < in->nheredocs; i++)
        script(&st, in->heredocs[i].content);
    if (st.apt_update && !st.apt_install)
        lint_emit(c, in, LINT_APT_UPDATE_ALONE,
                  xstrdup("apt-get update without apt-get install in the same RUN: the package "
                          "index is cached in its own layer and goes stale"),
                  NULL);
}

/* A symbolic clause ("o+w", "a=rwx", "go+rw") that grants write to others (without the
 * sticky bit, which marks a shared directory such as /tmp). */
static bool clause_world_writable(const char *c, size_t n)
{
    size_t who = strspn(c, "ugoa");
    if (who > n)
        who = n;
    bool others = memchr(c, 'o', who) || memchr(c, 'a', who);
    bool add = false, write = false, sticky = false;
    for (size_t i = who; i < n; i++) {
        if (c[i] == '+' || c[i] == '=' || c[i] == '-')
            add = c[i] != '-';
        else if (add && c[i] == 'w')
            write = true;
        else if (add && c[i] == 't')
            sticky = true;
    }
    return others && write && !sticky;
}

bool lint_run_mode_world_writable(const char *mode)
{
    if (*mode && strspn(mode, "01234567") == strlen(mode)) {
        uint64_t v = 0;
        for (const char *p = mode; *p && v <= 07777; p++)
            v = v * 8 + (uint64_t)(*p - '0');
        return (v & 02) && !(v & 01000); /* the sticky bit marks a shared directory (/tmp) */
    }
    for (const char *p = mode;;) {
        size_t n = strcspn(p, ",");
        if (clause_world_writable(p, n))
            return true;
        if (!p[n])
            return false;
        p += n + 1;
    }
}
