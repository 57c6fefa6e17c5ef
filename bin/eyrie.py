"""Eyrie's developer commands: ``start`` runs the product, ``test`` runs every test it can,
``lint`` runs the linters alone, ``pot`` regenerates the addons' translation templates.

    bin/eyrie start [--db NAME] [--port 8069]
    bin/eyrie test [--keep-db] [--odoo-runner] [--repeat N] [pytest args for the Odoo suites…]
    bin/eyrie lint
    bin/eyrie pot

Both use the interpreter that runs this file (``$PYTHON`` or ``python3``, through ``bin/eyrie``),
so Odoo 19 must be importable by it. PostgreSQL is used from libpq's environment (PGHOST,
PGUSER…); if none answers, a Debian cluster is started, or a private one under ``.cache/``.

The test command runs, in order: the linters (ruff, mypy, the OCA's pylint-odoo and
odoo-pre-commit-hooks); the Odoo-free tests (Kubernetes layer, doctests); then, where
``odoo`` is importable, installs the addons with demo data on a fresh database (failing on any
warning about views or fields), runs the addons' Odoo tests with pytest-odoo, and the
end-to-end tests under ``tests/`` against a real server; then the same Odoo tests again under
Odoo's own test runner, on a fresh database without demo data (``--odoo-runner``: that pass only).
``--repeat N`` runs only the Odoo tests, N times in a row under both runners, each pass counted on
its own line: a test that passes only sometimes fails the run. It ends with one summary line.
"""

import argparse
import ast
import configparser
import getpass
import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
ADDONS = ("eyrie", "eyrie_books", "eyrie_website")
CACHE = ROOT / ".cache"
# Odoo-free code whose docstrings carry examples.
DOCTEST_MODULES = (
    "eyrie/naming.py", "eyrie/lifecycle.py", "eyrie/git_remote.py", "eyrie/webhooks.py", "eyrie_books/steps.py",
    "eyrie_books/preview.py", "eyrie_books/k8s/compare.py",
)
# What Odoo's own test runner says at the end: "0 failed, 0 error(s) of 104 tests when loading database 'x'".
ODOO_RESULT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
# Install log lines that say something is wrong with our addons; the ones matched by
# INSTALL_NOISE come from the environment (Odoo run as root in CI), not from Eyrie.
INSTALL_PROBLEM = re.compile(r" (WARNING|ERROR|CRITICAL) ")
INSTALL_NOISE = re.compile(r"Running as user 'root'|addons path is not a directory")
PROVIDE_ODOO = (
    "Odoo 19 is not importable by {py}. Bring your own Odoo 19: install a source checkout into "
    "this interpreter ('pip install -r requirements.txt && pip install -e .' in the checkout), "
    "or set PYTHON to an interpreter that has it."
)


def odoo_importable():
    return importlib.util.find_spec("odoo") is not None and importlib.util.find_spec("odoo.release") is not None


def run(cmd, **kwargs):
    print("+", " ".join(str(part) for part in cmd), flush=True)
    return subprocess.run([str(part) for part in cmd], cwd=ROOT, **kwargs)


# ----------------------------------------------------------------------------
# PostgreSQL
# ----------------------------------------------------------------------------

def pg_answers():
    return subprocess.run(
        ["psql", "-d", "postgres", "-Atc", "select 1"], capture_output=True, text=True,
    ).returncode == 0


def ensure_postgres():
    """Make libpq's defaults reach a PostgreSQL server with a role for this user, or exit."""
    if shutil.which("psql") is None:
        sys.exit("PostgreSQL's client (psql) is missing: install PostgreSQL (Debian: apt-get install postgresql).")
    if pg_answers():
        return
    user = getpass.getuser()
    if user == "postgres":
        sys.exit("Odoo refuses the 'postgres' role: run as another user, or set PGUSER.")
    if shutil.which("pg_lsclusters") and os.geteuid() == 0:
        start_debian_cluster(user)
    elif shutil.which("initdb") or Path("/usr/lib/postgresql").exists():
        start_private_cluster()
    if not pg_answers():
        sys.exit("No PostgreSQL server answers: start one and set PGHOST/PGPORT/PGUSER/PGPASSWORD.")


