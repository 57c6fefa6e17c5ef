from odoo import api, fields, models

from ..k8s import logs


class EyriePodLog(models.TransientModel):
    """The last lines of a pod of a deployment, in the backend (see ``eyrie.deployment.get_pod_log``)."""

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
