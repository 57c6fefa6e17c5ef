import json

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.eyrie import lifecycle

from .. import runs
from ..k8s import KubeError
from ..k8s.compare import HIDDEN
from ..k8s.errors import InvalidSpec, shorten
from ..preview import counts, preview_steps, replay
from ..steps import parse_parameters

# Seconds a preview waits for each answer of a cluster: one that does not answer is reported, not awaited.
READ_TIMEOUT = 10
# Done runs replayed at most to tell what a dry-run cluster "has" (since its last drop).
REPLAYED_RUNS = 20
# Longest value shown in a change line (a whole list of containers can be long).
SHOWN_CHARS = 400


class EyrieDeploymentPreview(models.TransientModel):
    """Preview before apply: what an action's book would do on each cluster of a deployment,
    read from the clusters, nothing sent (see ``eyrie.deployment.preview_action``)."""

    _name = "eyrie.deployment.preview"
    _description = "Deployment Preview"

    deployment_id = fields.Many2one("eyrie.deployment", required=True, ondelete="cascade")
    action = fields.Selection(
        [("initialize", "Initialize"), ("deploy", "Deploy"), ("redeploy", "Re-deploy"), ("pause", "Pause"),
         ("drop", "Drop")],
        required=True, default=lambda self: self._default_action(),
    )
    result_html = fields.Html(string="Preview", compute="_compute_result_html", sanitize=False)

    def _default_action(self):
        deployment = self.env["eyrie.deployment"].browse(self.env.context.get("default_deployment_id"))
        return "redeploy" if deployment.exists() and deployment.state == lifecycle.DEPLOY else "deploy"

    @api.depends("deployment_id", "action")
    def _compute_result_html(self):
        for wizard in self:
            wizard.result_html = wizard.deployment_id and wizard.action and self._render(
                wizard.deployment_id, wizard.action)

    def action_refresh(self):
        """Read the clusters again (the dialog stays open)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
            "view_mode": "form", "views": [(False, "form")], "target": "new",
        }

    @api.model
    def _render(self, deployment, action):
        """The preview as HTML (the dialog's and the portal page's), or the reason there is none."""
        try:
            preview = deployment.preview_action(action)
        except UserError as error:
            preview = {"error": error.args[0], "clusters": []}
        return self.env["ir.qweb"]._render("eyrie_books.eyrie_preview_result", {
            "preview": preview, "shown": _shown,
        })

    # ------------------------------------------------------------------
    # The preview itself
    # ------------------------------------------------------------------

    @api.model
    def _preview(self, deployment, action):
        """See ``eyrie.deployment.preview_action``."""
        target = lifecycle.ACTION_TARGETS.get(action)
        if target is None:
            raise UserError(self.env._("%(action)s is not an action of a deployment.", action=action))
        book = deployment.group_id[f"deployment_{lifecycle.ACTIONS[target]}_book_id"]
        if not book:
            raise UserError(self.env._(
                "No book is set for this action on the group %(group)s: nothing would run.",
                group=deployment.group_id.display_name,
            ))
        version = deployment.current_version_id
        return _plain({
            "deployment_id": deployment.id,
            "action": action,
            "book": book.name,
            "version": version.number,
            "clusters": [self._preview_cluster(deployment, book, version, cluster)
                         for cluster in version.cluster_ids.sorted("name")],
        })

    def _preview_cluster(self, deployment, book, version, cluster):
        """One cluster's part: its objects, or a readable error (the other clusters go on)."""
        result = {"cluster_id": cluster.id, "cluster": cluster.name, "dry_run": cluster.dry_run, "error": False,
                  "objects": [], "counts": counts([])}
        try:
            spec = deployment._k8s_spec(cluster, version)
            steps = self._steps(deployment, book, cluster, version)
            if cluster.dry_run:
                source = replay(self._replayed_runs(deployment, cluster))
                result["compared_with"] = self.env._("what the runs so far sent to this dry-run cluster")
            else:
                source = cluster._k8s_operations()
                source.timeout = READ_TIMEOUT
                result["compared_with"] = self.env._("the live objects of the cluster")
            entries = preview_steps(source, spec, steps)
        except InvalidSpec as error:
            result["error"] = self.env._("%(cluster)s: the objects cannot be built: %(error)s",
                                         cluster=cluster.name, error=str(error))
        except (KubeError, ValueError) as error:
            result["error"] = self.env._("%(cluster)s: cannot read the cluster: %(error)s",
                                         cluster=cluster.name, error=shorten(str(error), 300))
        else:
            result.update(objects=entries, counts=counts(entries))
        return result

    def _steps(self, deployment, book, cluster, version):
        """(kind, parameters) of the book's steps as a run on ``cluster`` would take them."""
        steps = []
        for step in book.step_ids.sorted(lambda step: (step.sequence, step.id)):
            params = parse_parameters(step.parameters)
            if step.kind == "update_modules":
                params["modules"] = self._changed_modules(deployment, cluster, version)
            steps.append((step.kind, params))
        return steps

    def _changed_modules(self, deployment, cluster, version):
        """[] when the run would update no module (no code, or the commit already running there);
        None otherwise: the preview asks git nothing, it shows the update Job."""
        if not (version.repository_id and version.commit_ref):
            return []
        previous = self._done_runs(deployment, cluster).filtered(
            lambda job: job.action in ("init", "deploy"))[:1].version_id
        same = (previous.repository_id, previous.commit_ref) == (version.repository_id, version.commit_ref)
        return [] if same else None

    def _replayed_runs(self, deployment, cluster):
        """(spec, steps) of the done runs since the last drop on ``cluster``, oldest first."""
        replayed = []
        for job in self._done_runs(deployment, cluster)[:REPLAYED_RUNS]:
            if job.action == "drop":
                break
            try:
                spec = deployment._k8s_spec(cluster, job.version_id)
            except InvalidSpec:
                continue
            steps = [(step.kind, {**parse_parameters(step.parameters), "modules": None})
                     for step in job.step_ids.sorted(lambda step: (step.sequence, step.id))]
            replayed.append((spec, steps))
        return replayed[::-1]

    def _done_runs(self, deployment, cluster):
        return self.env["eyrie.job"].sudo().search([
            ("deployment_id", "=", deployment.id), ("cluster_id", "=", cluster.id), ("state", "=", runs.DONE),
        ], order="id desc")


def _plain(value):
    """``value`` without None: XML-RPC has no null. A key whose value is None is left out (the
    ``live`` value of a field the live object lacks)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _shown(change, key):
    """The ``key`` value of a change line as compact JSON, cut short; a dash when absent."""
    if key not in change:
        return "—"
    if change[key] == HIDDEN:
        return HIDDEN
    return shorten(json.dumps(change[key], sort_keys=True, ensure_ascii=False), SHOWN_CHARS)

