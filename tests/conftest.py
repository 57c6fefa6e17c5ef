"""End-to-end fixtures: a real Odoo server on a free loopback port, serving the database that
``bin/eyrie test`` installed (``EYRIE_TEST_DB``), and credentials to drive it by RPC."""

import os
import subprocess
import sys
import time
import urllib.request
import xmlrpc.client
from pathlib import Path

import pytest

from eyrie_books.k8s.tests.kmock_server import RunningCluster, free_port

ROOT = Path(__file__).resolve().parent.parent
ADMIN = ("admin", "admin")


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


class OdooServer:
    """``python -m odoo`` serving ``db`` on a free loopback port, with the queue_job runner."""

    def __init__(self, db, log, options=()):
        self.db, self.log, self.options = db, log, list(options)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self):
        with open(self.log, "a") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "odoo", "-c", "odoo.conf", "-d", self.db, f"--db-filter=^{self.db}$",
                 f"--http-port={self.port}", "--log-level=warn", *self.options],
                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/web/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Odoo did not start:\n{self.log.read_text()[-3000:]}") from None
                time.sleep(0.3)

    def kill(self):
        """SIGKILL: no shutdown, running jobs die mid-step."""
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def odoo_server(db, tmp_path_factory):
    """One server per test module: its job runner is the only one working on the database."""
    odoo = OdooServer(db, tmp_path_factory.mktemp("odoo") / "server.log").start()
    yield odoo
    odoo.stop()


@pytest.fixture(scope="module")
def server(odoo_server):
    return odoo_server.url


class Rpc:
    """An XML-RPC client of ``url`` logged in as admin; each call gets a proxy of its own, so that
    threads can share one client."""

    def __init__(self, url, db):
        self.url, self.db = url, db
        self.uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(db, *ADMIN, {})

    def __call__(self, model, method, *args, **kwargs):
        proxy = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object", allow_none=True)
        return proxy.execute_kw(self.db, self.uid, ADMIN[1], model, method, list(args), kwargs)

    def wait(self, predicate, timeout=60, what="condition"):
        deadline = time.monotonic() + timeout
        while not (result := predicate()):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.3)
        return result

    def press(self, record, button, model="eyrie.deployment"):
        """Press ``button`` (``action_deploy``…) as a user would: "ran", or the refusal's message."""
        try:
            self(model, button, [record])
        except xmlrpc.client.Fault as fault:
            return fault.faultString
        return "ran"


@pytest.fixture(scope="module")
def rpc(server, db):
    client = Rpc(server, db)
    assert client.uid, "admin could not log in by XML-RPC"
    return client


@pytest.fixture(scope="module")
def mock():
    """A kmock Kubernetes API server for the deployments of one test module."""
    with RunningCluster() as running:
        yield running.cluster


@pytest.fixture(scope="session")
def api_key(db):
    """A JSON-2 API key of the admin user, made the way Odoo's preferences make one."""
    return odoo_shell(db, (
        "admin = env.ref('base.user_admin')\n"
        "key = env['res.users.apikeys'].with_user(admin)._generate('rpc', 'eyrie e2e', None)\n"
        "env.cr.commit()\n"
        "print(key)\n"
    ))
