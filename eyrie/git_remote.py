"""Asking a git remote what a branch points at, with real git and nothing of the server's own.

Plain Python (no Odoo import). A :class:`Remote` is a clone URL and the credentials to reach it (a
token for https, or an SSH deploy key with the server's known host key). :func:`resolve_branch`
runs ``git ls-remote`` in a throw-away home: the Odoo server's git configuration, credential
helpers, SSH agent and keys are never used, only the transports a hosted repository needs are
allowed (``file://``, local paths and ``ext::`` would read the server's disk or run commands), and
credentials reach git through its askpass and ssh options, never on a command line or in a message.

>>> check_clone_url("https://github.com/acme/addons.git")
>>> check_clone_url("git@github.com:acme/addons.git")
>>> check_clone_url("file:///etc")
'use an https://, http://, ssh:// or user@host:path URL'
>>> check_clone_url("ext::sh -c touch% /tmp/x")
'use an https://, http://, ssh:// or user@host:path URL'
>>> check_clone_url("ssh://-oProxyCommand=x/repo")
'the host must be a host name'
>>> check_clone_url("https://bot:s3cret@git.example.com/acme/addons.git")
"put the password or token in the repository's credentials, not in its URL"
"""

import dataclasses
import os
import re
import shlex
import signal
import subprocess
import tempfile
from pathlib import Path

# Transports a hosted repository is reached by; git is told to refuse every other one too.
ALLOWED_PROTOCOLS = ("https", "http", "ssh")
_URL = re.compile(r"(?P<scheme>https?|ssh)://(?:(?P<user>[^@/\s]+)@)?(?P<host>[^/\s:]+|\[[0-9a-fA-F:]+\])(?::\d+)?/\S+")
# scp-like "user@host:path"; git reads a "host:path" with a slash before the colon as a local path.
_SCP = re.compile(r"[\w.-]+@(?P<host>[^/\s:]+):(?!/)\S+")
_HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9a-fA-F:]+\]")
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
# What git and ssh say when the remote refuses, or cannot be reached: the reason shown to the user.
_FAILURES = (
    (re.compile(r"Authentication failed|could not read (Username|Password)|terminal prompts disabled"
                r"|Permission denied|\b40[13]\b"), "the repository refused the credentials"),
    (re.compile(r"Host key verification failed|No \w+ host key is known"),
     "the server's host key is not the known host key given for this repository"),
    (re.compile(r"[Rr]epository not found|does not appear to be a git repository|\b404\b|not found"),
     "no repository at this URL (or the credentials cannot see it)"),
    (re.compile(r"Could not resolve host|Name or service not known|nodename nor servname"),
     "the server's host name does not resolve"),
    (re.compile(r"Connection refused|Failed to connect|Connection timed out|No route to host|Network is unreachable"),
     "the server cannot be reached"),
)


class GitError(Exception):
    """The remote could not say what the branch points at; ``str()`` says why, without secrets."""


@dataclasses.dataclass(frozen=True)
class Remote:
    url: str
    token: str = dataclasses.field(default="", repr=False)
    username: str = "git"
    ssh_key: str = dataclasses.field(default="", repr=False)
    known_hosts: str = ""


def check_clone_url(url):
    """Reason why ``url`` is not a clone URL Eyrie may use, or None."""
    match = _URL.fullmatch(url or "") or _SCP.fullmatch(url or "")
    if not match:
        return "use an https://, http://, ssh:// or user@host:path URL"
    if not _HOST.fullmatch(match["host"]):
        return "the host must be a host name"
    if ":" in (match.groupdict().get("user") or ""):
        return "put the password or token in the repository's credentials, not in its URL"
    return None


def resolve_branch(remote, branch, timeout=30):
    """The commit id that ``branch`` points at on ``remote``; raises :class:`GitError`."""
    reason = check_clone_url(remote.url)
    if reason:
        raise GitError(f"the repository URL is not usable: {reason}")
    ref = f"refs/heads/{branch}"
    result = _git(remote, ["ls-remote", "--exit-code", remote.url, ref], timeout)
    if result.returncode == 2:
        raise GitError(f"the repository has no branch {branch!r}")
    if result.returncode:
        raise GitError(_failure(result.stderr, remote))
    for line in result.stdout.splitlines():
        sha, _, name = line.partition("\t")
        if name == ref and _SHA.fullmatch(sha):
            return sha
    raise GitError(f"the repository has no branch {branch!r}")


