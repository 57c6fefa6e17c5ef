"""Branch resolution with real git against a git remote served over HTTP on 127.0.0.1."""

import os
import socket

import pytest

from eyrie.git_remote import GitError, Remote, changed_modules, resolve_branch
from eyrie.tests.git_server import GitServer

TOKEN = "glpat-s3cret-token-value"


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    with GitServer(tmp_path_factory.mktemp("git"), token=TOKEN) as server:
        server.work = server.repository("addons")
        yield server


def test_branch_resolves_to_its_head(remote):
    first = remote.commit(remote.work, "first")
    assert resolve_branch(Remote(f"{remote.url}/addons.git", token=TOKEN), "main") == first
    second = remote.commit(remote.work, "second")
    feature = remote.commit(remote.work, "feature", branch="feature/login")
    origin = Remote(f"{remote.url}/addons.git", token=TOKEN)
    assert resolve_branch(origin, "main") == second
    assert resolve_branch(origin, "feature/login") == feature


def test_only_the_exact_branch_matches(remote):
    remote.commit(remote.work, "release", branch="release/19.0")
    with pytest.raises(GitError, match=r"no branch '19\.0'"):
        resolve_branch(Remote(f"{remote.url}/addons.git", token=TOKEN), "19.0")


def test_wrong_or_missing_credentials_are_refused_without_showing_them(remote):
    remote.commit(remote.work, "guarded")
    for token in ("wrong-token-value", ""):
        with pytest.raises(GitError) as refused:
            resolve_branch(Remote(f"{remote.url}/addons.git", token=token), "main")
        assert str(refused.value) == "the repository refused the credentials"
        assert not token or token not in str(refused.value)


def test_unknown_repository_and_unreachable_server(remote, tmp_path):
    with pytest.raises(GitError, match="no repository at this URL"):
        resolve_branch(Remote(f"{remote.url}/missing.git", token=TOKEN), "main")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    with pytest.raises(GitError, match="cannot be reached"):
        resolve_branch(Remote(f"http://127.0.0.1:{closed}/addons.git"), "main")


def test_a_silent_server_times_out(tmp_path):
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(GitError, match="did not answer within 2 seconds"):
            resolve_branch(Remote(f"http://127.0.0.1:{port}/addons.git"), "main", timeout=2)


@pytest.mark.parametrize("url", [
    "file:///etc", "/srv/git/addons.git", "ext::sh -c id", "fd::3", "ssh://-oProxyCommand=touch%20x/r",
    "https://bot:pw@example.com/a.git",
])
def test_unsafe_urls_never_reach_git(url, tmp_path, monkeypatch):
    trace = tmp_path / "trace"
    monkeypatch.setenv("PATH", f"{_fake_git(tmp_path, trace)}:{os.environ['PATH']}")
    with pytest.raises(GitError, match="the repository URL is not usable"):
        resolve_branch(Remote(url), "main")
    assert not trace.exists()


def test_server_git_configuration_and_keys_are_not_used(remote, tmp_path, monkeypatch):
    """A credential helper in the server's own git configuration would answer for any host: it
    must not be asked, and the server's HOME is not where git looks."""
    home = tmp_path / "home"
    home.mkdir()
    asked = tmp_path / "asked"
    (home / ".gitconfig").write_text(f"[credential]\n\thelper = !touch {asked}; echo password={TOKEN}\n")
    monkeypatch.setenv("HOME", str(home))
    with pytest.raises(GitError, match="refused the credentials"):
        resolve_branch(Remote(f"{remote.url}/addons.git"), "main")
    assert not asked.exists()


def _fake_git(tmp_path, trace):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "git"
    fake.write_text(f"#!/bin/sh\ntouch {trace}\nexit 1\n")
    fake.chmod(0o755)
    return bin_dir


def test_changed_modules_are_the_addons_a_commit_changed(remote):
    work = remote.repository("modules")
    origin = Remote(f"{remote.url}/modules.git", token=TOKEN)
    manifest = "{'name': 'x'}"
    first = remote.commit(work, "two modules", files={
        "sale_x/__manifest__.py": manifest, "sale_x/models.py": "a", "stock_y/__manifest__.py": manifest,
        "README.md": "hello", "docs/index.md": "no manifest here",
    })
    assert changed_modules(origin, "main", "", first) == ["sale_x", "stock_y"]  # first deploy: all
    second = remote.commit(work, "sale changes", files={"sale_x/models.py": "b", "docs/index.md": "x",
                                                         "README.md": "bye"})
    assert changed_modules(origin, "main", first, second) == ["sale_x"]
    third = remote.commit(work, "a new module", files={"crm_z/__manifest__.py": manifest})
    assert changed_modules(origin, "main", first, third) == ["crm_z", "sale_x"]
    # A commit the branch does not have (history rewritten): every module.
    assert changed_modules(origin, "main", "1" * 40, third) == ["crm_z", "sale_x", "stock_y"]
    with pytest.raises(GitError, match="is not in branch"):
        changed_modules(origin, "main", first, "2" * 40)
    with pytest.raises(GitError, match="refused the credentials"):
        changed_modules(Remote(origin.url, token="nope"), "main", first, third)
