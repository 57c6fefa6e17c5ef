import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..naming import clip_label

# fullmatch(): with re.match(), "$" would let a trailing newline through.
_API_SERVER = re.compile(r"https?://[^\s/]+(/\S*)?")
_PREFIX = re.compile(r"([a-z0-9][-a-z0-9]{0,18}-)?")


class EyrieCluster(models.Model):
    _name = "eyrie.cluster"
    _description = "Kubernetes Cluster"
    _inherit = ["eyrie.slug.mixin", "mail.thread"]
    _order = "name, id"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, index=True)
    dry_run = fields.Boolean(
        default=True, tracking=True,
        help="Send nothing to the cluster: books log what they would have sent.",
    )
    api_server = fields.Char(
        string="API Server", tracking=True, help="URL of the Kubernetes API server, e.g. https://10.0.0.1:6443",
    )
    auth_method = fields.Selection(
        [("kubeconfig", "Kubeconfig"), ("token", "API URL and token")],
        default="kubeconfig", required=True,
    )
    # Credentials: read only where used (a run, a connection test), never loaded with the record.
    kubeconfig = fields.Text(groups="eyrie.group_eyrie_manager", copy=False, prefetch=False)
    token = fields.Char(groups="eyrie.group_eyrie_manager", copy=False, prefetch=False)
    ca_cert = fields.Text(string="CA Certificate", groups="eyrie.group_eyrie_manager", copy=False, prefetch=False)
    namespace_prefix = fields.Char(
        tracking=True, help="Prepended to every namespace Eyrie creates on this cluster, e.g. 'eyrie-'.",
    )
    ingress_domain = fields.Char(help="Deployments get hosts <namespace>.<domain>.")
    ingress_class = fields.Char(default="nginx")
    storage_class = fields.Char(help="Storage class for volumes; empty uses the cluster default.")
    deployment_ids = fields.Many2many(
        "eyrie.deployment", "eyrie_deployment_cluster_rel", "cluster_id", "deployment_id",
        string="Deployments", readonly=True,
    )
    deployment_count = fields.Integer(compute="_compute_deployment_count")

    _slug_uniq = models.Constraint("UNIQUE(slug)", "Another cluster already has this short name.")

    @api.depends("deployment_ids")
    def _compute_deployment_count(self):
        for cluster in self:
            cluster.deployment_count = len(cluster.deployment_ids)

    @api.constrains("api_server", "dry_run")
    def _check_api_server(self):
        for cluster in self:
            if cluster.api_server and not _API_SERVER.fullmatch(cluster.api_server):
                raise ValidationError(self.env._(
                    "%(url)s is not an API server URL (https://host:port).", url=cluster.api_server,
                ))
            if not cluster.dry_run and not cluster.api_server and cluster.auth_method == "token":
                raise ValidationError(self.env._(
                    "Cluster %(name)s needs an API server URL to leave dry-run mode.", name=cluster.name,
                ))

    @api.constrains("namespace_prefix")
    def _check_namespace_prefix(self):
        for cluster in self:
            if not _PREFIX.fullmatch(cluster.namespace_prefix or ""):
                raise ValidationError(self.env._(
                    "The namespace prefix %(prefix)s must be up to 20 lowercase letters, digits and '-', "
                    "ending with '-'.",
                    prefix=cluster.namespace_prefix,
                ))

    def _namespace_for(self, deployment):
        """The namespace ``deployment`` lives in on this cluster."""
        self.ensure_one()
        return clip_label(f"{self.namespace_prefix or ''}{deployment.namespace}")
