import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.eyrie import lifecycle

from .. import runs
from ..k8s import (
    DryRunKube,
    InvalidKubeconfig,
    InvalidSpec,
    Kube,
    KubeError,
    api_client_from_kubeconfig,
    api_client_from_token,
    health,
)
from ..k8s.spec import DEFAULT_GIT_IMAGE
from ..notifier import notify_deployments

_logger = logging.getLogger(__name__)

# Deployments whose objects a run applied: the others have nothing to look at yet, or any more.
LIVE_STATES = (lifecycle.DEPLOY, lifecycle.PAUSE)
# Seconds a refresh waits for each answer of the API server (a run's steps wait longer).
HEALTH_TIMEOUT = 10


class EyrieCluster(models.Model):
    _inherit = "eyrie.cluster"

    git_image = fields.Char(
        default=DEFAULT_GIT_IMAGE, required=True,
        help="Image of the init container that fetches a deployment's code (needs sh, git and ssh).",
    )
    health_interval = fields.Integer(
        string="Health Refresh (minutes)", default=5,
        help="How often the health and sync of its deployments are refreshed (0: only by the Refresh button).",
    )
    health_checked = fields.Datetime(string="Health Refreshed", readonly=True, copy=False)

    @api.constrains("health_interval")
    def _check_health_interval(self):
        for cluster in self:
            if not 0 <= cluster.health_interval <= 7 * 24 * 60:
                raise ValidationError(self.env._("The health refresh interval must be from 0 to 10080 minutes."))

    @api.constrains("kubeconfig", "auth_method")
    def _check_kubeconfig(self):
        for cluster in self.sudo().filtered(lambda c: c.auth_method == "kubeconfig" and c.kubeconfig):
            try:
                api_client_from_kubeconfig(cluster.kubeconfig)
            except InvalidKubeconfig as error:
                raise ValidationError(self.env._(
                    "The kubeconfig of %(cluster)s cannot be used: %(error)s", cluster=cluster.name, error=str(error),
                )) from None

    def _k8s_operations(self, timeout=30.0):
        """The cluster operations for book steps: a dry run, or the real API server."""
        self.ensure_one()
        if self.dry_run:
            return DryRunKube()
        cluster = self.sudo()  # credentials are for managers; steps run as the user who started them
        if cluster.auth_method == "kubeconfig":
            if not cluster.kubeconfig:
                raise InvalidKubeconfig(f"cluster {cluster.name} has no kubeconfig")
            return Kube(api_client_from_kubeconfig(cluster.kubeconfig), timeout)
        if not (cluster.api_server and cluster.token):
            raise InvalidKubeconfig(f"cluster {cluster.name} needs an API server URL and a token")
        return Kube(api_client_from_token(cluster.api_server, cluster.token, cluster.ca_cert or None), timeout)

    # ------------------------------------------------------------------
    # Health and sync of the deployments
    # ------------------------------------------------------------------

    @api.model
    def _cron_refresh_health(self):
        """Refresh the clusters whose interval has passed, each in its own transaction: a cluster that
        cannot be reached waits for its own timeout and leaves the others' results committed."""
        now = fields.Datetime.now()
        clusters = self.search([("dry_run", "=", False), ("health_interval", ">", 0)]).filtered(
            lambda cluster: not cluster.health_checked
            or cluster.health_checked + timedelta(minutes=cluster.health_interval) <= now)
        cron = self.env["ir.cron"]
        cron._commit_progress(remaining=len(clusters))
        for cluster in clusters:
            try:
                with self.env.cr.savepoint():
                    cluster._refresh_health()
            except Exception:
                _logger.exception("Health refresh of cluster %s failed", cluster.id)
            if not cron._commit_progress(1):
                break

    def _refresh_health(self, deployments=None):
        """Look at the deployed deployments of this cluster (or ``deployments`` among them) in a few list
        requests, store each one's health and sync, tell the open pages what changed and the chatter
        when a deployment falls into a bad health or drifts. Never raises for what the cluster answers:
        it becomes an *unknown* health with its reason."""
        self.ensure_one()
        cluster = self.sudo()
        on_cluster = cluster.deployment_ids if deployments is None else deployments.sudo() & cluster.deployment_ids
        candidates = on_cluster.filtered(lambda deployment: deployment.state in LIVE_STATES)
        Status = self.env["eyrie.deployment.status"].sudo()
        # Statuses of deployments that left this cluster, or the deployed states, describe nothing now.
        stale = [("cluster_id", "=", cluster.id), ("deployment_id", "not in", candidates.ids)]
        if deployments is not None:
            stale.append(("deployment_id", "in", deployments.ids))
        Status.search(stale).unlink()
        old = Status.search([("cluster_id", "=", cluster.id), ("deployment_id", "in", candidates.ids)])
        answers, targets = {}, []
        for deployment in candidates:
            try:
                spec = deployment._k8s_spec(cluster)
            except (InvalidSpec, ValueError) as error:
                unknown = self.env._("its objects cannot be built: %(error)s", error=str(error))
                answers[deployment.id] = (health.Health(health.UNKNOWN, unknown), health.Sync(health.UNKNOWN, unknown))
                continue
            previous = old.filtered(lambda status, d=deployment: status.deployment_id == d).health
            targets.append(health.Target(deployment.id, spec, deployment.state == lifecycle.PAUSE, previous or None))
        try:
            answers.update(health.survey(cluster._k8s_operations(HEALTH_TIMEOUT), targets))
        except (KubeError, ValueError) as error:  # settings that cannot make a client
            unknown = self.env._("cannot connect: %(error)s", error=str(error))
            answers.update({target.key: (health.Health(health.UNKNOWN, unknown), health.Sync(health.UNKNOWN, unknown))
                            for target in targets})
        running = set(self.env["eyrie.job"].sudo().search([
            ("cluster_id", "=", cluster.id), ("deployment_id", "in", candidates.ids),
            ("state", "in", tuple(runs.ACTIVE)),
        ]).deployment_id.ids)
        now = fields.Datetime.now()
        changed = self.env["eyrie.deployment"]
        for deployment in candidates:
            answer = answers[deployment.id]
            if deployment.id in running:  # a run is applying it: differences now are its work, not drift
                kept = old.filtered(lambda status, d=deployment: status.deployment_id == d)
                answer = (answer[0], health.Sync(kept.sync or health.UNKNOWN, kept.sync_reason or ""))
            moved, fell, drifted = old._record(deployment, cluster, answer, now)
            if moved:
                changed |= deployment
            if fell or drifted:
                status = deployment.status_ids.filtered(lambda status: status.cluster_id == cluster)
                deployment._report_health(status, fell, drifted)
        cluster.health_checked = now
        if changed:
            notify_deployments(self.env, "eyrie.health", {"deployment_ids": changed.ids}, changed)
        return answers

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
