from odoo import fields, models

TYPES = [("odoo", "Odoo"), ("pgo", "PostgreSQL (Crunchy PGO)"), ("pxc", "MySQL (Percona XtraDB)"), ("none", "Generic")]
BOOK_ACTIONS = [("init", "Initialize"), ("deploy", "Deploy"), ("pause", "Pause"), ("drop", "Drop")]


class EyrieBook(models.Model):
    """A Deployment Book: what to do on a cluster for one action of one deployment type.

    This core model only names books so groups can point at them; ``eyrie_books`` adds the steps
    and runs them.
    """

    _name = "eyrie.book"
    _description = "Deployment Book"
    _order = "type, action, name, id"

    name = fields.Char(required=True, translate=True)
    type = fields.Selection(TYPES, required=True, help="The deployment type this book applies to.")
    action = fields.Selection(BOOK_ACTIONS, required=True)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
