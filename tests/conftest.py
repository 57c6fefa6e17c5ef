"""End-to-end fixtures: a real Odoo server on a free loopback port, serving the database that
``bin/eyrie test`` installed (``EYRIE_TEST_DB``), and credentials to drive it by RPC."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADMIN = ("admin", "admin")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def odoo_shell(db, code):
    """Run ``code`` in an Odoo shell on ``db`` and return what it printed."""
    result = subprocess.run(
        [sys.executable, "-m", "odoo", "shell", "-c", "odoo.conf", "-d", db, "--no-http", "--log-level=warn"],
        input=code, capture_output=True, text=True, cwd=ROOT, check=True,
    )
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def db():
    name = os.environ.get("EYRIE_TEST_DB")
    if not name:
        pytest.skip("EYRIE_TEST_DB is not set: run these through 'bin/eyrie test'")
    return name


@pytest.fixture(scope="session")
def server(db, tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("odoo") / "server.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "odoo", "-c", "odoo.conf", "-d", db, f"--db-filter=^{db}$",
             f"--http-port={port}", "--log-level=warn"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/web/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Odoo did not start:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="session")
def api_key(db):
    """A JSON-2 API key of the admin user, made the way Odoo's preferences make one."""
    return odoo_shell(db, (
        "admin = env.ref('base.user_admin')\n"
        "key = env['res.users.apikeys'].with_user(admin)._generate('rpc', 'eyrie e2e', None)\n"
        "env.cr.commit()\n"
        "print(key)\n"
    ))
