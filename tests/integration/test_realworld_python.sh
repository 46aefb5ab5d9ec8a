#!/usr/bin/env bash
# Realistic Dockerfile 3: a Python app installed with pip into a venv in a builder stage, the
# venv copied into the final stage. The image must run it with valid bytecode: every module the
# app imports (the standard library from the python3 package, the app from pip) loads its
# __pycache__ .pyc as it is (the source's mtime and size, or its hash, match), so nothing is
# recompiled at each start as it would be after a build that rewrote the files' mtimes.
# ctest-labels: realworld;network
# ctest-timeout: 1800
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/realworld.sh"
rw_setup

mkdir -p "$T/py/src/greet"
cat >"$T/py/src/pyproject.toml" <<'TOML'
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "greet"
version = "1.0"

[project.scripts]
greet = "greet.cli:main"
TOML
cat >"$T/py/src/greet/__init__.py" <<'PY'
"""A tiny app: its own module and a few of the standard library's."""
PY
cat >"$T/py/src/greet/cli.py" <<'PY'
import argparse
import json
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("name", nargs="?", default="world")
    a = p.parse_args()
    print(json.dumps({"hello": a.name, "python": "%d.%d" % sys.version_info[:2]}))
PY
# runs in the image: imports what the app imports, then checks the .pyc of every loaded module
cat >"$T/py/check_pyc.py" <<'PY'
import importlib.util, os, sys
import argparse, json, email.parser, http.client, logging, greet.cli  # noqa: F401

stale, checked = [], 0
for name, mod in sorted(sys.modules.items()):
    src, pyc = getattr(mod, "__file__", None), getattr(mod, "__cached__", None)
    if not src or not pyc or not src.endswith(".py"):
        continue
    if not os.path.exists(pyc):
        stale.append("%s: no %s" % (name, pyc))
        continue
    head = open(pyc, "rb").read(16)
    flags = int.from_bytes(head[4:8], "little")
    if head[:4] != importlib.util.MAGIC_NUMBER:
        stale.append("%s: bad magic" % name)
    elif flags & 1:  # hash-based: checked against the source, or never (unchecked)
        if flags & 2 and importlib.util.source_hash(open(src, "rb").read()) != head[8:16]:
            stale.append("%s: source hash differs" % name)
    else:
        st = os.stat(src)
        mtime, size = int.from_bytes(head[8:12], "little"), int.from_bytes(head[12:16], "little")
        if mtime != int(st.st_mtime) & 0xFFFFFFFF or size != st.st_size & 0xFFFFFFFF:
            stale.append("%s: pyc for mtime %d size %d, source has %d %d"
                         % (name, mtime, size, int(st.st_mtime), st.st_size))
    checked += 1
print("checked %d" % checked)
for s in stale:
    print("stale " + s)
PY
cat >"$T/py/Dockerfile" <<'DF'
FROM debian:bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv python3-wheel \
 && rm -rf /var/lib/apt/lists/*
# the system's wheel builds the app's wheel (pip --no-build-isolation, no index)
RUN python3 -m venv --system-site-packages /opt/venv
COPY src/ /src/
RUN /opt/venv/bin/pip install --no-index --no-build-isolation /src

FROM debian:bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/venv /opt/venv
COPY check_pyc.py /usr/local/share/check_pyc.py
ENV PATH=/opt/venv/bin:$PATH
USER nobody
ENTRYPOINT ["greet"]
DF
rw_build py "$T/py"
ok "pip install into a venv in a builder stage, the venv copied into the final stage"

rw_out py '{"hello": "kiln", "python": "3.11"}' greet kiln
ok "the venv's entry point runs the app with the image's python3"

rw_run py python /usr/local/share/check_pyc.py >"$T/pyc.out" 2>&1 || { cat "$T/pyc.out"; fail "check_pyc.py"; }
n=$(sed -n 's/^checked //p' "$T/pyc.out")
[ "${n:-0}" -ge 40 ] || fail "only ${n:-0} modules checked: $(cat "$T/pyc.out")"
if grep -q '^stale' "$T/pyc.out"; then
  fail "$(grep -c '^stale' "$T/pyc.out") of $n modules would be recompiled at each start: $(grep '^stale' "$T/pyc.out" | head -5 | tr '\n' ';')"
fi
grep -q 'json' <(rw_run py python -c 'import json, sys; print(json.__cached__)') || fail "json has no cached bytecode"
ok "valid bytecode: the $n modules the app loads (stdlib and the app's) use their .pyc as they are"
