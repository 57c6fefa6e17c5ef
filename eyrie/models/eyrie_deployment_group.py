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
    namespace_locked = fields.Boolean(
        compute="_compute_namespace_locked",
        help="A deployment of the group has left Draft: its namespace, made of the project's and the group's "
             "short names, is in use.",
    )

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

    def _compute_namespace_locked(self):
        locked = self.env["eyrie.deployment"]._namespaces_in_use("group_id", self).group_id
        for group in self:
            group.namespace_locked = group in locked

    def write(self, vals):
        moves = [name for name in ("slug", "project_id") if name in vals]
        if moves:
            self._check_namespace_fields(vals, moves)
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
        result = super().write(vals)
        if moves:
            self.env["eyrie.deployment"].with_context(active_test=False).search(
                [("group_id", "in", self.ids)],
            )._check_namespace_free()
        return result

    def _check_namespace_fields(self, vals, names):
        """Refuse to move the namespaces of deployments that have left Draft."""
        for group in self.env["eyrie.deployment"]._namespaces_in_use("group_id", self).group_id:
            current = group._convert_to_write({name: group[name] for name in names})
            changed = [name for name in names if vals[name] != current[name]]
            if changed:
                raise UserError(self.env._(
                    "The %(field)s of the group %(group)s can no longer change: deployments of the group have "
                    "left Draft, and their namespaces are in use on their clusters.",
                    field=self._fields[changed[0]].string, group=group.display_name,
                ))

    def action_open_deployments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("eyrie.eyrie_deployment_action")
        action["domain"] = [("group_id", "=", self.id)]
        action["context"] = {"default_group_id": self.id}
        return action
