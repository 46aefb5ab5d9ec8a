#include <errno.h>
#include <pthread.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fsutil.h"
#include "json.h"
#include "kernel.h"
#include "seccomp.h"
#include "util.h"

extern const unsigned char seccomp_profile_json[];
extern const size_t seccomp_profile_json_len;

#define SECCOMP_MAX_BPF (1u << 20)

static const char *const cap_names[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

static const char *native_arch(void)
{
    switch (seccomp_arch_native()) {
    case SCMP_ARCH_X86_64:
        return "amd64";
    case SCMP_ARCH_AARCH64:
        return "arm64";
    case SCMP_ARCH_X86:
        return "x86";
    case SCMP_ARCH_ARM:
        return "arm";
    case SCMP_ARCH_PPC64LE:
        return "ppc64le";
    case SCMP_ARCH_S390X:
        return "s390x";
    case SCMP_ARCH_RISCV64:
        return "riscv64";
    default:
        return "";
    }
}

static bool has_cap(uint64_t caps, const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
        if (!strcmp(cap_names[i], name))
            return caps & (1ull << i);
    return false;
}

static bool list_has(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i,
                       v) if (json_is_string(v) && !strcmp(json_string_value(v), s)) return true;
    return false;
}

static bool any_cap(json_t *arr, uint64_t caps)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i,
                       v) if (json_is_string(v) && has_cap(caps, json_string_value(v))) return true;
    return false;
}

/* Whether a rule applies here, after its "includes" and "excludes". */
static bool rule_applies(json_t *rule, uint64_t caps)
{
    json_t *inc = json_object_get(rule, "includes"), *exc = json_object_get(rule, "excludes");
    json_t *v;
    if ((v = json_object_get(inc, "caps")) && json_array_size(v)) {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c) if (!json_is_string(c) ||
                                        !has_cap(caps, json_string_value(c))) return false;
    }
    if ((v = json_object_get(inc, "arches")) && json_array_size(v) && !list_has(v, native_arch()))
        return false;
    if ((v = json_object_get(inc, "minKernel")) && json_is_string(v) &&
        !kernel_at_least(json_string_value(v)))
        return false;
    if ((v = json_object_get(exc, "caps")) && any_cap(v, caps))
        return false;
    if ((v = json_object_get(exc, "arches")) && list_has(v, native_arch()))
        return false;
    return true;
}

static int parse_action(json_t *rule, const char *key, int default_errno, uint32_t *out)
{
    const char *a = json_string_value(json_object_get(rule, key));
    json_t *er = json_object_get(rule, "errnoRet");
    int eno = json_is_integer(er) ? (int)json_integer_value(er) : default_errno;
    if (!a)
        return -1;
    if (!strcmp(a, "SCMP_ACT_ALLOW"))
        *out = SCMP_ACT_ALLOW;
    else if (!strcmp(a, "SCMP_ACT_ERRNO"))
        *out = SCMP_ACT_ERRNO((uint16_t)eno);
    else if (!strcmp(a, "SCMP_ACT_KILL") || !strcmp(a, "SCMP_ACT_KILL_THREAD"))
        *out = SCMP_ACT_KILL;
    else if (!strcmp(a, "SCMP_ACT_KILL_PROCESS"))
        *out = SCMP_ACT_KILL_PROCESS;
    else if (!strcmp(a, "SCMP_ACT_TRAP"))
        *out = SCMP_ACT_TRAP;
    else if (!strcmp(a, "SCMP_ACT_LOG"))
        *out = SCMP_ACT_LOG;
    else
        return -1;
    return 0;
}

