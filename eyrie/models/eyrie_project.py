from odoo import api, fields, models
from odoo.exceptions import UserError


class EyrieProject(models.Model):
    _name = "eyrie.project"
    _description = "Eyrie Project"
    _inherit = ["eyrie.slug.mixin", "mail.thread"]
    _order = "sequence, name, id"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    description = fields.Html()
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True,
    )
    group_ids = fields.One2many("eyrie.deployment.group", "project_id", string="Deployment Groups")
    group_count = fields.Integer(compute="_compute_counts")
    deployment_count = fields.Integer(compute="_compute_counts")
    namespace_locked = fields.Boolean(
        compute="_compute_namespace_locked",
        help="A deployment of the project has left Draft: its namespace, made of the project's short name, is in use.",
    )

    _slug_uniq = models.Constraint("UNIQUE(slug)", "Another project already has this short name.")

    @api.depends("group_ids")
    def _compute_counts(self):
        deployments = dict(self.env["eyrie.deployment"]._read_group(
            [("project_id", "in", self.ids)], ["project_id"], ["__count"],
        ))
        for project in self:
            project.group_count = len(project.group_ids)
            project.deployment_count = deployments.get(project, 0)

    def _compute_namespace_locked(self):
        locked = self.env["eyrie.deployment"]._namespaces_in_use("project_id", self).project_id
        for project in self:
            project.namespace_locked = project in locked

    def write(self, vals):
        if "slug" in vals:
            for project in self.env["eyrie.deployment"]._namespaces_in_use("project_id", self).project_id:
                if project.slug != vals["slug"]:
                    raise UserError(self.env._(
                        "The short name of the project %(project)s can no longer change: deployments of the "
                        "project have left Draft, and their namespaces are in use on their clusters.",
                        project=project.display_name,
                    ))
        result = super().write(vals)
        if "slug" in vals:
            self.env["eyrie.deployment"].with_context(active_test=False).search(
                [("project_id", "in", self.ids)],
            )._check_namespace_free()
        return result

    def action_open_deployments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("eyrie.eyrie_deployment_action")
        action["domain"] = [("project_id", "=", self.id)]
        action["context"] = {"default_project_id": self.id}
        return action
