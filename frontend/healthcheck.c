/* HEALTHCHECK: BuildKit's parseHealthcheck. */
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "duration.h"
#include "flags.h"
#include "instr_internal.h"
#include "unicode.h"
#include "util.h"
#include "vec.h"

static const struct flag_spec health_flags[] = {
    {"interval", FLAG_STRING},       {"timeout", FLAG_STRING}, {"start-period", FLAG_STRING},
    {"start-interval", FLAG_STRING}, {"retries", FLAG_STRING},
};

/* parseOptInterval: "" is 0, and a non-zero value must be at least 1ms. */
static int interval(const struct df_instr *in, const char *name, int64_t *out, kiln_error_t **err)
{
    const char *v = df_instr_flag(in, name, NULL);
    *out = 0;
    if (!v || !*v)
        return 0;
    if (duration_parse(v, out, err) < 0)
        return -1;
    if (*out != 0 && *out < 1000000)
        return kiln_err(err, KILN_EINPUT, 0, "Interval \"%s\" cannot be less than 1ms", name);
    return 0;
}

/* strconv.ParseInt(v, 10, 32) and the sign check. */
static int retries(const char *v, int *out, kiln_error_t **err)
{
    int64_t r;
    const char *digits = v + (*v == '+' || *v == '-');
    bool syntax = *digits && strspn(digits, "0123456789") == strlen(digits);
    if (!syntax || parse_i64(*v == '+' ? v + 1 : v, INT32_MIN, INT32_MAX, &r) < 0) {
        cleanup_free char *q = unicode_quoted(v, strlen(v));
        return kiln_err(err, KILN_EINPUT, 0, "strconv.ParseInt: parsing %s: %s", q,
                        syntax ? "value out of range" : "invalid syntax");
    }
    if (r < 0)
        return kiln_err(err, KILN_EINPUT, 0, "--retries cannot be negative (%lld)", (long long)r);
    *out = (int)r;
    return 0;
}

static int durations(struct df_instr *in, struct df_healthcheck *h, kiln_error_t **err)
{
    if (interval(in, "interval", &h->interval, err) < 0 ||
        interval(in, "timeout", &h->timeout, err) < 0 ||
        interval(in, "start-period", &h->start_period, err) < 0 ||
        interval(in, "start-interval", &h->start_interval, err) < 0)
        return -1;
    const char *r = df_instr_flag(in, "retries", NULL);
    return r && *r ? retries(r, &h->retries, err) : 0;
}

static int health_cmd(struct df_instr *in, struct df_healthcheck *h, kiln_error_t **err)
{
    if (in->nargs < 2)
        return kiln_err(err, KILN_EINPUT, 0, "Missing command after HEALTHCHECK CMD");
    strv_add(&h->test, &h->ntest, xstrdup(in->json ? "CMD" : "CMD-SHELL"));
    for (size_t i = 1; i < in->nargs; i++)
        strv_add(&h->test, &h->ntest, xstrdup(in->args[i]));
    return durations(in, h, err);
}

int healthcheck_parse(struct df_instr *in, kiln_error_t **err)
{
    if (in->nargs == 0)
        return kiln_err(err, KILN_EINPUT, 0, "HEALTHCHECK requires at least one argument");
    char *typ = in->args[0];
    for (char *p = typ; *p; p++)
        *p = (char)unicode_to_upper_ascii((unsigned char)*p);
    in->health = xcalloc(1, sizeof(*in->health));
    if (strcmp(typ, "NONE") == 0) {
        if (in->nargs != 1)
            return kiln_err(err, KILN_EINPUT, 0, "HEALTHCHECK NONE takes no arguments");
        strv_add(&in->health->test, &in->health->ntest, xstrdup("NONE"));
        return 0;
    }
    if (flags_check(in->flags, in->nflags, health_flags, ARRAY_SIZE(health_flags), err) < 0)
        return -1;
    if (strcmp(typ, "CMD") != 0) {
        cleanup_free char *q = unicode_quoted(typ, strlen(typ));
        return kiln_err(err, KILN_EINPUT, 0, "Unknown type %s in HEALTHCHECK (try CMD)", q);
    }
    return health_cmd(in, in->health, err);
}
