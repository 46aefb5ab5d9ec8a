/* The non-root policy, checked on the final image after the build: the effective user (the
 * last USER of the final stage, else the base image's config User) is resolved in the final
 * rootfs, and root fails the build. Only the operator's --allow-root-user gets past it.
 *
 * The local and tar outputs export files, not an image: the policy does not apply to them (an
 * artifact stage, FROM scratch with no CMD or ENTRYPOINT, is the usual final stage there). As
 * an image, such a stage is still checked: `docker run IMAGE /app` or a Kubernetes command: runs
 * whatever it holds, as root. */
#include <string.h>

#include "build.h"
#include "policy.h"
#include "users.h"
#include "util.h"

#define POLICY_FIX                                                                                 \
    "add a non-root USER to the final stage (for example: USER 10001), or "                        \
    "pass --allow-root-user to accept a root image"

/* Where the user came from, for the message: the USER line or the FROM line. */
static int policy_fail(struct build *b, struct build_stage *st, const char *user, const char *why,
                       kiln_error_t **err)
{
    bool inherited = st->user_line == st->df->from->line;
    const char *what = inherited ? "FROM" : "USER";
    if (inherited)
        return kiln_err(err, KILN_EPOLICY, 0,
                        "%s:%d: %s %s: the image would run as root: %s%s%s; %s", b->input.src.name,
                        st->user_line, what, st->df->base, why, *user ? " (inherited user '" : "",
                        *user ? user : "", POLICY_FIX);
    return kiln_err(err, KILN_EPOLICY, 0, "%s:%d: USER %s: the image would run as root: %s; %s",
                    b->input.src.name, st->user_line, user, why, POLICY_FIX);
}

static bool numeric_id(const char *s, uint32_t *out)
{
    uint64_t v;
    if (parse_u64(s, UINT32_MAX, &v) < 0)
        return false;
    *out = (uint32_t)v;
    return true;
}

bool policy_artifact_stage(struct build *b, struct build_stage *st)
{
    (void)b;
    json_t *cfg = image_cfg(st->img);
    json_t *cmd = json_object_get(cfg, "Cmd"), *ep = json_object_get(cfg, "Entrypoint");
    /* no base image under it: FROM scratch, or FROM a stage that is (base_digest is inherited) */
    return !*st->base_digest && !st->base_ref && !json_array_size(cmd) && !json_array_size(ep);
}

int policy_check_user(struct build *b, struct build_stage *st, kiln_error_t **err)
{
    const char *user = image_cfg_string(st->img, "User");
    if (!user)
        user = "";
    enum kiln_output_type out = b->o->output.type;
    if (out == KILN_OUTPUT_LOCAL || out == KILN_OUTPUT_TAR)
        return 0; /* files, not an image: nothing of this build runs as anyone */
    if (b->o->allow_root_user) {
        step_log(b, KILN_LOG_WARN,
                 "--allow-root-user: the non-root policy is not enforced; the image records "
                 "the override in the annotation " POLICY_ANNOTATION);
        return 0;
    }
    if (!*user && policy_artifact_stage(b, st))
        return policy_fail(b, st, user,
                           "the final stage sets no USER; an artifact stage (FROM scratch, no "
                           "CMD or ENTRYPOINT) is exempt only when its files are exported "
                           "(--output type=local or type=tar), as an image it runs as root with "
                           "any command given to it",
                           err);
    if (!*user)
        return policy_fail(b, st, user, "the final stage sets no USER and the base image has none",
                           err);
    cleanup_free char *name = xstrdup(user);
    char *colon = strchr(name, ':');
    if (colon)
        *colon = '\0';
    uint32_t uid;
    if (!*name)
        return policy_fail(b, st, user, "the user part is empty", err);
    if (numeric_id(name, &uid))
        return uid == 0 ? policy_fail(b, st, user, "uid 0 is root", err) : 0;
    struct view *v;
    if (stage_view(b, st, &v, err) < 0)
        return -1;
    uint32_t gid;
    kiln_error_t *lookup = NULL;
    if (users_resolve(v, name, true, &uid, &gid, &lookup) < 0) {
        int rc = kiln_err(err, KILN_EPOLICY, 0,
                          "%s:%d: USER %s: the user does not exist in the final image's "
                          "/etc/passwd (%s); the container would not start",
                          b->input.src.name, st->user_line, user, lookup->msg);
        kiln_error_free(lookup);
        return rc;
    }
    if (uid == 0) {
        cleanup_free char *why = xasprintf("'%s' has uid 0 in the final image's /etc/passwd", name);
        return policy_fail(b, st, user, why, err);
    }
    return 0;
}
