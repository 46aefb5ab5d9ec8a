"""Reading OCI layouts in the integration tests: the image of the first index.json entry,
through the nested index when the image carries attestations (as BuildKit writes it)."""
import json


def blob(layout, digest):
    return json.load(open(layout + "/blobs/sha256/" + digest.split(":", 1)[1]))


def image_descriptor(layout, entry=0):
    d = json.load(open(layout + "/index.json"))["manifests"][entry]
    if d["mediaType"].endswith("image.index.v1+json"):
        idx = blob(layout, d["digest"])
        d = [m for m in idx["manifests"]
             if "vnd.docker.reference.type" not in m.get("annotations", {})][0]
    return d


def image_manifest(layout, entry=0):
    return blob(layout, image_descriptor(layout, entry)["digest"])


def image_config(layout, entry=0):
    return blob(layout, image_manifest(layout, entry)["config"]["digest"])


def attestations(layout, entry=0):
    """The in-toto statements attached to the image, by predicate type."""
    d = json.load(open(layout + "/index.json"))["manifests"][entry]
    out = {}
    if not d["mediaType"].endswith("image.index.v1+json"):
        return out
    for m in blob(layout, d["digest"])["manifests"]:
        if m.get("annotations", {}).get("vnd.docker.reference.type") == "attestation-manifest":
            for l in blob(layout, m["digest"])["layers"]:
                st = blob(layout, l["digest"])
                out[st["predicateType"]] = st
    return out
