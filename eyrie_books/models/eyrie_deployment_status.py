from odoo import api, fields, models
from odoo.tools import format_datetime

from ..k8s import health

HEALTH_STATES = [
    (health.HEALTHY, "Healthy"),
    (health.PROGRESSING, "Progressing"),
    (health.DEGRADED, "Degraded"),
    (health.PAUSED, "Paused"),
    (health.MISSING, "Missing"),
    (health.UNKNOWN, "Unknown"),
]
SYNC_STATES = [(health.IN_SYNC, "In Sync"), (health.OUT_OF_SYNC, "Out of Sync"), (health.UNKNOWN, "Unknown")]
# A deployment's health is its worst cluster's: the first of these that one of them has.
HEALTH_PRIORITY = (
    health.DEGRADED, health.MISSING, health.UNKNOWN, health.PROGRESSING, health.PAUSED, health.HEALTHY,
)
SYNC_PRIORITY = (health.OUT_OF_SYNC, health.UNKNOWN, health.IN_SYNC)
# Health states the chatter reports when a deployment falls into them (not on every refresh).
BAD_HEALTH = (health.DEGRADED, health.MISSING)


class EyrieDeploymentStatus(models.Model):
    """What a deployment looks like on one cluster, as the last refresh saw it: its health, read
    from the workload's and the operator's own status, and whether the live objects still hold
    what its current version applies (sync). Written by refreshes only (in sudo)."""

    _name = "eyrie.deployment.status"
    _description = "Deployment Health on a Cluster"
    _order = "deployment_id, cluster_id"
    _rec_name = "cluster_id"

    deployment_id = fields.Many2one("eyrie.deployment", required=True, index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one(related="deployment_id.company_id", store=True, index=True)
    cluster_id = fields.Many2one("eyrie.cluster", required=True, index=True, ondelete="cascade", readonly=True)
    health = fields.Selection(HEALTH_STATES, required=True, readonly=True)
    health_reason = fields.Char(readonly=True)
    health_since = fields.Datetime(readonly=True, help="When the health last changed.")
    sync = fields.Selection(SYNC_STATES, required=True, readonly=True)
    sync_reason = fields.Text(readonly=True, help="The objects and fields that differ (never their values).")
    sync_since = fields.Datetime(readonly=True, help="When the sync status last changed.")
    date_checked = fields.Datetime(readonly=True, string="Checked")
    summary = fields.Char(compute="_compute_summary", help="Health, reason and since when, as the cards show it.")

    _deployment_cluster_uniq = models.UniqueIndex(
        "(deployment_id, cluster_id)", "A deployment has one health per cluster.",
    )

    @api.depends("health", "health_reason", "health_since", "cluster_id.name")
    @api.depends_context("tz")
    def _compute_summary(self):
        labels = dict(self._fields["health"]._description_selection(self.env))
        for status in self:
            since = format_datetime(self.env, status.health_since, dt_format="short") if status.health_since else ""
            status.summary = self.env._(
                "%(cluster)s: %(health)s: %(reason)s since %(since)s", cluster=status.cluster_id.name,
                health=labels.get(status.health, ""), reason=status.health_reason or "", since=since,
            )

    def _record(self, deployment, cluster, answer, now):
        """Store ``answer`` (health, sync) of ``deployment`` on ``cluster``, among the statuses before
        (``self``; none the first time). Returns (anything changed, the health fell into a bad state,
        drift appeared)."""
        found, sync = answer
        old = self.filtered(lambda status: status.deployment_id == deployment and status.cluster_id == cluster)
        values = {
            "health": found.state, "health_reason": found.reason, "sync": sync.state,
            "sync_reason": sync.reason or False, "date_checked": now,
        }
        if old.health != found.state:
            values["health_since"] = now
        if old.sync != sync.state:
            values["sync_since"] = now
        fell = found.state in BAD_HEALTH and old.health not in BAD_HEALTH
        drifted = sync.state == health.OUT_OF_SYNC and old.sync != health.OUT_OF_SYNC
        changed = not old or any(old[name] != value for name, value in values.items() if name != "date_checked")
        if old:
            old.write(values)
        else:
            self.create({**values, "deployment_id": deployment.id, "cluster_id": cluster.id})
        return changed, fell, drifted
