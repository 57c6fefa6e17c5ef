import json
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.eyrie.naming import DNS_LABEL_MAX

from .. import runs
from ..k8s import DeploymentSpec
from ..k8s.spec import NAME_SUFFIXES

# The run status a deployment shows when its clusters' latest runs differ: the most pressing.
RUN_STATE_PRIORITY = (runs.RUNNING, runs.QUEUED, runs.FAILED, runs.DONE, runs.CANCELLED)


class EyrieDeployment(models.Model):
    _inherit = "eyrie.deployment"
    # Its objects are named slug + a suffix, and its Service's name must start with a letter.
    _slug_max_length = DNS_LABEL_MAX - max(map(len, NAME_SUFFIXES))
    _slug_lead = "d"

    replicas = fields.Integer(default=1, tracking=True, help="Pods of the workload (instances of a database cluster).")
    port = fields.Integer(help="Port the container listens on (generic deployments).")
    storage_size = fields.Char(default="1Gi", help="Volume size, e.g. 10Gi.")
    settings = fields.Text(
        default="{}",
        help="Type-specific settings as a JSON object, e.g. {\"db_secret\": \"shop-db-pguser-odoo\"} for Odoo.",
    )
    job_ids = fields.One2many("eyrie.job", "deployment_id", string="Runs")
    running_job_count = fields.Integer(compute="_compute_run_status", string="Running Jobs")
    run_state = fields.Selection(
        runs.RUN_STATES, compute="_compute_run_status", string="Run Status",
        help="What the latest run of each cluster says: running while any is queued or running, "
             "failed while any has failed.",
    )
    run_error = fields.Text(compute="_compute_run_error")

    def _latest_runs(self):
        """{deployment id: [(run id, state)]}: the latest run on each of its clusters, read in one
        query for the whole batch (kanban cards show these for every record of a page)."""
        self.env["eyrie.job"].flush_model(["deployment_id", "cluster_id", "state"])
        rows = self.env.execute_query(SQL(
            """SELECT DISTINCT ON (deployment_id, cluster_id) deployment_id, id, state FROM eyrie_job
               WHERE deployment_id IN %s ORDER BY deployment_id, cluster_id, id DESC""",
            tuple(self.ids) or (None,),
        ))
        latest = defaultdict(list)
        for deployment_id, job_id, state in rows:
            latest[deployment_id].append((job_id, state))
        return latest

    @api.depends("job_ids.state")
    def _compute_run_status(self):
        latest = self._latest_runs()
        for deployment in self:
            states = {state for _job, state in latest[deployment.id]}
            deployment.running_job_count = sum(state in runs.ACTIVE for _job, state in latest[deployment.id])
            deployment.run_state = next((state for state in RUN_STATE_PRIORITY if state in states), False)

    @api.depends("job_ids.state", "job_ids.step_ids.error")
    def _compute_run_error(self):
        latest = self._latest_runs()
        failed = self.env["eyrie.job"].browse(
            job for pairs in latest.values() for job, state in pairs if state == runs.FAILED
        )
        for deployment in self:
            deployment.run_error = "\n".join(
                f"{job.cluster_id.name}: {job.failed_step_id.name}: {job.error}"
                for job in failed if job.deployment_id == deployment
            ) or False

    @api.constrains("settings")
    def _check_settings(self):
        for deployment in self:
            try:
                value = json.loads(deployment.settings or "{}")
            except ValueError as error:
                raise ValidationError(self.env._("Settings are not valid JSON: %(error)s", error=str(error))) from None
            except RecursionError:  # json gives up on deep nesting with this, not a ValueError
                raise ValidationError(self.env._("Settings are not valid JSON: nested too deeply.")) from None
            if not isinstance(value, dict):
                raise ValidationError(self.env._("Settings must be a JSON object ({…})."))

    # ------------------------------------------------------------------
    # Runs
    # ------------------------------------------------------------------

    def _action_run_book(self, action):
        result = super()._action_run_book(action)
        self._check_no_active_run()
        for deployment in self:
            book = deployment.group_id[f"deployment_{action}_book_id"]
            if not book:
                deployment.message_post(body=self.env._(
                    "No book is set for this action on the group %(group)s: nothing was run.",
                    group=deployment.group_id.display_name,
                ))
                continue
            if not deployment.cluster_ids:
                raise UserError(self.env._("%(name)s has no cluster to run on.", name=deployment.display_name))
            # A new action supersedes failed runs: they can no longer be resumed.
            deployment.job_ids.filtered(lambda job: job.state == runs.FAILED).action_cancel()
            # Runs are written by the engine only: users read them, and act through the buttons.
            self.env["eyrie.job"].sudo().create([{
                "deployment_id": deployment.id, "book_id": book.id,
                "cluster_id": cluster.id, "dry_run": cluster.dry_run,
            } for cluster in deployment.cluster_ids])._start()
        return result

    def _check_no_active_run(self):
        """Refuse a second run while one is queued or running.

        The deployment rows are locked first: two requests starting a run at once serialize here,
        and the later one (retried by Odoo after the serialization failure) sees the first run.
        """
        self.env.cr.execute(SQL(
            "SELECT id FROM eyrie_deployment WHERE id IN %s FOR NO KEY UPDATE", tuple(self.ids),
        ))
        active = self.env["eyrie.job"].search([("deployment_id", "in", self.ids), ("state", "in", tuple(runs.ACTIVE))])
        if active:
            raise UserError(self.env._(
                "%(name)s already has a run in progress (%(run)s): wait for it to end, or cancel it.",
                name=active[0].deployment_id.display_name, run=active[0].display_name,
            ))

    def _k8s_spec(self, cluster):
        """What this deployment is on ``cluster``, for the Kubernetes layer (raises InvalidSpec)."""
        self.ensure_one()
        namespace = cluster._namespace_for(self)
        return DeploymentSpec(
            name=self.slug,
            namespace=namespace,
            type=self.type,
            image=self.image or "",
            deployment_id=self.id,
            version=str(self.current_version_id.number),
            replicas=self.replicas,
            host=f"{namespace}.{cluster.ingress_domain}" if cluster.ingress_domain else "",
            ingress_class=cluster.ingress_class or "",
            storage_class=cluster.storage_class or "",
            storage_size=self.storage_size or "1Gi",
            port=self.port or None,
            settings=json.loads(self.settings or "{}"),
        )

    def action_open_running_job(self):
        """The badge of a card: the steps of the current (or latest) run."""
        self.ensure_one()
        jobs = self.job_ids.filtered(lambda job: job.state in runs.ACTIVE) or self.job_ids[:1]
        action = self.env["ir.actions.act_window"]._for_xml_id("eyrie_books.eyrie_job_action")
        if len(jobs) == 1:
            action.update(res_id=jobs.id, view_mode="form", views=[(False, "form")])
        else:
            action["domain"] = [("id", "in", jobs.ids)]
        return action
