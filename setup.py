"""Installs the Eyrie addons into an Odoo 19 environment, importable as ``odoo.addons.eyrie…``.

Odoo itself is not on PyPI: bring your own Odoo 19 (a source checkout installed with pip, or the
official image) into the same interpreter first. For development, run from the checkout instead
(``odoo.conf`` has it on the addons path) and install only the requirements.
"""

from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).parent
ADDONS = ("eyrie", "eyrie_books", "eyrie_website")


def addon_packages():
    for addon in ADDONS:
        if not (ROOT / addon / "__manifest__.py").exists():
            continue
        for init in sorted((ROOT / addon).rglob("__init__.py")):
            yield "odoo.addons." + ".".join(init.parent.relative_to(ROOT).parts)


def addon_data(addon):
    """Every file of the addon but its Python code (manifest-listed XML and CSV, i18n, static, readme),
    relative to the addon: the directories that hold them are not Python packages."""
    base = ROOT / addon
    return sorted(
        str(path.relative_to(base)) for path in base.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    )


packages = list(addon_packages())
setup(
    name="eyrie",
    version="19.0.1.0.0",
    description="Run Odoo, PostgreSQL, MySQL and containers on Kubernetes from Odoo 19",
    long_description=(ROOT / "README.md").read_text(),
    long_description_content_type="text/markdown",
    license="LGPL-3.0-or-later",
    python_requires=">=3.10",
    packages=packages,
    package_dir={package: package.removeprefix("odoo.addons.").replace(".", "/") for package in packages},
    package_data={f"odoo.addons.{addon}": addon_data(addon) for addon in ADDONS if (ROOT / addon).is_dir()},
    install_requires=[
        # kubernetes 37 needs urllib3 >= 2.8; Odoo 19 pins urllib3 1.26 on Python < 3.12.
        "kubernetes>=31,<37",
        "PyYAML",
        "odoo-addon-queue-job>=19.0,<19.1",
    ],
    extras_require={"test": (ROOT / "requirements-test.txt").read_text().split()},
    zip_safe=False,
)