static int parse_op(const char *op, enum scmp_compare *out)
{
    static const struct {
        const char *name;
        enum scmp_compare op;
    } ops[] = {{"SCMP_CMP_NE", SCMP_CMP_NE},
               {"SCMP_CMP_LT", SCMP_CMP_LT},
               {"SCMP_CMP_LE", SCMP_CMP_LE},
               {"SCMP_CMP_EQ", SCMP_CMP_EQ},
               {"SCMP_CMP_GE", SCMP_CMP_GE},
               {"SCMP_CMP_GT", SCMP_CMP_GT},
               {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
    for (size_t i = 0; op && i < ARRAY_SIZE(ops); i++)
        if (!strcmp(ops[i].name, op))
            return *out = ops[i].op, 0;
    return -1;
}

static int parse_args(json_t *args, struct scmp_arg_cmp *cmp, unsigned *n)
{
    size_t i;
    json_t *a;
    *n = 0;
    json_array_foreach(args, i, a)
    {
        enum scmp_compare op;
        json_t *idx = json_object_get(a, "index");
        if (i >= 6 || !json_is_integer(idx) || json_integer_value(idx) > 5 ||
            parse_op(json_string_value(json_object_get(a, "op")), &op) < 0)
            return -1;
        cmp[i] =
            (struct scmp_arg_cmp){(unsigned)json_integer_value(idx), op,
                                  (scmp_datum_t)json_integer_value(json_object_get(a, "value")),
                                  (scmp_datum_t)json_integer_value(json_object_get(a, "valueTwo"))};
        (*n)++;
    }
    return 0;
}

static int add_rule(scmp_filter_ctx ctx, json_t *rule, int default_errno, kiln_error_t **err)
{
    uint32_t action;
    struct scmp_arg_cmp cmp[6];
    unsigned ncmp;
    if (parse_action(rule, "action", default_errno, &action) < 0 ||
        parse_args(json_object_get(rule, "args"), cmp, &ncmp) < 0)
        return kiln_err(err, KILN_EINTERNAL, 0, "seccomp profile: bad rule");
    size_t i;
    json_t *name;
    json_array_foreach(json_object_get(rule, "names"), i, name)
    {
        int nr = seccomp_syscall_resolve_name(json_string_value(name));
        if (nr == __NR_SCMP_ERROR)
            continue; /* a syscall this libseccomp or arch does not know */
        int r = seccomp_rule_add_array(ctx, action, nr, ncmp, ncmp ? cmp : NULL);
        if (r < 0 && r != -EEXIST && r != -EACCES)
            return kiln_err(err, KILN_EINTERNAL, -r, "seccomp: rule for '%s'",
                            json_string_value(name));
    }
    return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *prog, kiln_error_t **err)
{
    cleanup_close int fd = memfd_create("kiln-seccomp", MFD_CLOEXEC);
    if (fd < 0)
        return kiln_err_errno(err, KILN_ESANDBOX, "memfd_create");
    int r = seccomp_export_bpf(ctx, fd);
    if (r < 0)
        return kiln_err(err, KILN_ESANDBOX, -r, "seccomp: export");
    char *data;
    size_t len;
    if (lseek(fd, 0, SEEK_SET) < 0 || read_fd_limited(fd, SECCOMP_MAX_BPF, &data, &len, err) < 0)
        return -1;
    if (len == 0 || len % sizeof(struct sock_filter) != 0) {
        free(data);
        return kiln_err(err, KILN_ESANDBOX, 0, "seccomp: bad BPF program");
    }
    prog->filter = (struct sock_filter *)data;
    prog->len = (unsigned short)(len / sizeof(struct sock_filter));
    return 0;
}

static void cleanup_seccomp(scmp_filter_ctx *c)
{
    if (*c)
        seccomp_release(*c);
}

static int build_filter(uint64_t caps, struct sock_fprog *prog, kiln_error_t **err)
{
    json_error_t je;
    cleanup_json json_t *root =
        json_loadb((const char *)seccomp_profile_json, seccomp_profile_json_len, 0, &je);
    if (!root)
        return kiln_err(err, KILN_EINTERNAL, 0, "seccomp profile: %s", je.text);
    json_t *de = json_object_get(root, "defaultErrnoRet");
    int default_errno = json_is_integer(de) ? (int)json_integer_value(de) : EPERM;
    uint32_t def;
    if (parse_action(root, "defaultAction", default_errno, &def) < 0)
        return kiln_err(err, KILN_EINTERNAL, 0, "seccomp profile: bad defaultAction");
    __attribute__((cleanup(cleanup_seccomp))) scmp_filter_ctx ctx = seccomp_init(def);
    if (!ctx)
        return kiln_err(err, KILN_ESANDBOX, 0, "seccomp_init failed");
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0); /* the sandbox sets no_new_privs itself */
    if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
        seccomp_arch_add(ctx, SCMP_ARCH_X86);
        seccomp_arch_add(ctx, SCMP_ARCH_X32);
    }
    size_t i;
    json_t *rule;
    json_array_foreach(json_object_get(root, "syscalls"), i, rule)
    {
        if (rule_applies(rule, caps) && add_rule(ctx, rule, default_errno, err) < 0)
            return -1;
    }
    return export_bpf(ctx, prog, err);
}

/* Filters built so far, by capability set: compiling the profile takes ~20 ms (libseccomp),
 * and every step of a build asks for the same one or two. */
#define FILTER_CACHE 4
static struct {
    uint64_t caps;
    struct sock_fprog prog; /* filter NULL: free slot */
} filter_cache[FILTER_CACHE];
static pthread_mutex_t filter_lock = PTHREAD_MUTEX_INITIALIZER;

static void copy_prog(const struct sock_fprog *from, struct sock_fprog *to)
{
    to->len = from->len;
    to->filter = xmalloc(from->len * sizeof(*from->filter));
    memcpy(to->filter, from->filter, from->len * sizeof(*from->filter));
}

int sbx_seccomp_build(uint64_t caps, struct sock_fprog *prog, kiln_error_t **err)
{
    pthread_mutex_lock(&filter_lock);
    int rc = 0;
    size_t i = 0;
    while (i < FILTER_CACHE && filter_cache[i].prog.filter && filter_cache[i].caps != caps)
        i++;
    if (i < FILTER_CACHE && filter_cache[i].prog.filter) {
        copy_prog(&filter_cache[i].prog, prog);
    } else if ((rc = build_filter(caps, prog, err)) == 0 && i < FILTER_CACHE) {
        filter_cache[i].caps = caps;
        copy_prog(prog, &filter_cache[i].prog);
    }
    pthread_mutex_unlock(&filter_lock);
    return rc;
}

int sbx_seccomp_load(const struct sock_fprog *prog)
{
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog);
}
