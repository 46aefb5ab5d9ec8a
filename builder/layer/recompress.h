/* Another compression of a stored layer, for --output force-compression=true: the layer's tar
 * stream is read out of its blob (gzip, zstd or none), must hash to its diff_id, and is written
 * again as a new blob in the requested compression. The tar itself, and so the diff_id, the
 * image config and every file, stay the same; only the blob and its digest change. */
#ifndef KILN_LAYER_RECOMPRESS_H
#define KILN_LAYER_RECOMPRESS_H

#include "layer_writer.h"

/* res: the new blob (digest, size, media type) and the diff_id. KILN_ECORRUPT when the blob's
 * content does not hash to diff_id; KILN_ELIMIT past max_bytes of tar (0: no bound). */
int layer_recompress(struct store *s, const char *digest, const char *diff_id,
                     enum layer_compression comp, int level, uint64_t max_bytes,
                     struct layer_result *res, kiln_error_t **err);

#endif
