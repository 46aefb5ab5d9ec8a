/* Paths as the stage's OS reads them (lint_internal.h): BuildKit's util/system IsAbs and
 * CheckSystemDriveAndRemoveDriveLetter, for WORKDIR rules on Windows stages. */
#include <string.h>
#include <strings.h>

#include "frontend/lint/lint_internal.h"
#include "util.h"

static void to_slash(char *s)
{
    for (; *s; s++)
        if (*s == '\\')
            *s = '/';
}

/* NULL for what BuildKit refuses (C: alone, another drive, a UNC path). */
static char *without_drive(const char *p)
{
    if (strlen(p) == 2 && p[1] == ':')
        return NULL;
    if ((p[0] == '/' || p[0] == '\\') && (p[1] == '/' || p[1] == '\\'))
        return NULL;
    const char *colon = strchr(p, ':');
    if (colon && (colon - p != 1 || (p[0] | 0x20) != 'c'))
        return NULL;
    char *s = xstrdup(colon ? colon + 1 : p);
    to_slash(s);
    return s;
}

bool lint_path_abs(const char *p, bool windows, char **clean)
{
    cleanup_free char *s = windows ? without_drive(p) : xstrdup(p);
    bool abs = s && s[0] == '/';
    if (clean)
        *clean = abs ? path_clean(s) : NULL;
    return abs;
}

char *lint_platform_os(const char *platform)
{
    char *os = xstrndup(platform, strcspn(platform, "/"));
    str_lower(os);
    return os;
}
