/* The leak check (leakcheck.c; DESIGN.md, Secrets). Every layer of every stage is scanned once:
 * while its step writes it (layer_writer_scan with leakcheck_scanner), so a leaking layer never
 * reaches the store, or when a step takes it from the cache (leakcheck_cached). Before
 * anything is written the exporter scans the config, annotations and attestations.
 * Each fails with KILN_ELEAK, "secret 'ID' found in WHAT", when a secret of the build (its
 * bytes, hex or base64) is in what it scans; with no secrets they return 0 at once. */
#ifndef KILN_ENGINE_LEAKCHECK_H
#define KILN_ENGINE_LEAKCHECK_H

#include <jansson.h>
#include <stddef.h>

#include "kiln/error.h"
#include "oci/image.h"
#include "scan/leakscan.h"
#include "secrets.h"
#include "strset.h"

struct build;
struct build_stage;
struct step_record;

struct build_leak {
    struct secrets *secrets; /* --secret values, loaded before anything else */
    struct strset scanned;   /* cached layers the leak scan has seen in this build (b->lock) */
    char **new_layers;       /* blobs this build created, removed again on a leak (b->lock) */
    size_t nnew_layers;
};

/* Reads every --secret (a missing one fails the build before anything runs) and warns about
 * those too short to be scanned. */
int leakcheck_load(struct build *b, kiln_error_t **err);
/* The scanner for layer_writer_scan, or NULL when the build has no secret to look for. */
const struct leakscan *leakcheck_scanner(struct build *b);
/* A blob held in memory: an attestation (SBOM, provenance) or any other document the exporter
 * writes. what names it in the message ("the SPDX SBOM"). */
int leakcheck_blob(struct build *b, const char *what, const void *p, size_t n, kiln_error_t **err);
/* The same for a blob already in the store (read in chunks, never whole). */
int leakcheck_stored(struct build *b, const char *what, const char *digest, kiln_error_t **err);
/* A layer a step of st takes from the step cache (this store's or --cache-from's), entry by
 * entry, once per build: "step cache: ... found in layer INDEX (path P)", INDEX being the place
 * it would take in the image. A leak removes the blob, its snapshot and the record of key. */
int leakcheck_cached(struct build *b, struct build_stage *st, const char *key,
                     const struct step_record *r, kiln_error_t **err);
/* The final image before it is committed: the config and the manifest annotations (may be
 * NULL); its layers were scanned when they were committed. */
int leakcheck_image(struct build *b, struct build_stage *final, json_t *annotations,
                    kiln_error_t **err);
/* The in-toto statements of the attestation manifests in top (an index made by
 * attestations_attach; an image manifest has none): "... found in the attestation
 * PREDICATE-TYPE". The blobs of a leaking attestation and the index are removed. */
int leakcheck_attestations(struct build *b, const struct oci_desc *top, kiln_error_t **err);
/* Records a layer blob this build created. */
void leakcheck_note_layer(struct build *b, const char *digest);
/* After a leak: removes every layer blob of this build, and its snapshot, from the store. */
void leakcheck_drop_layers(struct build *b);
void leakcheck_release(struct build_leak *l);

#endif
