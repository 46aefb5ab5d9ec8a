#!/usr/bin/env bash
# examples/ci (issue 15, section 2): the GitHub Actions workflow, the GitLab CI job and its
# runner's configuration, and the Kubernetes Job parse (YAML with python3-yaml, TOML with
# tomllib) and hold what CI needs: kiln build with --push, SBOM and provenance, the cache shared
# through a registry; the container started unprivileged with what kiln needs (a user namespace
# or its image's non-root user, /proc unmasked, /dev/net/tun, no privileged mode). Each kiln
# command line, its variables filled in, is then run by this kiln with --check: every flag
# and value must be one kiln accepts (nothing is built or pushed).
source "$(dirname "$0")/lib/common.sh"

python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed (Debian package python3-yaml)"
python3 -c 'import tomllib' 2>/dev/null || skip "python3 has no tomllib (Python 3.11+)"
mkdir -p "$T/ctx"
printf 'FROM scratch\nCOPY app /app\nUSER 10001\nENTRYPOINT ["/app"]\n' >"$T/ctx/Dockerfile"
echo app >"$T/ctx/app"

python3 - "$KILN_SRC/examples/ci" "$KILN" "$T/ctx" "$T" <<'PY'
import json, os, re, shlex, subprocess, sys, tomllib
import yaml

ex, kiln, ctx, tmp = sys.argv[1:5]
failures = []
n = 0


def ok(msg):
    global n
    n += 1
    print(f"ok {n} - {msg}")


def need(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg, file=sys.stderr)
        sys.exit(1)


def fill(text, env):
    """${{ expr }}, ${VAR} and $VAR replaced from env (every one must be known)."""
    text = re.sub(r"\$\{\{\s*([^}]+?)\s*\}\}", lambda m: env[m.group(1)], text)
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: env[m.group(1)], text)


def kiln_args(args):
    """kiln build ARGS: the flags CI needs, then this kiln must accept them (--check)."""
    joined = " ".join(args)
    for flag in ("--push", "--sbom", "--provenance"):
        need(flag in args, f"no {flag} in: {joined}")
    need(re.search(r"--cache-from[= ]type=registry,ref=", joined), f"no registry --cache-from: {joined}")
    need(re.search(r"--cache-to[= ]type=registry,ref=[^ ]+,mode=max", joined), f"no registry --cache-to: {joined}")
    r = subprocess.run([kiln, "build", "--check"] + args, capture_output=True, text=True)
    need(r.returncode == 0, f"kiln build --check {joined}: exit {r.returncode}: {r.stderr.strip()}")


def load_yaml(name):
    with open(os.path.join(ex, name)) as f:
        return yaml.safe_load(f)


# --- GitHub Actions ---
wf = load_yaml("github-actions.yml")
on = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare on as true
need(isinstance(on, dict) and "push" in on, "github: no push trigger")
need(wf["permissions"].get("packages") == "write", "github: no packages: write permission")
steps = wf["jobs"]["build"]["steps"]
need(any(s.get("uses", "").startswith("actions/checkout@") for s in steps), "github: no checkout")
runs = [s["run"] for s in steps if "docker run" in s.get("run", "")]
need(len(runs) == 1, "github: one docker run step")
words = shlex.split(runs[0].replace("\\\n", " "))
for opt in ("seccomp=unconfined", "apparmor=unconfined", "systempaths=unconfined"):
    need(opt in words and words[words.index(opt) - 1] == "--security-opt", f"github: no --security-opt {opt}")
need("--privileged" not in words, "github: a privileged container")
need(words[words.index("--device") + 1] == "/dev/net/tun", "github: no --device /dev/net/tun")
need("--user" not in words, "github: kiln's image user (uid 1000, its subordinate ids) replaced")
img = words.index("$KILN_IMAGE")
need(words[img + 1] == "build", "github: kiln build after the image")
env = {"IMAGE": "ghcr.io/team/app", "github.sha": "0123abcd"}
args = [fill(w, env) for w in words[img + 2:]]
args = [os.path.join(tmp, "gh-metadata.json") if a == "/out/metadata.json" else a for a in args]
need(args[-1] == "/src", "github: the context is the checkout")
kiln_args(args[:-1] + [ctx])
ok("github-actions.yml: a workflow whose step runs kiln's image unprivileged (seccomp, AppArmor, "
   "/proc, tun) with build --push --sbom --provenance and a registry cache, flags kiln accepts")

