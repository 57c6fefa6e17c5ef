"""The code a deployment runs: its repository at its version's commit, fetched by an init
container into a volume the app's container mounts (Odoo: its addons path).

The init container runs git from ``Source.image`` (``alpine/git`` by default, which has ``sh``,
git and ssh). It fetches only the commit (``--depth 1``; where the server refuses to send a commit
by id, the branch, then checks the commit out), and keeps no ``.git``. Credentials come from the
deployment's ``<name>-source`` Secret: a token through git's askpass (an environment variable read
by a script, never on a command line), or an SSH key with the server's known host keys, mounted
read-only (ssh refuses unknown hosts).
"""
from __future__ import annotations

from ..spec import DeploymentSpec
from . import common
from .common import Obj

VOLUME = "source"
CREDENTIALS = "source-credentials"
CREDENTIALS_PATH = "/etc/eyrie-git"
# Runs in the init container: GIT_URL, GIT_COMMIT, GIT_BRANCH and the target directory ($1) are
# given; nothing of them is interpolated into the script itself.
FETCH = r"""set -eu
HOME=$(mktemp -d)
export HOME GIT_TERMINAL_PROMPT=0
if [ -n "${GIT_TOKEN:-}" ]; then
  printf '#!/bin/sh\ncase "$1" in Username*) echo "$GIT_USERNAME" ;; *) echo "$GIT_TOKEN" ;; esac\n' >"$HOME/askpass"
  chmod 700 "$HOME/askpass"
  export GIT_ASKPASS="$HOME/askpass"
fi
keys=/etc/eyrie-git
if [ -f "$keys/ssh_key" ]; then
  export GIT_SSH_COMMAND="ssh -F /dev/null -i $keys/ssh_key -o IdentitiesOnly=yes -o BatchMode=yes \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$keys/known_hosts"
fi
# The volume outlives a failed attempt of this container: start from an empty one.
find "$1" -mindepth 1 -delete
cd "$1"
git init -q . && git remote add origin "$GIT_URL"
git fetch -q --depth 1 origin "$GIT_COMMIT" \
  || git fetch -q origin "+refs/heads/$GIT_BRANCH:refs/remotes/origin/$GIT_BRANCH"
git -c advice.detachedHead=false checkout -q "$GIT_COMMIT"
echo "fetched $(git rev-parse HEAD)"
rm -rf .git
"""


def secret_name(spec: DeploymentSpec) -> str:
    return f"{spec.name}-source"


def secret(spec: DeploymentSpec) -> Obj | None:
    """The repository's credentials in the namespace, or None for a public repository."""
    source = spec.source
    if source is None or not (source.token or source.ssh_key):
        return None
    if source.token:
        data = {"username": source.username, "token": source.token}
    else:
        data = {"ssh_key": source.ssh_key.strip() + "\n", "known_hosts": source.known_hosts.strip() + "\n"}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": common.metadata(spec, secret_name(spec)),
        "type": "Opaque",
        "stringData": data,
    }


def init_container(spec: DeploymentSpec, path: str) -> Obj | None:
    """The container that fills the ``source`` volume (mounted at ``path``), or None without code."""
    source = spec.source
    if source is None:
        return None
    env: list[Obj] = [
        {"name": "GIT_URL", "value": source.url},
        {"name": "GIT_COMMIT", "value": source.commit},
        {"name": "GIT_BRANCH", "value": source.branch or source.commit},
    ]
    mounts: list[Obj] = [{"name": VOLUME, "mountPath": path}]
    if source.token:
        env += [_secret_env("GIT_USERNAME", spec, "username"), _secret_env("GIT_TOKEN", spec, "token")]
    if source.ssh_key:
        mounts.append({"name": CREDENTIALS, "mountPath": CREDENTIALS_PATH, "readOnly": True})
    return {
        "name": "fetch-source",
        "image": source.image,
        "command": ["/bin/sh", "-c", FETCH, "fetch-source", path],
        "env": env,
        "volumeMounts": mounts,
    }


def volumes(spec: DeploymentSpec) -> list[Obj]:
    """The pod volumes the code needs: an emptyDir for it, the SSH credentials where used."""
    if spec.source is None:
        return []
    result: list[Obj] = [{"name": VOLUME, "emptyDir": {}}]
    if spec.source.ssh_key:
        # 0400: ssh refuses a key others may read; the init container runs as the image's root.
        result.append({"name": CREDENTIALS, "secret": {"secretName": secret_name(spec), "defaultMode": 0o400}})
    return result


def _secret_env(name: str, spec: DeploymentSpec, key: str) -> Obj:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret_name(spec), "key": key}}}