def start_debian_cluster(user):
    clusters = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout.split()
    if not clusters:
        version = sorted(os.listdir("/usr/lib/postgresql"))[-1]
        subprocess.run(["pg_createcluster", version, "main"], check=True)
        clusters = [version, "main"]
    subprocess.run(["pg_ctlcluster", clusters[0], clusters[1], "start"], check=False)
    # A superuser role named after this OS user: Odoo creates databases and extensions.
    subprocess.run(
        ["su", "postgres", "-c", f"createuser --superuser {user}"], capture_output=True, check=False,
    )


def start_private_cluster():
    """A cluster owned by this (non-root) user under .cache/, listening on a socket there only."""
    bindir = Path(shutil.which("initdb") or "").parent
    if not (bindir / "initdb").exists():
        bindir = Path("/usr/lib/postgresql") / sorted(os.listdir("/usr/lib/postgresql"))[-1] / "bin"
    data = CACHE / "postgres"
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        subprocess.run([bindir / "initdb", "-D", data, "-A", "trust"], check=True, capture_output=True)
    subprocess.run(
        [bindir / "pg_ctl", "-D", data, "-l", data / "server.log", "-w", "start",
         "-o", f"-k {data} -c listen_addresses=''"],
        check=False,
    )
    os.environ["PGHOST"] = str(data)


def drop_database(name):
    subprocess.run(["dropdb", "--if-exists", name], capture_output=True, check=False)


def database_exists(name):
    out = subprocess.run(
        ["psql", "-d", "postgres", "-Atc", f"select 1 from pg_database where datname = '{name}'"],
        capture_output=True, text=True,
    ).stdout
    return out.strip() == "1"


def install(db, extra=("--with-demo",)):
    """Create ``db`` with the Eyrie addons (and demo data, by default); return the install log."""
    cmd = [PY, "-m", "odoo", "-c", "odoo.conf", "-d", db, "-i", ",".join(present_addons()),
           "--stop-after-init", "--log-level=warn", *extra]
    result = run(cmd, capture_output=True, text=True)
    log = result.stdout + result.stderr
    if result.returncode:
        print(log)
        sys.exit(f"Installing the addons on {db} failed.")
    return log


def present_addons():
    return [name for name in ADDONS if (ROOT / name / "__manifest__.py").exists()]


# ----------------------------------------------------------------------------
# start
# ----------------------------------------------------------------------------

def start(args):
    if not odoo_importable():
        sys.exit(PROVIDE_ODOO.format(py=PY))
    ensure_postgres()
    if not database_exists(args.db):
        print(f"Creating database {args.db} with the Eyrie addons and demo data…", flush=True)
        install(args.db)
    print(f"Eyrie on http://localhost:{args.port} (login admin, password admin)", flush=True)
    os.chdir(ROOT)
    os.execv(PY, [PY, "-m", "odoo", "-c", "odoo.conf", "-d", args.db, f"--db-filter=^{args.db}$",
                  f"--http-port={args.port}"])


# ----------------------------------------------------------------------------
# test
# ----------------------------------------------------------------------------

class Tally:
    """Counts from each suite's JUnit XML report, for the closing summary."""

    def __init__(self):
        self.rows = []

    def add(self, suite, report, returncode):
        counts = {"passed": 0, "failed": 0, "skipped": 0}
        if report.exists():
            for case in ET.parse(report).getroot().iter("testcase"):
                outcome = {child.tag for child in case}
                if outcome & {"failure", "error"}:
                    counts["failed"] += 1
                elif "skipped" in outcome:
                    counts["skipped"] += 1
                else:
                    counts["passed"] += 1
        # pytest exits 5 when it collected nothing; anything else non-zero is a failure.
        if returncode not in (0, 5) and not counts["failed"]:
            counts["failed"] = 1
        self.rows.append((suite, counts))

    def total(self, key):
        return sum(counts[key] for _suite, counts in self.rows)


def count_tests(paths):
    """Test methods and functions in test files, read without importing them."""
    total = 0
    for path in paths:
        for file in sorted(Path(ROOT, path).rglob("test_*.py")):
            tree = ast.parse(file.read_text())
            total += sum(
                isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test")
                for node in ast.walk(tree)
            )
    return total


