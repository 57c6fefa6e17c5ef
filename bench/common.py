"""What the benchmarks share: a database with the addons, Odoo's registry on it, and figures.

Each benchmark needs Odoo 19 importable and PostgreSQL reachable through libpq's environment.
"""

import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def database_exists(db):
    return subprocess.run(["psql", "-d", db, "-Atc", "select 1"], capture_output=True).returncode == 0


def ensure_database(db, addons, template=None, demo=False):
    """``db`` with ``addons`` installed; copied from ``template`` when given, so a benchmark that
    fills a database starts each run from the same empty one."""
    source = template or db
    if not database_exists(source):
        print(f"creating {source} with {addons}…", flush=True)
        subprocess.run([sys.executable, "-m", "odoo", "-c", "odoo.conf", "-d", source, "-i", addons,
                        *(["--with-demo"] if demo else []), "--stop-after-init", "--log-level=warn"],
                       cwd=ROOT, check=True)
    if template:
        subprocess.run(["dropdb", "--if-exists", db], check=True)
        subprocess.run(["createdb", "-T", template, db], check=True)


def registry(db, *options):
    """Odoo's registry of ``db``, configured from the repository's odoo.conf."""
    from odoo.modules.registry import Registry  # noqa: PLC0415
    from odoo.tools import config  # noqa: PLC0415

    os.chdir(ROOT)
    config.parse_config(["-c", "odoo.conf", "-d", db, "--log-level=warn", *options])
    return Registry(db)


@contextmanager
def environment(registry, uid=None, commit=True):
    """An environment on a new cursor (as each HTTP request gets), committed on exit."""
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415

    with registry.cursor() as cr:
        env = api.Environment(cr, uid or SUPERUSER_ID, {})
        if uid:
            env = env(context=env["res.users"].context_get())
        yield env
        if commit:
            cr.commit()


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.machine())
    pg = subprocess.run(["psql", "-d", "postgres", "-Atc", "show server_version"],
                        capture_output=True, text=True).stdout.strip()
    return (f"machine: {platform.node()} · {cpu} · {os.cpu_count()} cores · Python {platform.python_version()}"
            f" · PostgreSQL {pg}")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[round(fraction * (len(ordered) - 1))]


def figures(name, seconds):
    """Print and return (median, p95) of ``seconds``, in milliseconds."""
    ms = [s * 1000 for s in seconds]
    median, p95 = statistics.median(ms), percentile(ms, 0.95)
    print(f"{name:44} n={len(ms):4}  median {median:8.2f} ms  p95 {p95:8.2f} ms", flush=True)
    return median, p95


def timed(work):
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(db, *options, env=None):
    """``python -m odoo`` serving ``db`` on a free port with ``options``; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "odoo", "-c", "odoo.conf", "-d", db, f"--db-filter=^{db}$",
         f"--http-port={port}", "--log-level=warn", *options],
        cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/web/health", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    sys.exit("the Odoo server did not start")
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=60)


# SQL queries run inside perform(), once count_queries() has hooked Odoo's cursors.
PERFORMED = {"queries": 0, "counting": False}


def count_queries():
    """Count the SQL queries perform() runs in ``PERFORMED["queries"]``."""
    from odoo import sql_db  # noqa: PLC0415

    execute = sql_db.Cursor.execute

    def counted(self, *args, **kwargs):
        PERFORMED["queries"] += PERFORMED["counting"]
        return execute(self, *args, **kwargs)

    sql_db.Cursor.execute = counted


def perform(registry, uuid):
    """One queue job, as queue_job's /queue_job/runjob controller runs it; returns seconds."""
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415

    # Imported once the configuration has put Odoo's addons on the path.
    from odoo.addons.queue_job.controllers.main import RunJobController  # noqa: PLC0415
    from odoo.addons.queue_job.job import Job  # noqa: PLC0415

    PERFORMED["counting"] = True
    start = time.perf_counter()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        job = Job.load(env, uuid)
        job.set_enqueued()
        job.set_started()
        job.store()
        cr.commit()
        RunJobController._runjob(env, job)
        cr.commit()
    seconds = time.perf_counter() - start
    PERFORMED["counting"] = False
    return seconds
