/* The rule table (lint.h). BuildKit's names, descriptions and URLs for its build checks
 * (frontend/dockerfile/linter/ruleset.go); kiln's rules are documented in RULES.md beside
 * this file and under https://kiln.dev/lint/rule/. */
#include <string.h>

#include "frontend/lint/lint.h"
#include "util.h"

#define BK(slug)   "https://docs.docker.com/go/dockerfile/rule/" slug "/"
#define KILN(slug) "https://kiln.dev/lint/rule/" slug "/"

static const struct lint_rule rules[LINT_RULE_COUNT] = {
    [LINT_STAGE_NAME_CASING] = {LINT_STAGE_NAME_CASING, "StageNameCasing", LINT_WARNING, false,
                                true, "Stage names should be lowercase", BK("stage-name-casing"),
                                "write the stage name in lowercase"},
    [LINT_FROM_AS_CASING] = {LINT_FROM_AS_CASING, "FromAsCasing", LINT_WARNING, false, true,
                             "The 'as' keyword should match the case of the 'from' keyword",
                             BK("from-as-casing"),
                             "write 'AS' in the same case as 'FROM' (FROM ... AS name)"},
    [LINT_NO_EMPTY_CONTINUATION] = {LINT_NO_EMPTY_CONTINUATION, "NoEmptyContinuation", LINT_WARNING,
                                    false, true,
                                    "Empty continuation lines will become errors in a future "
                                    "release",
                                    BK("no-empty-continuation"),
                                    "remove the empty line (or make it a comment) inside the "
                                    "continued instruction"},
    [LINT_CONSISTENT_INSTRUCTION_CASING] =
        {LINT_CONSISTENT_INSTRUCTION_CASING, "ConsistentInstructionCasing", LINT_WARNING, false,
         true,
         "All commands within the Dockerfile should use the same casing (either upper or lower)",
         BK("consistent-instruction-casing"),
         "write every instruction keyword in the same case (uppercase is the convention)"},
    [LINT_DUPLICATE_STAGE_NAME] = {LINT_DUPLICATE_STAGE_NAME, "DuplicateStageName", LINT_WARNING,
                                   false, true, "Stage names should be unique",
                                   BK("duplicate-stage-name"), "give each stage its own name"},
    [LINT_RESERVED_STAGE_NAME] = {LINT_RESERVED_STAGE_NAME, "ReservedStageName", LINT_WARNING,
                                  false, true, "Reserved words should not be used as stage names",
                                  BK("reserved-stage-name"),
                                  "rename the stage: 'scratch' and 'context' are reserved"},
    [LINT_JSON_ARGS_RECOMMENDED] = {LINT_JSON_ARGS_RECOMMENDED, "JSONArgsRecommended", LINT_WARNING,
                                    false, true,
                                    "JSON arguments recommended for ENTRYPOINT/CMD to prevent "
                                    "unintended behavior related to OS signals",
                                    BK("json-args-recommended"),
                                    "use the exec form: CMD [\"executable\", \"arg\"]"},
    [LINT_MAINTAINER_DEPRECATED] = {LINT_MAINTAINER_DEPRECATED, "MaintainerDeprecated",
                                    LINT_WARNING, false, true,
                                    "The MAINTAINER instruction is deprecated, use a label "
                                    "instead to define an image author",
                                    BK("maintainer-deprecated"),
                                    "LABEL org.opencontainers.image.authors=\"...\""},
    [LINT_UNDEFINED_ARG_IN_FROM] = {LINT_UNDEFINED_ARG_IN_FROM, "UndefinedArgInFrom", LINT_WARNING,
                                    false, true, "FROM command must use declared ARGs",
                                    BK("undefined-arg-in-from"),
                                    "declare the ARG before the first FROM"},
    [LINT_WORKDIR_RELATIVE_PATH] = {LINT_WORKDIR_RELATIVE_PATH, "WorkdirRelativePath", LINT_WARNING,
                                    false, true,
                                    "Relative workdir without an absolute workdir declared "
                                    "within the build can have unexpected results if the base "
                                    "image changes",
                                    BK("workdir-relative-path"),
                                    "set an absolute WORKDIR first (WORKDIR /app)"},
    [LINT_UNDEFINED_VAR] = {LINT_UNDEFINED_VAR, "UndefinedVar", LINT_WARNING, false, true,
                            "Variables should be defined before their use", BK("undefined-var"),
                            "declare the variable with ARG or ENV before using it"},
    [LINT_MULTIPLE_INSTRUCTIONS_DISALLOWED] =
        {LINT_MULTIPLE_INSTRUCTIONS_DISALLOWED, "MultipleInstructionsDisallowed", LINT_WARNING,
         false, true, "Multiple instructions of the same type should not be used in the same stage",
         BK("multiple-instructions-disallowed"), "keep only the last one"},
    [LINT_LEGACY_KEY_VALUE_FORMAT] = {LINT_LEGACY_KEY_VALUE_FORMAT, "LegacyKeyValueFormat",
                                      LINT_WARNING, false, true,
                                      "Legacy key/value format with whitespace separator should "
                                      "not be used",
                                      BK("legacy-key-value-format"), "write key=value"},
    [LINT_INVALID_BASE_IMAGE_PLATFORM] =
        {LINT_INVALID_BASE_IMAGE_PLATFORM, "InvalidBaseImagePlatform", LINT_WARNING, false, true,
         "Base image platform does not match expected target platform",
         "https://docs.docker.com/reference/build-checks/",
         "use a base image (or --platform) for the target platform"},
    [LINT_REDUNDANT_TARGET_PLATFORM] = {LINT_REDUNDANT_TARGET_PLATFORM, "RedundantTargetPlatform",
                                        LINT_WARNING, false, true,
                                        "Setting platform to predefined $TARGETPLATFORM in FROM "
                                        "is redundant as this is the default behavior",
                                        BK("redundant-target-platform"),
                                        "remove --platform=$TARGETPLATFORM"},
    [LINT_SECRETS_USED_IN_ARG_OR_ENV] =
        {LINT_SECRETS_USED_IN_ARG_OR_ENV, "SecretsUsedInArgOrEnv", LINT_WARNING, false, true,
         "Sensitive data should not be used in the ARG or ENV commands",
         BK("secrets-used-in-arg-or-env"),
         "pass secrets with RUN --mount=type=secret, not ARG or ENV"},
    [LINT_INVALID_DEFAULT_ARG_IN_FROM] =
        {LINT_INVALID_DEFAULT_ARG_IN_FROM, "InvalidDefaultArgInFrom", LINT_WARNING, false, true,
         "Default value for global ARG results in an empty or invalid base image name",
         BK("invalid-default-arg-in-from"), "give the ARG a default that makes a valid image name"},
    [LINT_FROM_PLATFORM_FLAG_CONST_DISALLOWED] =
        {LINT_FROM_PLATFORM_FLAG_CONST_DISALLOWED, "FromPlatformFlagConstDisallowed", LINT_WARNING,
         false, true, "FROM --platform flag should not use a constant value",
         BK("from-platform-flag-const-disallowed"),
         "use --platform=$BUILDPLATFORM (or another ARG), or name the stage after the platform"},
    [LINT_COPY_IGNORED_FILE] = {LINT_COPY_IGNORED_FILE, "CopyIgnoredFile", LINT_WARNING, false,
                                true, "Attempting to Copy file that is excluded by .dockerignore",
                                BK("copy-ignored-file"),
                                "remove the pattern from .dockerignore or the source from COPY"},
    [LINT_INVALID_DEFINITION_DESCRIPTION] =
        {LINT_INVALID_DEFINITION_DESCRIPTION, "InvalidDefinitionDescription", LINT_WARNING, true,
         true,
         "Comment for build stage or argument should follow the format: `# <arg/stage name> "
         "<description>`. If this is not intended to be a description comment, add an empty "
         "line or comment between the instruction and the comment.",
         BK("invalid-definition-description"),
         "start the comment with the name it describes, or separate it with an empty line"},
    [LINT_EXPOSE_PROTO_CASING] = {LINT_EXPOSE_PROTO_CASING, "ExposeProtoCasing", LINT_WARNING,
                                  false, true, "Protocol in EXPOSE instruction should be lowercase",
                                  BK("expose-proto-casing"), "write tcp, udp or sctp"},
    [LINT_EXPOSE_INVALID_FORMAT] = {LINT_EXPOSE_INVALID_FORMAT, "ExposeInvalidFormat", LINT_WARNING,
                                    false, true,
                                    "IP address and host-port mapping should not be used in "
                                    "EXPOSE instruction. This will become an error in a future "
                                    "release",
                                    BK("expose-invalid-format"),
                                    "EXPOSE only the container port (EXPOSE 80/tcp)"},
    [LINT_FINAL_USER_ROOT] = {LINT_FINAL_USER_ROOT, "FinalUserRoot", LINT_WARNING, false, false,
                              "The final image should not run as root", KILN("final-user-root"),
                              "add USER with a non-root user to the final stage (USER 10001)"},
    [LINT_BASE_IMAGE_NOT_PINNED] = {LINT_BASE_IMAGE_NOT_PINNED, "BaseImageNotPinned", LINT_WARNING,
                                    false, false, "Base images should be pinned by digest",
                                    KILN("base-image-not-pinned"),
                                    "pin the image: FROM name:tag@sha256:<digest>"},
    [LINT_BASE_IMAGE_LATEST] = {LINT_BASE_IMAGE_LATEST, "BaseImageLatest", LINT_WARNING, false,
                                false, "Base images should not use the latest tag",
                                KILN("base-image-latest"),
                                "use a version tag (and a digest): FROM name:1.2@sha256:..."},
    [LINT_ADD_REMOTE_WITHOUT_CHECKSUM] = {LINT_ADD_REMOTE_WITHOUT_CHECKSUM,
                                          "AddRemoteWithoutChecksum", LINT_WARNING, false, false,
                                          "Remote ADD sources should be verified with --checksum",
                                          KILN("add-remote-without-checksum"),
                                          "ADD --checksum=sha256:<hex> <url> <dest>"},
    [LINT_CURL_PIPE_SHELL] = {LINT_CURL_PIPE_SHELL, "CurlPipeShell", LINT_WARNING, false, false,
                              "Downloaded scripts should not be piped into a shell",
                              KILN("curl-pipe-shell"),
                              "download to a file, verify its checksum (sha256sum -c), then "
                              "run it"},
    [LINT_SUDO_IN_RUN] = {LINT_SUDO_IN_RUN, "SudoInRun", LINT_WARNING, false, false,
                          "RUN should not use sudo", KILN("sudo-in-run"),
                          "run the step as root with USER root (switch back to a non-root USER "
                          "after), or drop sudo"},
    [LINT_APT_WITHOUT_NO_INSTALL_RECOMMENDS] =
        {LINT_APT_WITHOUT_NO_INSTALL_RECOMMENDS, "AptWithoutNoInstallRecommends", LINT_WARNING,
         false, false, "apt-get install should not pull recommended packages",
         KILN("apt-without-no-install-recommends"),
         "apt-get install -y --no-install-recommends <packages>"},
    [LINT_APT_UPDATE_ALONE] = {LINT_APT_UPDATE_ALONE, "AptUpdateAlone", LINT_WARNING, false, false,
                               "apt-get update should run in the same RUN as apt-get install",
                               KILN("apt-update-alone"),
                               "RUN apt-get update && apt-get install -y ... && rm -rf "
                               "/var/lib/apt/lists/*"},
    [LINT_CHMOD_WORLD_WRITABLE] = {LINT_CHMOD_WORLD_WRITABLE, "ChmodWorldWritable", LINT_WARNING,
                                   false, false, "Files should not be made world-writable",
                                   KILN("chmod-world-writable"),
                                   "grant write access to the owner or group only (755, 644, "
                                   "g+w)"},
    [LINT_EXPOSE_SSH] = {LINT_EXPOSE_SSH, "ExposeSsh", LINT_WARNING, false, false,
                         "Containers should not expose SSH (port 22)", KILN("expose-ssh"),
                         "remove EXPOSE 22: use docker exec / kubectl exec to get a shell"},
    [LINT_WORKDIR_IN_SYSTEM_PATH] = {LINT_WORKDIR_IN_SYSTEM_PATH, "WorkdirInSystemPath",
                                     LINT_WARNING, false, false,
                                     "WORKDIR should not be a system directory",
                                     KILN("workdir-in-system-path"),
                                     "use an application directory (WORKDIR /app)"},
    [LINT_SECRET_VALUE_IN_ARG_OR_ENV] =
        {LINT_SECRET_VALUE_IN_ARG_OR_ENV, "SecretValueInArgOrEnv", LINT_ERROR, false, false,
         "ARG and ENV values and build arguments should not hold credentials",
         KILN("secret-value-in-arg-or-env"),
         "revoke the credential, remove it, and pass it with RUN --mount=type=secret"},
    [LINT_SETUID_FILES_IN_IMAGE] = {LINT_SETUID_FILES_IN_IMAGE, "SetuidFilesInImage", LINT_WARNING,
                                    false, false,
                                    "The image should not hold setuid or setgid files (CIS "
                                    "Docker Benchmark 4.8)",
                                    KILN("setuid-files-in-image"),
                                    "remove the bit where it is not needed: RUN chmod a-s <file>"},
    [LINT_SECRET_LIKE_FILE_IN_IMAGE] = {LINT_SECRET_LIKE_FILE_IN_IMAGE, "SecretLikeFileInImage",
                                        LINT_WARNING, false, false,
                                        "The image should not hold credential files",
                                        KILN("secret-like-file-in-image"),
                                        "keep the file out of the image (.dockerignore) and "
                                        "pass it with RUN --mount=type=secret"},
};

const struct lint_rule *lint_rules(void)
{
    return rules;
}

const struct lint_rule *lint_rule(enum lint_rule_id id)
{
    return &rules[id];
}

const struct lint_rule *lint_rule_find(const char *name)
{
    for (size_t i = 0; i < LINT_RULE_COUNT; i++)
        if (strcmp(rules[i].name, name) == 0)
            return &rules[i];
    return NULL;
}