def changed_modules(remote, branch, old, new, timeout=120):
    """The Odoo modules (top-level folders with a ``__manifest__.py`` at ``new``) that differ
    between commits ``old`` and ``new`` of ``branch``; every module of ``new`` when ``old`` is not in
    the branch's history (a first deploy, a force push). Only commits and trees are fetched
    (``--filter=blob:none``), not the files' contents. Raises :class:`GitError`."""
    with tempfile.TemporaryDirectory(prefix="eyrie-repo-") as repo:
        def git(*args):
            result = _git(remote, ["-C", repo, *args], timeout)
            if result.returncode:
                raise GitError(_failure(result.stderr, remote))
            return result.stdout

        git("init", "-q", "--bare")
        git("remote", "add", "origin", remote.url)
        git("fetch", "-q", "--filter=blob:none", "--no-tags", "origin", f"+refs/heads/{branch}:refs/heads/{branch}")
        if not _SHA.fullmatch(new) or _git(remote, ["-C", repo, "cat-file", "-e", f"{new}^{{commit}}"],
                                           timeout).returncode:
            raise GitError(f"commit {new} is not in branch {branch!r}")
        modules = {path.split("/")[0] for path in git("ls-tree", "-r", "--name-only", new).split("\n")
                   if path.count("/") == 1 and path.endswith("/__manifest__.py")}
        known = _SHA.fullmatch(old or "") and not _git(
            remote, ["-C", repo, "merge-base", "--is-ancestor", old, new], timeout,
        ).returncode
        if not known:
            return sorted(modules)
        changed = git("diff", "--name-only", "--no-renames", old, new).split("\n")
        return sorted(modules & {path.split("/")[0] for path in changed if "/" in path})


def _git(remote, args, timeout):
    with tempfile.TemporaryDirectory(prefix="eyrie-git-") as home:
        home = Path(home)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C",
            "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0",
            "GIT_ASKPASS": str(_write(home / "askpass", _ASKPASS, 0o700)),
            "EYRIE_GIT_USERNAME": remote.username or "git", "EYRIE_GIT_TOKEN": remote.token,
            "GIT_SSH_COMMAND": _ssh_command(remote, home, timeout),
        }
        config = ["-c", "protocol.allow=never", "-c", "credential.helper=",
                  *(arg for name in ALLOWED_PROTOCOLS for arg in ("-c", f"protocol.{name}.allow=always"))]
        process = subprocess.Popen(
            ["git", *config, *args], env=env, cwd=home, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # git and the ssh or https helper it started
            process.communicate()
            raise GitError(f"the repository did not answer within {timeout} seconds") from None
        return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)


# git asks its askpass program for the username, then the password: answered from the environment.
_ASKPASS = """#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "$EYRIE_GIT_USERNAME" ;;
  *) printf '%s\\n' "$EYRIE_GIT_TOKEN" ;;
esac
"""


def _write(path, text, mode):
    path.write_text(text)
    path.chmod(mode)
    return path


def _ssh_command(remote, home, timeout):
    """ssh with only this repository's key and known host key: no agent, config or default keys."""
    known_hosts = _write(home / "known_hosts", remote.known_hosts.strip() + "\n", 0o600)
    options = [
        "ssh", "-F", os.devnull, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
        "-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={known_hosts}",
        "-o", f"ConnectTimeout={timeout}",
    ]
    if remote.ssh_key:
        key = _write(home / "id_deploy", remote.ssh_key.strip() + "\n", 0o600)
        options += ["-i", str(key)]
    return shlex.join(options)


def _failure(stderr, remote):
    """The reason for a failed git call: a known cause, else git's last line, secrets removed."""
    for pattern, reason in _FAILURES:
        if pattern.search(stderr):
            return reason
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    text = lines[-1] if lines else "git failed without saying why"
    for secret in (remote.token, remote.ssh_key):
        if secret:
            text = text.replace(secret, "***")
    return text[:300]
