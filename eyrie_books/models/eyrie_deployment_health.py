from odoo import api, fields, models
from odoo.exceptions import UserError

from ..k8s import health
from .eyrie_deployment_status import HEALTH_STATES, SYNC_STATES

# A deployment's health is its worst cluster's: the first of these that one of them has.
HEALTH_PRIORITY = (
    health.DEGRADED, health.MISSING, health.UNKNOWN, health.PROGRESSING, health.PAUSED, health.HEALTHY,
)
SYNC_PRIORITY = (health.OUT_OF_SYNC, health.UNKNOWN, health.IN_SYNC)


class EyrieDeployment(models.Model):
    """Live health and sync of a deployment (see ``eyrie.deployment.status``, one per cluster)."""

    _inherit = "eyrie.deployment"

    status_ids = fields.One2many("eyrie.deployment.status", "deployment_id", string="Health per Cluster")
    health = fields.Selection(
        HEALTH_STATES, compute="_compute_health", store=True, index=True,
        help="The worst health of its clusters at the last refresh (empty: not deployed, or only on dry-run "
             "clusters).",
    )
    sync_status = fields.Selection(
        SYNC_STATES, string="Sync", compute="_compute_health", store=True, index=True,
        help="Out of sync when a cluster holds other values than its current version applies (edited behind "
             "Eyrie's back, or not deployed yet): Re-deploy applies them again.",
    )
    health_summary = fields.Text(compute="_compute_health_summary", string="Health Details")

    @api.depends("status_ids.health", "status_ids.sync")
    def _compute_health(self):
        for deployment in self:
            healths = set(deployment.status_ids.mapped("health"))
            syncs = set(deployment.status_ids.mapped("sync"))
            deployment.health = next((state for state in HEALTH_PRIORITY if state in healths), False)
            deployment.sync_status = next((state for state in SYNC_PRIORITY if state in syncs), False)

    @api.depends("status_ids.summary", "status_ids.sync_reason")
    def _compute_health_summary(self):
        for deployment in self:
            lines = []
            for status in deployment.status_ids:
                lines.append(status.summary)
                if status.sync_reason:
                    lines.append(self.env._("%(cluster)s: differs: %(reason)s",
                                            cluster=status.cluster_id.name, reason=status.sync_reason))
            deployment.health_summary = "\n".join(lines) or False

    def action_refresh_health(self):
        """Look at the deployments on their clusters now (a few list requests per cluster)."""
        self.check_access("read")
        # Clusters the deployments left, or that turned to dry runs, have nothing to say any more.
        self.sudo().status_ids.filtered(
            lambda status: status.cluster_id.dry_run or status.cluster_id not in status.deployment_id.cluster_ids
        ).unlink()
        clusters = self.sudo().cluster_ids.filtered(lambda cluster: not cluster.dry_run)
        if not clusters:
            raise UserError(self.env._("These deployments run on dry-run clusters only: there is nothing to look at."))
        for cluster in clusters:
            cluster._refresh_health(self.sudo().filtered(lambda deployment, c=cluster: c in deployment.cluster_ids))
        return True

    def _report_health(self, status, fell, drifted):
        """Tell the chatter when the deployment falls into a bad health or drifts (not on every refresh)."""
        labels = dict(status._fields["health"]._description_selection(self.env))
        if fell:
            self.message_post(body=self.env._(
                "%(cluster)s: the deployment is %(health)s: %(reason)s.",
                cluster=status.cluster_id.name, health=labels[status.health].lower(), reason=status.health_reason,
            ))
        if drifted:
            self.message_post(body=self.env._(
                "%(cluster)s: the live objects differ from the current version (%(reason)s). Re-deploy applies it "
                "again.",
                cluster=status.cluster_id.name, reason=status.sync_reason,
            ))
