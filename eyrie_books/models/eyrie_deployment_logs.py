from odoo import models
from odoo.exceptions import AccessError, UserError

from ..k8s import KubeError, logs

# How long and how much one follow of a pod's log lasts; the page asks again for more.
FOLLOW_SECONDS = 60
FOLLOW_LINES = 2000


class EyrieDeployment(models.Model):
    """Pod logs: the pods of a deployment on each of its clusters, the last lines of a container,
    and a bounded follow of them (see ``k8s.logs``).

    Eyrie users read them (backend, JSON-2/XML-RPC); portal users through the portal pages only,
    which check the project's role and setting and then call these in sudo. Kept apart from
    ``eyrie_deployment.py``: it adds public methods that touch nothing else."""

    _inherit = "eyrie.deployment"

    def get_pods(self):
        """The pods of this deployment on each of its clusters: a list of ``{"cluster_id",
        "cluster", "pods", "error"}`` where ``pods`` lists ``{"name", "phase", "containers"}``
        and each container ``{"name", "init", "ready", "restarts", "state", "previous"}``
        (``previous``: a crashed instance's log can be read). A cluster that cannot be read
        gets its ``error`` and no pods; the others are listed all the same."""
        self.ensure_one()
        self._check_log_access()
        result = []
        for cluster in self.sudo().cluster_ids:
            entry = {"cluster_id": cluster.id, "cluster": cluster.name, "pods": [], "error": False}
            if cluster.dry_run:
                entry["error"] = self.env._("%(cluster)s is a dry-run cluster: nothing runs there.",
                                            cluster=cluster.name)
            else:
                try:
                    entry["pods"] = logs.list_pods(cluster._k8s_operations().api_client,
                                                   cluster._namespace_for(self))
                except (KubeError, ValueError) as error:
                    entry["error"] = self.env._("Cannot list the pods on %(cluster)s: %(error)s",
                                                cluster=cluster.name, error=str(error))
            result.append(entry)
        return result

    def get_pod_log(self, cluster_id, pod, container, lines=logs.DEFAULT_LINES, previous=False):
        """The last ``lines`` lines that ``container`` of ``pod`` printed on the cluster
        ``cluster_id`` (of its previous instance, after a crash, with ``previous``)."""
        self.ensure_one()
        self._check_log_access()
        cluster = self._log_cluster(cluster_id)
        try:
            return logs.read_log(cluster._k8s_operations().api_client, cluster._namespace_for(self), pod,
                                 container, lines=int(lines), previous=bool(previous))
        except (KubeError, ValueError) as error:
            raise UserError(self.env._("Cannot read the log on %(cluster)s: %(error)s",
                                       cluster=cluster.name, error=str(error))) from None

    def _pod_log_follow(self, cluster_id, pod, container, lines=logs.DEFAULT_LINES):
        """A generator of the lines of ``container`` as it prints them, bounded by
        FOLLOW_SECONDS and FOLLOW_LINES. Everything it needs from the database is read here:
        iterating it after the request's cursor is closed (a streamed response) is safe."""
        self.ensure_one()
        self._check_log_access()
        cluster = self._log_cluster(cluster_id)
        api_client = cluster._k8s_operations().api_client
        namespace = cluster._namespace_for(self)
        try:
            logs.read_log(api_client, namespace, pod, container, lines=1)  # refused now, not mid-stream
        except (KubeError, ValueError) as error:
            raise UserError(self.env._("Cannot follow the log on %(cluster)s: %(error)s",
                                       cluster=cluster.name, error=str(error))) from None
        return logs.follow_log(api_client, namespace, pod, container, lines=int(lines),
                               max_seconds=FOLLOW_SECONDS, max_lines=FOLLOW_LINES)

    def _check_log_access(self):
        """Eyrie users who may read the deployment; sudo callers checked their own rules."""
        self.check_access("read")
        if not self.env.su and not self.env.user.has_group("eyrie.group_eyrie_user"):
            raise AccessError(self.env._("Only Eyrie users read the logs of %(name)s.", name=self.display_name))

    def _log_cluster(self, cluster_id):
        """The cluster ``cluster_id`` of this deployment (sudo: its credentials), if it runs pods."""
        cluster = self.sudo().cluster_ids.filtered(lambda c: c.id == int(cluster_id or 0))
        if not cluster:
            raise UserError(self.env._("%(name)s does not run on the cluster %(cluster)s.",
                                       name=self.display_name, cluster=cluster_id))
        if cluster.dry_run:
            raise UserError(self.env._("%(cluster)s is a dry-run cluster: nothing runs there.", cluster=cluster.name))
        return cluster