def pytest(suite, args, tally, env=None):
    report = CACHE / f"report-{suite}.xml"
    report.unlink(missing_ok=True)
    result = run([PY, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={report}", *args], env=env)
    tally.add(suite, report, result.returncode)


def check(suite, cmd, tally):
    """A tool run that counts as one test (ruff, mypy, pylint-odoo, the OCA hooks)."""
    if importlib.util.find_spec(cmd[0]) is None:
        tally.rows.append((suite, {"passed": 0, "failed": 0, "skipped": 1}))
        print(f"{suite}: {cmd[0]} is not installed (pip install -r requirements-test.txt)")
        return
    failed = run([PY, "-m", *cmd]).returncode != 0
    tally.rows.append((suite, {"passed": int(not failed), "failed": int(failed), "skipped": 0}))


def lint_checks(tally):
    """ruff over the tree, mypy strict on the Kubernetes layer, and the OCA's checks of the addons:
    pylint-odoo (``.pylintrc``) and odoo-pre-commit-hooks for manifests, XML, CSV and .pot files
    (``.oca_hooks.cfg``)."""
    check("ruff", ["ruff", "check", "."], tally)
    if (ROOT / "eyrie_books/k8s").is_dir():
        check("mypy", ["mypy", "eyrie_books/k8s"], tally)
    addons = present_addons()
    check("pylint", ["pylint", "--rcfile=.pylintrc", "--output-format=text", *addons], tally)
    pots = [str(pot.relative_to(ROOT)) for addon in addons for pot in sorted((ROOT / addon / "i18n").glob("*.po*"))]
    check("oca", ["oca_pre_commit_hooks.cli", *addons], tally)
    if pots:
        check("oca-po", ["oca_pre_commit_hooks.cli_po", *pots], tally)


def test_config():
    """odoo.conf on a free HTTP port: the Odoo suite serves HTTP, and a running ``bin/eyrie start``
    (or another test run) may hold 8069."""
    config = configparser.ConfigParser()
    config.read(ROOT / "odoo.conf")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        config["options"]["http_port"] = str(sock.getsockname()[1])
    path = CACHE / "odoo-test.conf"
    with path.open("w") as out:
        config.write(out)
    return path


def odoo_runner(tally, suite="odoo-own"):
    """The addons' Odoo tests under Odoo's own runner (``--test-enable``), on a fresh database
    without demo data: a test must build what it needs, and pass without pytest-odoo's help."""
    db = f"eyrie_test_{os.getpid()}_nodemo"
    drop_database(db)
    tags = ",".join(f"/{addon}" for addon in present_addons())
    try:
        result = run([PY, "-m", "odoo", "-c", test_config(), "-d", db, "-i", ",".join(present_addons()),
                      "--test-enable", f"--test-tags={tags}", "--stop-after-init",
                      "--log-level=warn", "--log-handler=odoo.tests.result:INFO"],
                     capture_output=True, text=True, env={**os.environ, "ODOO_QUEUE_JOB_CHANNELS": "root:0"})
    finally:
        drop_database(db)
    log = result.stdout + result.stderr
    reports = ODOO_RESULT.findall(log)
    failed = sum(int(failures) + int(errors) for failures, errors, _total in reports)
    total = sum(int(total) for _failures, _errors, total in reports)
    if result.returncode and not failed:
        failed = 1  # the run broke before or after its tests
    if failed or not total:
        print(log[-20000:])
    else:
        print("\n".join(line for line in log.splitlines() if ODOO_RESULT.search(line)))
    tally.rows.append((suite, {"passed": total - failed if total else 0, "failed": failed, "skipped": 0}))


@contextmanager
def odoo_database(args):
    """A fresh test database's name, dropped afterwards unless ``--keep-db``."""
    db = f"eyrie_test_{os.getpid()}"
    drop_database(db)
    try:
        yield db
    finally:
        if not args.keep_db:
            drop_database(db)


def odoo_suite(suite, db, odoo_suites, pytest_args, tally):
    """The addons' Odoo tests under pytest-odoo, on ``db`` (installed with demo data first if empty)."""
    if not database_exists(db):
        install(db)
    # --odoo-http serves HTTP in the test process; its queue_job runner would then perform
    # (and commit) jobs behind the tests' backs: the tests perform jobs themselves.
    pytest(suite, ["--odoo-config", test_config(), f"--odoo-database={db}", "--odoo-http",
                   *odoo_suites, *pytest_args], tally, env={**os.environ, "ODOO_QUEUE_JOB_CHANNELS": "root:0"})


def test(args, pytest_args):
    CACHE.mkdir(exist_ok=True)
    tally = Tally()
    if args.odoo_runner:
        if not odoo_importable():
            sys.exit(PROVIDE_ODOO.format(py=PY))
        ensure_postgres()
        odoo_runner(tally)
        return summary(tally)
    odoo_suites = [f"{addon}/tests" for addon in present_addons() if (ROOT / addon / "tests").is_dir()]
    if args.repeat:
        if not odoo_importable():
            sys.exit(PROVIDE_ODOO.format(py=PY))
        ensure_postgres()
        for number in range(1, args.repeat + 1):
            with odoo_database(args) as db:
                odoo_suite(f"odoo#{number}", db, odoo_suites, pytest_args, tally)
            odoo_runner(tally, f"own#{number}")
        return summary(tally)
    lint_checks(tally)
    plain = [path for path in ("eyrie_books/k8s", "tests/plain") if (ROOT / path).is_dir()]
    pytest("plain", ["-p", "no:odoo", "--doctest-modules", *DOCTEST_MODULES, *plain], tally)

    not_run = None
    if not odoo_importable():
        not_run = (count_tests([*odoo_suites, "tests"]), PROVIDE_ODOO.format(py=PY))
    else:
        ensure_postgres()
        with odoo_database(args) as db:
            log = install(db)
            problems = [line for line in log.splitlines()
                        if INSTALL_PROBLEM.search(line) and not INSTALL_NOISE.search(line)]
            tally.rows.append(("install", {"passed": int(not problems), "failed": int(bool(problems)), "skipped": 0}))
            for line in problems:
                print("install problem:", line)
            odoo_suite("odoo", db, odoo_suites, pytest_args, tally)
            pytest("e2e", ["-p", "no:odoo", "tests", "--ignore=tests/plain"], tally,
                   env={**os.environ, "EYRIE_TEST_DB": db})
        odoo_runner(tally)
    return summary(tally, not_run)


def summary(tally, not_run=None):
    """Print each suite's counts and the closing line; the exit status."""
    print("\nSummary")
    for suite, counts in tally.rows:
        print(f"  {suite:8} {counts['passed']:4} passed {counts['failed']:4} failed {counts['skipped']:4} skipped")
    if not_run:
        print(f"  NOT RUN: {not_run[0]} Odoo tests, because {not_run[1]}")
    failed = tally.total("failed")
    print(f"{tally.total('passed')} passed, {failed} failed, {tally.total('skipped')} skipped")
    return 1 if failed or not tally.total("passed") else 0


def lint(_args):
    tally = Tally()
    lint_checks(tally)
    return summary(tally)


# ----------------------------------------------------------------------------
# pot
# ----------------------------------------------------------------------------

def pot(_args):
    """Regenerate ``<addon>/i18n/<addon>.pot`` with Odoo's own export, from a fresh database with
    the addons and no demo data (demo records are not translated)."""
    if not odoo_importable():
        sys.exit(PROVIDE_ODOO.format(py=PY))
    ensure_postgres()
    db = f"eyrie_pot_{os.getpid()}"
    drop_database(db)
    try:
        install(db, extra=())
        exported = run([PY, "-m", "odoo", "i18n", "export", "-c", "odoo.conf", "-d", db, *present_addons()])
    finally:
        drop_database(db)
    return exported.returncode


def main():
    parser = argparse.ArgumentParser(prog="bin/eyrie", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start_parser = commands.add_parser("start", help="start Odoo with the Eyrie addons and demo data")
    start_parser.add_argument("--db", default=os.environ.get("EYRIE_DB", "eyrie"))
    start_parser.add_argument("--port", type=int, default=8069)
    test_parser = commands.add_parser("test", help="run every test this machine can run")
    test_parser.add_argument("--keep-db", action="store_true", help="keep the test database")
    commands.add_parser("lint", help="run the linters only: ruff, mypy, pylint-odoo, the OCA hooks")
    commands.add_parser("pot", help="regenerate each addon's i18n/<addon>.pot")
    test_parser.add_argument("--odoo-runner", action="store_true",
                             help="only the Odoo tests under Odoo's own runner, on a fresh database without demo data")
    test_parser.add_argument("--repeat", type=int, default=0, metavar="N",
                             help="only the Odoo tests, N times in a row under both runners (flakiness is a failure)")
    args, rest = parser.parse_known_args()
    os.chdir(ROOT)
    if args.command == "start":
        return start(args)
    if args.command == "test":
        return test(args, rest)
    return {"lint": lint, "pot": pot}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
