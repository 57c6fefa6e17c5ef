from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..steps import KINDS, parse_parameters


class EyrieBookStep(models.Model):
    _name = "eyrie.book.step"
    _description = "Deployment Book Step"
    _order = "book_id, sequence, id"

    book_id = fields.Many2one("eyrie.book", required=True, index=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    kind = fields.Selection(
        [(kind.key, kind.label) for kind in KINDS.values()], required=True,
    )
    name = fields.Char(compute="_compute_name", store=True, readonly=False)
    parameters = fields.Text(default="{}", help="A JSON object, e.g. {\"timeout\": 600}.")
    timeout = fields.Integer(
        default=900, help="Seconds a step may wait for what it waits for (a rollout, a job) before it fails.",
    )
    max_retries = fields.Integer(
        default=5, help="Attempts after a retryable error (conflict, throttling, server error).",
    )

    @api.depends("kind")
    def _compute_name(self):
        for step in self:
            if not step.name and step.kind:
                step.name = KINDS[step.kind].label

    @api.constrains("parameters")
    def _check_parameters(self):
        for step in self:
            try:
                parse_parameters(step.parameters)
            except ValueError as error:
                raise ValidationError(self.env._(
                    "Step %(step)s: %(error)s.", step=step.name, error=str(error),
                )) from None

    @api.constrains("kind", "book_id")
    def _check_kind(self):
        for step in self:
            if step.book_id.type not in KINDS[step.kind].types:
                raise ValidationError(self.env._(
                    "A %(type)s book cannot hold the step %(step)s.",
                    type=step.book_id.type, step=KINDS[step.kind].label,
                ))

    @api.constrains("timeout", "max_retries")
    def _check_limits(self):
        for step in self:
            if step.timeout <= 0 or step.max_retries < 0:
                raise ValidationError(self.env._("Timeouts must be positive and retries not negative."))
