from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..k8s import KubeError, logs

# How long and how much one follow of a pod's log lasts; the page asks again for more.
FOLLOW_SECONDS = 60
FOLLOW_LINES = 2000


class EyriePodLog(models.TransientModel):
    """Pod logs: the pods of a deployment on each of its clusters, the last lines of a container,
    and a bounded follow of them (see ``k8s.logs``), for ``eyrie.deployment.get_pods``,
    ``get_pod_log`` and ``_pod_log_follow``; as a dialog, the backend's Pod Logs.

    Eyrie users read them (backend, JSON-2/XML-RPC); portal users through the portal pages only,
    which check the project's role and setting and then call these in sudo."""

    _name = "eyrie.pod.log"
    _description = "Pod Log"

    deployment_id = fields.Many2one("eyrie.deployment", required=True, readonly=True, ondelete="cascade")
    cluster_id = fields.Many2one(
        "eyrie.cluster", required=True, domain="[('id', 'in', cluster_ids)]", ondelete="cascade",
    )
    cluster_ids = fields.Many2many(related="deployment_id.cluster_ids")
    pod = fields.Char(required=True)
    container = fields.Char(required=True)
    previous = fields.Boolean(string="Previous Container", help="The instance that ran before the last restart.")
    lines = fields.Integer(default=logs.DEFAULT_LINES, required=True)
    pods = fields.Text(readonly=True, help="The pods of each cluster and their containers.")
    log = fields.Text(readonly=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        deployment = self.env["eyrie.deployment"].browse(values.get("deployment_id"))
        if deployment:
            values.update(self._pods_values(deployment))
        return values

    def _pods_values(self, deployment):
        """The pods text, and the first running app container as the choice."""
        lines, choice = [], {}
        for entry in deployment.get_pods():
            lines.append(f"{entry['cluster']}: {entry['error']}" if entry["error"] else f"{entry['cluster']}:")
            for pod in entry["pods"]:
                containers = ", ".join(
                    f"{c['name']}{' (init)' if c['init'] else ''}"
                    + (self.env._(" (%(count)s restarts)", count=c["restarts"]) if c["restarts"] else "")
                    for c in pod["containers"]
                )
                lines.append(f"  {pod['name']} [{pod['phase']}]: {containers}")
                app = next((c for c in pod["containers"] if not c["init"]), None)
                if app and not choice:
                    choice = {"cluster_id": entry["cluster_id"], "pod": pod["name"], "container": app["name"]}
        return {"pods": "\n".join(lines), **choice}

    def action_show(self):
        """Read the chosen log (and the pods again) and show them in this dialog."""
        self.ensure_one()
        self.write({
            **self._pods_values(self.deployment_id),
            "log": self.deployment_id.get_pod_log(self.cluster_id.id, self.pod, self.container, self.lines,
                                                  self.previous),
        })
        return {
            "type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id, "view_mode": "form",
            "target": "new", "name": self.env._("Pod Logs"),
        }

    # ------------------------------------------------------------------
    # Reading the clusters (what the deployment's public methods do)
    # ------------------------------------------------------------------

    @api.model
    def _log_pods(self, deployment):
        """See ``eyrie.deployment.get_pods``."""
        self._check_log_access(deployment)
        result = []
        for cluster in deployment.sudo().cluster_ids:
            entry = {"cluster_id": cluster.id, "cluster": cluster.name, "pods": [], "error": False}
            if cluster.dry_run:
                entry["error"] = self.env._("%(cluster)s is a dry-run cluster: nothing runs there.",
                                            cluster=cluster.name)
            else:
                try:
                    entry["pods"] = logs.list_pods(cluster._k8s_operations().api_client,
                                                   cluster._namespace_for(deployment))
                except (KubeError, ValueError) as error:
                    entry["error"] = self.env._("Cannot list the pods on %(cluster)s: %(error)s",
                                                cluster=cluster.name, error=str(error))
            result.append(entry)
        return result

    @api.model
    def _log_text(self, deployment, cluster_id, pod, container, lines, previous):
        """See ``eyrie.deployment.get_pod_log``."""
        self._check_log_access(deployment)
        cluster = self._log_cluster(deployment, cluster_id)
        try:
            return logs.read_log(cluster._k8s_operations().api_client, cluster._namespace_for(deployment), pod,
                                 container, lines=int(lines), previous=bool(previous))
        except (KubeError, ValueError) as error:
            raise UserError(self.env._("Cannot read the log on %(cluster)s: %(error)s",
                                       cluster=cluster.name, error=str(error))) from None

    @api.model
    def _log_follow(self, deployment, cluster_id, pod, container, lines):
        """See ``eyrie.deployment._pod_log_follow``."""
        self._check_log_access(deployment)
        cluster = self._log_cluster(deployment, cluster_id)
        api_client = cluster._k8s_operations().api_client
        namespace = cluster._namespace_for(deployment)
        try:
            logs.read_log(api_client, namespace, pod, container, lines=1)  # refused now, not mid-stream
        except (KubeError, ValueError) as error:
            raise UserError(self.env._("Cannot follow the log on %(cluster)s: %(error)s",
                                       cluster=cluster.name, error=str(error))) from None
        return logs.follow_log(api_client, namespace, pod, container, lines=int(lines),
                               max_seconds=FOLLOW_SECONDS, max_lines=FOLLOW_LINES)

    @api.model
    def _check_log_access(self, deployment):
        """Eyrie users who may read the deployment; sudo callers checked their own rules."""
        deployment.ensure_one()
        deployment.check_access("read")
        if not self.env.su and not self.env.user.has_group("eyrie.group_eyrie_user"):
            raise AccessError(self.env._("Only Eyrie users read the logs of %(name)s.", name=deployment.display_name))

    @api.model
    def _log_cluster(self, deployment, cluster_id):
        """The cluster ``cluster_id`` of the deployment (sudo: its credentials), if it runs pods."""
        cluster = deployment.sudo().cluster_ids.filtered(lambda c: c.id == int(cluster_id or 0))
        if not cluster:
            raise UserError(self.env._("%(name)s does not run on the cluster %(cluster)s.",
                                       name=deployment.display_name, cluster=cluster_id))
        if cluster.dry_run:
            raise UserError(self.env._("%(cluster)s is a dry-run cluster: nothing runs there.", cluster=cluster.name))
        return cluster