# --- GitLab CI and its runner ---
gl = load_yaml("gitlab-ci.yml")
job = gl["build-image"]
need("kiln" in job["image"]["name"] and job["image"]["entrypoint"] == [""], "gitlab: kiln's image, no entrypoint")
cmds = [c for c in job["script"] if c.startswith("kiln build")]
need(len(cmds) == 1, "gitlab: one kiln build in the script")
env = {"CI_REGISTRY_IMAGE": "registry.example.com/team/app", "CI_COMMIT_SHORT_SHA": "0123abcd",
       "CACHE_REF": fill(job["variables"]["CACHE_REF"], {"CI_REGISTRY_IMAGE": "registry.example.com/team/app"})}
words = [fill(w, env) for w in shlex.split(cmds[0])][2:]
words = [os.path.join(tmp, "gl-metadata.json") if a == "metadata.json" else a for a in words]
need(words[-1] == ".", "gitlab: the context is the project")
kiln_args(words[:-1] + [ctx])
need("metadata.json" in job["artifacts"]["paths"], "gitlab: the metadata file as an artifact")
with open(os.path.join(ex, "gitlab-runner.toml"), "rb") as f:
    runner = tomllib.load(f)["runners"][0]
dk = runner["docker"]
need(runner["executor"] == "docker" and dk["privileged"] is False, "gitlab runner: not privileged")
need({"seccomp=unconfined", "apparmor=unconfined", "systempaths=unconfined"} <= set(dk["security_opt"]),
     "gitlab runner: security_opt")
need(dk["devices"] == ["/dev/net/tun"], "gitlab runner: /dev/net/tun")
ok("gitlab-ci.yml and gitlab-runner.toml: the job runs kiln build --push --sbom --provenance with a "
   "registry cache (flags kiln accepts) on an unprivileged runner")

# --- Kubernetes Job ---
job = load_yaml("kubernetes-job.yaml")
need(job["apiVersion"] == "batch/v1" and job["kind"] == "Job", "kubernetes: a batch/v1 Job")
pod = job["spec"]["template"]["spec"]
need(pod["hostUsers"] is False, "kubernetes: hostUsers: false (a user namespace)")
need(pod["restartPolicy"] == "Never", "kubernetes: restartPolicy Never")
for c in pod.get("initContainers", []) + pod["containers"]:
    sc = c.get("securityContext", {})
    need(not sc.get("privileged", False), f"kubernetes: {c['name']} privileged")
    need("add" not in sc.get("capabilities", {}), f"kubernetes: {c['name']} adds capabilities")
k = [c for c in pod["containers"] if c["name"] == "kiln"][0]
sc = k["securityContext"]
need(sc["runAsNonRoot"] is True and sc["runAsUser"] == 1000, "kubernetes: kiln as uid 1000, non-root")
need(sc["procMount"] == "Unmasked", "kubernetes: procMount Unmasked")
need(sc["seccompProfile"]["type"] == "Unconfined", "kubernetes: seccompProfile")
need(sc["allowPrivilegeEscalation"] is True, "kubernetes: newuidmap's file capabilities need allowPrivilegeEscalation")
need("drop" not in sc.get("capabilities", {}), "kubernetes: dropped capabilities (steps get fewer)")
mounts = {m["mountPath"]: m["name"] for m in k["volumeMounts"]}
vols = {v["name"]: v for v in pod["volumes"]}
need("emptyDir" in vols[mounts["/var/lib/kiln"]], "kubernetes: the store on an emptyDir at /var/lib/kiln")
need(vols[mounts["/dev/net/tun"]]["hostPath"]["type"] == "CharDevice", "kubernetes: /dev/net/tun")
need(k["args"][0] == "build" and k["args"][-1] == "/workspace", "kubernetes: kiln build /workspace")
kiln_args(k["args"][1:-1] + [ctx])
ok("kubernetes-job.yaml: a Job in a user namespace (hostUsers: false), unprivileged, /proc unmasked, "
   "the store on an emptyDir, kiln build --push --sbom --provenance with a registry cache")
PY
