/* A cleanup attribute for jansson references held in locals (see common/cleanup.h). */
#ifndef KILN_SBOM_JSONUTIL_H
#define KILN_SBOM_JSONUTIL_H

#include <jansson.h>

static inline void jsonutil_decrefp(json_t **j)
{
    json_decref(*j);
}
#define cleanup_json __attribute__((cleanup(jsonutil_decrefp)))

#endif
