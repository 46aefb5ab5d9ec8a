# The sandbox embeds moby's default seccomp profile (a copy of shared/security/seccomp-default.json
# kept beside this file, since shared/ is not shipped with kiln) as a C string.
set(KILN_SECCOMP_JSON ${CMAKE_SOURCE_DIR}/builder/sandbox/seccomp-default.json)
set(KILN_SECCOMP_C ${CMAKE_BINARY_DIR}/gen/seccomp_profile.c)
add_custom_command(
  OUTPUT ${KILN_SECCOMP_C}
  COMMAND ${CMAKE_COMMAND} -DIN=${KILN_SECCOMP_JSON} -DOUT=${KILN_SECCOMP_C}
          -P ${CMAKE_SOURCE_DIR}/builder/sandbox/embed.cmake
  DEPENDS ${KILN_SECCOMP_JSON} ${CMAKE_SOURCE_DIR}/builder/sandbox/embed.cmake
  COMMENT "Embedding the seccomp profile")
target_sources(kiln_builder PRIVATE ${KILN_SECCOMP_C})
if(NOT SECCOMP_FOUND)
  message(FATAL_ERROR "libseccomp (libseccomp-dev) is required for the sandbox")
endif()
