from odoo import fields, models

from ..k8s import operators


class EyrieDeploymentVersion(models.Model):
    """The versioned fields that eyrie_books adds to deployments, and the runs that applied each version.
    Their defaults are the deployment's: versions recorded before a field existed (installing this
    addon on deployments made without it) get the value their deployment gets."""

    _inherit = "eyrie.deployment.version"

    replicas = fields.Integer(readonly=True)
    port = fields.Integer(readonly=True)
    source_path = fields.Char(readonly=True)
    storage_size = fields.Char(readonly=True)
    database_id = fields.Many2one("eyrie.deployment", readonly=True, ondelete="set null")
    db_host = fields.Char(string="Database Host", readonly=True)
    db_port = fields.Integer(string="Database Port", readonly=True, default=5432)
    db_user = fields.Char(string="Database User", readonly=True)
    db_password = fields.Char(
        string="Database Password", readonly=True, groups="base.group_system", prefetch=False,
    )
    db_name = fields.Char(string="Database Name", readonly=True)
    workers = fields.Integer(readonly=True, default=2)
    odoo_options = fields.Text(string="Extra odoo.conf Options", readonly=True)
    postgres_version = fields.Selection(
        [(str(version), str(version)) for version in operators.PGO_POSTGRES_VERSIONS],
        string="PostgreSQL Version", readonly=True, default=str(operators.PGO_DEFAULT_POSTGRES_VERSION),
    )
    instances = fields.Integer(readonly=True, default=1)
    backup_size = fields.Char(readonly=True)
    pxc_cr_version = fields.Char(string="Operator CR Version", readonly=True, default=operators.PXC_CR_VERSION)
    pxc_size = fields.Integer(string="PXC Size", readonly=True, default=3)
    haproxy_enabled = fields.Boolean(string="HAProxy", readonly=True, default=True)
    haproxy_size = fields.Integer(string="HAProxy Size", readonly=True, default=3)
    haproxy_image = fields.Char(string="HAProxy Image", readonly=True)
    pxc_unsafe = fields.Boolean(string="Unsafe (dev only)", readonly=True)
    env_vars = fields.Text(string="Environment Variables", readonly=True)
    env_secrets = fields.Text(
        string="Secret Environment Variables", readonly=True, groups="base.group_system", prefetch=False,
    )
    container_command = fields.Text(string="Command", readonly=True)
    container_args = fields.Text(string="Arguments", readonly=True)
    volume_path = fields.Char(readonly=True)
    job_ids = fields.One2many("eyrie.job", "version_id", string="Runs", readonly=True)
