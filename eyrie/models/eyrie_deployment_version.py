from odoo import api, fields, models


class EyrieDeploymentVersion(models.Model):
    """What a deployment was set to run, each time its key fields changed. Written only by the
    deployment itself (see ``eyrie.deployment._record_versions``), never edited afterwards."""

    _name = "eyrie.deployment.version"
    _description = "Deployment Version"
    # By the deployment's id, not its order (a join): the (deployment_id, number) unique index serves it.
    _order = "deployment_id.id, number desc"
    _rec_name = "number"

    deployment_id = fields.Many2one("eyrie.deployment", required=True, index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one(related="deployment_id.company_id", store=True, index=True)
    number = fields.Integer(required=True, readonly=True)
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    author_id = fields.Many2one("res.users", required=True, readonly=True, default=lambda self: self.env.user)
    repository_id = fields.Many2one("eyrie.repository", readonly=True, ondelete="set null")
    branch = fields.Char(readonly=True)
    image = fields.Char(readonly=True)
    commit_ref = fields.Char(readonly=True)
    scope_id = fields.Many2one("eyrie.scope", readonly=True, ondelete="set null")
    cluster_ids = fields.Many2many(
        "eyrie.cluster", "eyrie_deployment_version_cluster_rel", "version_id", "cluster_id",
        string="Clusters", readonly=True,
    )
    changes = fields.Text(readonly=True, help="What changed from the previous version.")
    is_current = fields.Boolean(compute="_compute_is_current")

    _number_uniq = models.Constraint(
        "UNIQUE(deployment_id, number)", "A deployment cannot have two versions with the same number.",
    )

    @api.depends("deployment_id.current_version_id")
    def _compute_is_current(self):
        for version in self:
            version.is_current = version.deployment_id.current_version_id == version

    @api.depends("number")
    def _compute_display_name(self):
        for version in self:
            version.display_name = f"v{version.number}"
