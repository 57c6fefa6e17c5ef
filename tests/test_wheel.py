"""A user's install path: the wheel that ``pip install .`` builds, installed into a fresh virtual
environment beside the Odoo 19 of this interpreter, installs the three addons on a new database
with the repository NOT on the addons path."""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ("eyrie", "eyrie_books", "eyrie_website")
# What a checkout holds besides the sources: nothing of it may reach the wheel.
NOT_SOURCES = shutil.ignore_patterns(".git", ".cache", "build", "dist", "*.egg-info", "__pycache__", ".venv", "venv")
# The Odoo configuration of a user who installed the wheel: Odoo's own addons only.
USER_CONF = """[options]
server_wide_modules = base,web,queue_job
workers = 0

[queue_job]
channels = root:1,root.eyrie:1
"""
SHOW_ADDONS = """
import json, odoo.modules
names = %r
installed = env["ir.module.module"].search([("name", "in", names), ("state", "=", "installed")]).mapped("name")
print(json.dumps([sorted(installed), [odoo.modules.get_module_path(name) for name in names]]))
"""


def run(cmd, **kwargs):
    result = subprocess.run([str(part) for part in cmd], capture_output=True, text=True, **kwargs)
    command = " ".join(str(part) for part in cmd)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A fresh virtual environment that sees this interpreter's packages (Odoo, queue_job…), with
    the wheel built from a copy of the repository installed into it."""
    if importlib.util.find_spec("odoo.release") is None:
        pytest.skip("Odoo 19 is not importable: the wheel is installed beside an Odoo")
    tmp = tmp_path_factory.mktemp("wheel")
    shutil.copytree(ROOT, tmp / "src", ignore=NOT_SOURCES)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
         "-w", tmp / "dist", tmp / "src"])
    [wheel] = (tmp / "dist").glob("eyrie-*.whl")
    run([sys.executable, "-m", "venv", "--system-site-packages", tmp / "venv"])
    python = tmp / "venv" / "bin" / "python"
    # The dependencies (kubernetes, PyYAML, queue_job) are met by the packages beside Odoo.
    run([python, "-m", "pip", "install", "--disable-pip-version-check", "--no-index", wheel])
    return python


def test_the_wheel_installs_the_addons_beside_odoo(venv, tmp_path):
    db = f"eyrie_wheel_{os.getpid()}"
    conf = tmp_path / "odoo.conf"
    conf.write_text(USER_CONF)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    subprocess.run(["dropdb", "--if-exists", db], check=True)
    try:
        run([venv, "-m", "odoo", "-c", conf, "-d", db, "-i", ",".join(ADDONS), "--stop-after-init",
             "--log-level=warn"], cwd=tmp_path, env=env)
        shown = run([venv, "-m", "odoo", "shell", "-c", conf, "-d", db, "--no-http", "--log-level=warn"],
                    input=SHOW_ADDONS % (list(ADDONS),), cwd=tmp_path, env=env).strip().splitlines()[-1]
    finally:
        subprocess.run(["dropdb", "--if-exists", db], check=False)
    installed, paths = json.loads(shown)
    assert installed == sorted(ADDONS), f"installed from the wheel: {installed}"
    site = venv.parent.parent
    for name, path in zip(ADDONS, paths, strict=True):
        assert path and Path(path).is_relative_to(site), f"{name} was loaded from {path}, not from the wheel in {site}"
