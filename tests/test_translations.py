"""Translations kept current: every term Odoo 19 exports for an addon (from its Python code, views,
templates and data) is in the addon's committed ``i18n/<addon>.pot``. ``bin/eyrie pot`` makes
them again."""

import json

import pytest

from .conftest import ROOT, odoo_shell

ADDONS = ("eyrie", "eyrie_books", "eyrie_website")
# Odoo's own export of each addon, as `odoo i18n export` writes it, against the committed file.
MISSING_TERMS = """
import io, json, polib
from odoo.tools.translate import trans_export
missing = {}
for name, pot in %r.items():
    buffer = io.BytesIO()
    trans_export(None, [name], buffer, "po", env)
    committed = {entry.msgid for entry in polib.pofile(pot)}
    exported = polib.pofile(buffer.getvalue().decode())
    missing[name] = [entry.msgid for entry in exported if entry.msgid not in committed]
print(json.dumps(missing))
"""


@pytest.fixture(scope="module")
def missing_terms(db):
    pots = {name: str(ROOT / name / "i18n" / f"{name}.pot") for name in ADDONS}
    return json.loads(odoo_shell(db, MISSING_TERMS % (pots,)))


@pytest.mark.parametrize("addon", ADDONS)
def test_the_pot_file_has_every_term(missing_terms, addon):
    missing = missing_terms[addon]
    assert not missing, (
        f"{len(missing)} terms of {addon} are missing from {addon}/i18n/{addon}.pot (run bin/eyrie pot):\n"
        + "\n".join(repr(term) for term in missing)
    )
