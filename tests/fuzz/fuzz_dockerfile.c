/* libFuzzer target: the Dockerfile parser and the variable expander. */
#include "fuzz_entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_dockerfile_entry(data, size);
}
