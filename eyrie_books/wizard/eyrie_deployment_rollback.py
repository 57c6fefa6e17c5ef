from odoo import api, fields, models


class EyrieDeploymentRollback(models.TransientModel):
    """Asks for the reason of a rollback (see ``eyrie.deployment.action_rollback``)."""

    _name = "eyrie.deployment.rollback"
    _description = "Roll Back a Deployment"

    version_id = fields.Many2one("eyrie.deployment.version", required=True, readonly=True, ondelete="cascade")
    deployment_id = fields.Many2one(related="version_id.deployment_id")
    reason = fields.Text(required=True, help="Why: recorded in the new version's “what changed”.")
    refusal = fields.Text(compute="_compute_refusal", help="Why the rollback is not possible now.")

    @api.depends("version_id")
    def _compute_refusal(self):
        for wizard in self:
            deployment = wizard.deployment_id
            wizard.refusal = deployment and deployment._rollback_refusals(wizard.version_id)[wizard.version_id]

    def action_rollback(self):
        self.ensure_one()
        self.deployment_id.action_rollback(self.version_id.id, self.reason)
        return {"type": "ir.actions.act_window_close"}
