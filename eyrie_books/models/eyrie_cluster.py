from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..k8s import DryRunKube, InvalidKubeconfig, Kube, KubeError, api_client_from_kubeconfig, api_client_from_token
from ..k8s.spec import DEFAULT_GIT_IMAGE


class EyrieCluster(models.Model):
    _inherit = "eyrie.cluster"

    git_image = fields.Char(
        default=DEFAULT_GIT_IMAGE, required=True,
        help="Image of the init container that fetches a deployment's code (needs sh, git and ssh).",
    )

    @api.constrains("kubeconfig", "auth_method")
    def _check_kubeconfig(self):
        for cluster in self.sudo().filtered(lambda c: c.auth_method == "kubeconfig" and c.kubeconfig):
            try:
                api_client_from_kubeconfig(cluster.kubeconfig)
            except InvalidKubeconfig as error:
                raise ValidationError(self.env._(
                    "The kubeconfig of %(cluster)s cannot be used: %(error)s", cluster=cluster.name, error=str(error),
                )) from None

    def _k8s_operations(self):
        """The cluster operations for book steps: a dry run, or the real API server."""
        self.ensure_one()
        if self.dry_run:
            return DryRunKube()
        cluster = self.sudo()  # credentials are for managers; steps run as the user who started them
        if cluster.auth_method == "kubeconfig":
            if not cluster.kubeconfig:
                raise InvalidKubeconfig(f"cluster {cluster.name} has no kubeconfig")
            return Kube(api_client_from_kubeconfig(cluster.kubeconfig))
        if not (cluster.api_server and cluster.token):
            raise InvalidKubeconfig(f"cluster {cluster.name} needs an API server URL and a token")
        return Kube(api_client_from_token(cluster.api_server, cluster.token, cluster.ca_cert or None))

    def action_test_connection(self):
        self.ensure_one()
        try:
            version = self._k8s_operations().check_connection()
        except (KubeError, ValueError) as error:
            raise UserError(self.env._(
                "Cannot reach %(cluster)s: %(error)s", cluster=self.name, error=str(error),
            )) from None
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("Connected to %(cluster)s", cluster=self.name),
                "message": self.env._("Kubernetes %(version)s", version=version.get("gitVersion", "?")),
            },
        }
