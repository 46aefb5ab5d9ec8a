/* The fuzzed entry points, shared by the libFuzzer targets (tests/fuzz) and the corpus replay
 * that runs in the normal test suite (tests/fuzz-replay). Each returns 0; a bug shows as a
 * crash or a sanitizer report. */
#ifndef KILN_TESTS_FUZZ_ENTRY_H
#define KILN_TESTS_FUZZ_ENTRY_H

#include <stddef.h>
#include <stdint.h>

/* The Dockerfile parser (both levels, dump), stage plan, ARG/ENV scoping and expansion of
 * every expandable part, mounts, EXPOSE, and the shell lexer on the raw input. */
int fuzz_dockerfile_entry(const uint8_t *data, size_t size);
/* The .dockerignore parser and matcher, with paths taken from the input. */
int fuzz_dockerignore_entry(const uint8_t *data, size_t size);

#endif
