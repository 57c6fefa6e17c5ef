"""The default Odoo deploy book updates the modules a new commit changed before the rollout
(``update_modules``): added to it where it is still there and lacks the step (books are the
users' data, kept on upgrade; a book they made themselves is left as it is)."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    book = env.ref("eyrie_books.book_odoo_deploy", raise_if_not_found=False)
    if book and "update_modules" not in book.step_ids.mapped("kind"):
        book.step_ids = [(0, 0, {"sequence": 15, "kind": "update_modules"})]
