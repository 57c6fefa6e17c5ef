from odoo import fields, models


class EyrieDeploymentVersion(models.Model):
    """The versioned fields that eyrie_books adds to deployments, and the runs that applied each version."""

    _inherit = "eyrie.deployment.version"

    replicas = fields.Integer(readonly=True)
    port = fields.Integer(readonly=True)
    source_path = fields.Char(readonly=True)
    storage_size = fields.Char(readonly=True)
    settings = fields.Text(readonly=True)
    job_ids = fields.One2many("eyrie.job", "version_id", string="Runs", readonly=True)
