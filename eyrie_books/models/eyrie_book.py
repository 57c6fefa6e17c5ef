from odoo import fields, models


class EyrieBook(models.Model):
    _inherit = "eyrie.book"

    step_ids = fields.One2many("eyrie.book.step", "book_id", string="Steps", copy=True)
    step_count = fields.Integer(compute="_compute_step_count")
    is_default = fields.Boolean(
        string="Default", help="Set on new deployment groups of this type for this action.",
    )

    def _compute_step_count(self):
        for book in self:
            book.step_count = len(book.step_ids)
