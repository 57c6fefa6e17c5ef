from odoo import fields, models


class EyrieScope(models.Model):
    _name = "eyrie.scope"
    _description = "Deployment Scope"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    color = fields.Integer()
    allow_drop = fields.Boolean(
        help="Deployments in this scope may be dropped (their resources deleted for good).",
    )
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True)
