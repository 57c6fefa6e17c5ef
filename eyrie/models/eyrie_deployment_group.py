from odoo import api, fields, models
from odoo.exceptions import UserError

from .eyrie_book import TYPES


class EyrieDeploymentGroup(models.Model):
    _name = "eyrie.deployment.group"
    _description = "Deployment Group"
    _inherit = ["eyrie.slug.mixin", "mail.thread"]
    _order = "project_id, sequence, name, id"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    description = fields.Text()
    project_id = fields.Many2one("eyrie.project", required=True, index=True, ondelete="cascade", tracking=True)
    company_id = fields.Many2one(related="project_id.company_id", store=True, index=True)
    type = fields.Selection(TYPES, required=True, default="odoo", tracking=True)
    deployment_init_book_id = fields.Many2one(
        "eyrie.book", string="Initialize Book", domain="[('type', '=', type), ('action', '=', 'init')]",
    )
    deployment_deploy_book_id = fields.Many2one(
        "eyrie.book", string="Deploy Book", domain="[('type', '=', type), ('action', '=', 'deploy')]",
    )
    deployment_pause_book_id = fields.Many2one(
        "eyrie.book", string="Pause Book", domain="[('type', '=', type), ('action', '=', 'pause')]",
    )
    deployment_drop_book_id = fields.Many2one(
        "eyrie.book", string="Drop Book", domain="[('type', '=', type), ('action', '=', 'drop')]",
    )
    deployment_ids = fields.One2many("eyrie.deployment", "group_id", string="Deployments")
    deployment_count = fields.Integer(compute="_compute_deployment_count")

    _slug_uniq = models.Constraint(
        "UNIQUE(project_id, slug)", "Another group of this project already has this short name.",
    )

    @api.depends("deployment_ids")
    def _compute_deployment_count(self):
        counts = dict(self.env["eyrie.deployment"]._read_group(
            [("group_id", "in", self.ids)], ["group_id"], ["__count"],
        ))
        for group in self:
            group.deployment_count = counts.get(group, 0)

    def write(self, vals):
        if "type" in vals:
            moved = self.filtered(lambda group: group.type != vals["type"])
            deployments = self.env["eyrie.deployment"].with_context(active_test=False).search_count(
                [("group_id", "in", moved.ids)], limit=1,
            )
            if deployments:
                raise UserError(self.env._(
                    "The type of a group cannot change once it has deployments: "
                    "their clusters run what the type says."
                ))
        return super().write(vals)

    def action_open_deployments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("eyrie.eyrie_deployment_action")
        action["domain"] = [("group_id", "=", self.id)]
        action["context"] = {"default_group_id": self.id}
        return action
