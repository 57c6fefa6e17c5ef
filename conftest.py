"""Lets plain pytest import the Odoo-free parts of the addons (``eyrie.naming``,
``eyrie_books.k8s``…) without Odoo.

An addon's ``__init__`` imports its models, and Odoo accepts models only when imported as
``odoo.addons.<addon>``. For the plain test run (``-p no:odoo``) each addon is registered as a bare
package, so ``import eyrie_books.k8s`` loads the Kubernetes layer and nothing of Odoo. This happens
at import, before pytest imports the conftest files below (``eyrie_books/k8s/tests/conftest.py``).
``eyrie.tests`` is registered bare too, for its plain helpers (``eyrie.tests.git_server``).
Under pytest-odoo, test modules are imported as ``odoo.addons.*``, which these bare packages do not
touch.
"""

import pathlib
import sys
import types

ROOT = pathlib.Path(__file__).parent
ADDONS = ("eyrie", "eyrie_books", "eyrie_website")

for name in (*ADDONS, "eyrie.tests"):
    if name not in sys.modules:
        package = types.ModuleType(name)
        package.__path__ = [str(ROOT.joinpath(*name.split(".")))]
        sys.modules[name] = package
