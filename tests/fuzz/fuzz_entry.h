/* The fuzzed entry points, shared by the libFuzzer targets (tests/fuzz) and the corpus replay
 * that runs in the normal test suite (tests/fuzz-replay). Each returns 0; a bug shows as a
 * crash or a sanitizer report. */
#ifndef KILN_TESTS_FUZZ_ENTRY_H
#define KILN_TESTS_FUZZ_ENTRY_H

#include <stddef.h>
#include <stdint.h>

/* The Dockerfile parser (both levels, dump), the shell lexer on the raw input, and the plan
 * as the engine consumes it (frontend/stages.h, expand.h): the global scope, the stage graph
 * with named contexts and a base image's triggers, then each stage the target needs walked
 * step by step (ARG, ENV, expansions, RUN mounts and environment, EXPOSE). */
int fuzz_dockerfile_entry(const uint8_t *data, size_t size);
/* kiln lint (frontend/lint) over the same plan, with build args, a named context and a
 * .dockerignore; the text, JSON and SARIF outputs. */
int fuzz_lint_entry(const uint8_t *data, size_t size);
/* The .dockerignore parser and matcher, with paths taken from the input. */
int fuzz_dockerignore_entry(const uint8_t *data, size_t size);

#endif
