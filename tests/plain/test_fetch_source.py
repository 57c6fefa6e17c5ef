"""The init container's fetch script, run with sh and real git against a repository served over
HTTP: what the pod's volume holds afterwards, as the container would leave it."""

import os
import subprocess

import pytest

from eyrie.tests.git_server import GitServer
from eyrie_books.k8s import Source
from eyrie_books.k8s.builders import odoo, source
from eyrie_books.k8s.tests.factories import make_spec

TOKEN = "fetch-token-value"


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    with GitServer(tmp_path_factory.mktemp("git"), token=TOKEN) as server:
        server.work = server.repository("addons")
        server.first = server.commit(server.work, "first", files={"sale_x/__manifest__.py": "{}"})
        server.second = server.commit(server.work, "second", files={"sale_x/models.py": "x = 1"})
        yield server


def fetch(remote, target, commit, token=TOKEN, branch="main"):
    """Run the init container of an odoo spec's pod as the kubelet would: its command and env."""
    spec = make_spec("odoo", settings={"db_secret": "db-pguser-odoo"},
                     source=Source(f"{remote.url}/addons.git", commit, branch, token=token))
    container = odoo.deployment(spec)["spec"]["template"]["spec"]["initContainers"][0]
    secret = source.secret(spec)["stringData"]
    env = {"PATH": os.environ["PATH"]}
    for var in container["env"]:
        env[var["name"]] = var["value"] if "value" in var else secret[var["valueFrom"]["secretKeyRef"]["key"]]
    command = [*container["command"][:-1], str(target)]  # the volume's mount path, here a directory
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def test_the_volume_holds_the_version_commit_and_no_git_metadata(remote, tmp_path):
    result = fetch(remote, tmp_path, remote.first)
    assert result.returncode == 0, result.stderr
    assert f"fetched {remote.first}" in result.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == ["sale_x"]
    assert not (tmp_path / "sale_x" / "models.py").exists()
    assert not (tmp_path / ".git").exists()


def test_a_retried_fetch_starts_from_an_empty_volume(remote, tmp_path):
    (tmp_path / "stale.py").write_text("left by a failed attempt")
    assert fetch(remote, tmp_path, remote.second).returncode == 0
    assert (tmp_path / "sale_x" / "models.py").read_text() == "x = 1"
    assert not (tmp_path / "stale.py").exists()


def test_wrong_credentials_fail_the_container_without_printing_them(remote, tmp_path):
    result = fetch(remote, tmp_path, remote.second, token="wrong-token-value")
    assert result.returncode != 0
    assert "wrong-token-value" not in result.stdout + result.stderr
    assert not (tmp_path / "sale_x").exists()  # the container fails: the pod does not start
