import json
from collections import defaultdict

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.eyrie import lifecycle
from odoo.addons.eyrie.models.eyrie_deployment import SOURCE_TYPES
from odoo.addons.eyrie.naming import DNS_LABEL_MAX

from .. import runs
from ..k8s import DeploymentSpec, Source
from ..k8s.spec import DEFAULT_GIT_IMAGE, NAME_SUFFIXES

# The run status a deployment shows when its clusters' latest runs differ: the most pressing.
RUN_STATE_PRIORITY = (runs.RUNNING, runs.QUEUED, runs.FAILED, runs.DONE, runs.CANCELLED)


class EyrieDeployment(models.Model):
    _inherit = "eyrie.deployment"
    # Its objects are named slug + a suffix, and its Service's name must start with a letter.
    _slug_max_length = DNS_LABEL_MAX - max(map(len, NAME_SUFFIXES))
    _slug_lead = "d"

    replicas = fields.Integer(
        default=1, tracking=True, versioned=True, help="Pods of the workload (instances of a database cluster).",
    )
    port = fields.Integer(versioned=True, help="Port the container listens on (generic deployments).")
    source_path = fields.Char(
        versioned=True,
        help="Where the repository's code is put in the container, e.g. /srv/app (generic deployments; empty: "
             "the app runs its image alone). Odoo deployments find it on their addons path.",
    )
    storage_size = fields.Char(default="1Gi", versioned=True, help="Volume size, e.g. 10Gi.")
    settings = fields.Text(
        default="{}", versioned=True,
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
    live_job_ids = fields.Many2many(
        "eyrie.job", compute="_compute_live", string="Live",
        help="On each cluster, the latest Initialize or Deploy run that finished: the version it applied runs there.",
    )
    pending_changes = fields.Boolean(
        compute="_compute_live", search="_search_pending_changes",
        help="A cluster runs another version than the current one: Re-deploy rolls the current one out.",
    )
    push_pending = fields.Boolean(
        readonly=True, copy=False,
        help="A push arrived while a run was in progress: its version deploys when the runs end.",
    )
    can_resume = fields.Boolean(compute="_compute_available_actions")
    can_retry = fields.Boolean(compute="_compute_available_actions")
    can_cancel = fields.Boolean(compute="_compute_available_actions")

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

    def _live_runs_query(self, deployment_ids=None):
        """The live run of each deployment on each of its clusters: the latest Initialize or Deploy
        run that finished, unless a Drop finished after it (then nothing is live there)."""
        self.env["eyrie.job"].flush_model(["deployment_id", "cluster_id", "state", "action", "version_id"])
        return SQL(
            """SELECT deployment_id, cluster_id, id, version_id FROM (
                   SELECT DISTINCT ON (job.deployment_id, job.cluster_id)
                          job.deployment_id, job.cluster_id, job.id, job.version_id, job.action
                     FROM eyrie_job job
                     JOIN eyrie_deployment_cluster_rel rel
                       ON rel.deployment_id = job.deployment_id AND rel.cluster_id = job.cluster_id
                    WHERE job.state = 'done' AND job.action IN ('init', 'deploy', 'drop') %s
                 ORDER BY job.deployment_id, job.cluster_id, job.id DESC
               ) latest WHERE action != 'drop'""",
            SQL("AND job.deployment_id IN %s", tuple(deployment_ids) or (None,))
            if deployment_ids is not None else SQL(),
        )

    @api.depends("job_ids.state", "current_version_id", "cluster_ids")
    def _compute_live(self):
        live = defaultdict(list)
        for deployment_id, _cluster_id, job_id, version_id in self.env.execute_query(self._live_runs_query(self.ids)):
            live[deployment_id].append((job_id, version_id))
        for deployment in self:
            deployment.live_job_ids = [job_id for job_id, _version in live[deployment.id]]
            deployment.pending_changes = any(
                version_id != deployment.current_version_id.id for _job, version_id in live[deployment.id]
            )

    def _search_pending_changes(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Pending changes can be searched only as true or false."))
        self.flush_model(["current_version_id"])
        pending = SQL(
            """SELECT live.deployment_id FROM (%s) live JOIN eyrie_deployment deployment
                   ON deployment.id = live.deployment_id
                WHERE live.version_id IS DISTINCT FROM deployment.current_version_id""",
            self._live_runs_query(),
        )
        return [("id", "in" if (operator == "=") == value else "not in", pending)]

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

    def _action_run_book(self, action, previous):
        result = super()._action_run_book(action, previous)
        self._check_no_active_run()
        for deployment in self:
            book = deployment.group_id[f"deployment_{action}_book_id"]
            if not book:
                deployment.message_post(body=self.env._(
                    "No book is set for this action on the group %(group)s: nothing was run.",
                    group=deployment.group_id.display_name,
                ))
                continue
            version = deployment.current_version_id
            if not version.cluster_ids:
                raise UserError(self.env._("%(name)s has no cluster to run on.", name=deployment.display_name))
            # A Drop supersedes failed runs (the only move they allow): they can no longer be resumed.
            deployment.job_ids.filtered(lambda job: job.state == runs.FAILED)._cancel_run()
            # Runs are written by the engine only: users read them, and act through the buttons.
            # Each applies the version current now, whatever is edited while it runs.
            self.env["eyrie.job"].sudo().create([{
                "deployment_id": deployment.id, "book_id": book.id, "version_id": version.id,
                "previous_state": previous[deployment.id], "cluster_id": cluster.id, "dry_run": cluster.dry_run,
            } for cluster in version.cluster_ids])._start()
        return result

    def _deploy_pushed_version(self):
        """While a run is in progress, a pushed version waits for it; later pushes only make newer
        versions, and the newest is deployed once (see ``_deploy_pending_push``)."""
        if self.state == lifecycle.DEPLOY and self.run_state in runs.ACTIVE:
            self.push_pending = True
            return self.env._("%(name)s: version %(number)s recorded, deployed when the current run ends.",
                              name=self.display_name, number=self.current_version_id.number)
        return super()._deploy_pushed_version()

    def _deploy_pending_push(self):
        """Deploy the version pushed during the runs that just ended, once none is in progress.

        The flag is cleared by an UPDATE even where it is not set: a push committing meanwhile
        (it saw the run in progress and sets the flag) then conflicts with this transaction, and
        one of the two is retried, seeing the other's outcome, so no push is left waiting."""
        rows = self.env.execute_query(SQL(
            """UPDATE eyrie_deployment deployment SET push_pending = false
                 FROM (SELECT id, push_pending FROM eyrie_deployment WHERE id IN %s FOR UPDATE) old
                WHERE deployment.id = old.id RETURNING deployment.id, old.push_pending""",
            tuple(self.ids) or (None,),
        ))
        self.invalidate_recordset(["push_pending"])
        pushed = self.browse(deployment_id for deployment_id, was_pending in rows if was_pending)
        for deployment in pushed.with_user(SUPERUSER_ID):
            if deployment.run_state in runs.ACTIVE:
                deployment.push_pending = True  # another cluster's run goes on: its end deploys
                continue
            deployment.message_post(body=deployment._deploy_pushed_version())

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
            raise UserError(active[0]._in_progress_message())

    def _k8s_spec(self, cluster, version=None):
        """What this deployment is on ``cluster`` at ``version`` (by default the current one), for
        the Kubernetes layer (raises InvalidSpec). Every step of a run builds its objects from this,
        with the run's version: what is edited meanwhile waits for the next run."""
        self.ensure_one()
        version = version or self.current_version_id
        namespace = cluster._namespace_for(self)
        return DeploymentSpec(
            name=self.slug,
            namespace=namespace,
            type=self.type,
            image=version.image or "",
            deployment_id=self.id,
            version=str(version.number),
            replicas=version.replicas,
            host=f"{namespace}.{cluster.ingress_domain}" if cluster.ingress_domain else "",
            ingress_class=cluster.ingress_class or "",
            storage_class=cluster.storage_class or "",
            storage_size=version.storage_size or "1Gi",
            port=version.port or None,
            settings=json.loads(version.settings or "{}"),
            source=self._k8s_source(cluster, version),
        )

    def _k8s_source(self, cluster, version):
        """The code ``version`` runs, fetched at its commit, or None (no repository, or a generic
        app without a path for it). A dry run without a commit shows the branch it would fetch."""
        path = version.source_path if self.type == "none" else ""
        if self.type not in SOURCE_TYPES or not version.repository_id or not (path or self.type == "odoo"):
            return None
        remote = version.repository_id._git_remote()
        return Source(
            url=remote.url, commit=version.commit_ref or version.branch or "", branch=version.branch or "",
            username=remote.username, token=remote.token, ssh_key=remote.ssh_key, known_hosts=remote.known_hosts,
            image=cluster.git_image or DEFAULT_GIT_IMAGE, path=path or "",
        )

    # ------------------------------------------------------------------
    # Available actions: what the runs add
    # ------------------------------------------------------------------

    def _action_labels(self):
        return {
            **super()._action_labels(),
            "resume": (self.env._("Resume"), "action_resume"),
            "retry": (self.env._("Retry"), "action_retry"),
            "cancel": (self.env._("Cancel Run"), "action_cancel"),
        }

    def _latest_jobs(self):
        """{deployment: its latest run on each cluster}, read in one query for the batch."""
        latest = self._latest_runs()
        jobs = self.env["eyrie.job"].sudo().browse(job for pairs in latest.values() for job, _state in pairs)
        return {deployment: jobs.filtered(lambda job, d=deployment: job.deployment_id == d) for deployment in self}

    def _available_actions(self):
        """A run in progress blocks every action but Cancel; a failed run blocks the lifecycle (not
        Drop, how users clean up) until it is resumed, retried or cancelled."""
        result = super()._available_actions()
        latest = self._latest_jobs()
        for deployment, reasons in result.items():
            active = latest[deployment].filtered(lambda job: job.state in runs.ACTIVE)
            failed = latest[deployment].filtered(lambda job: job.state == runs.FAILED)
            blocking = False
            if active:
                blocking = active[0]._in_progress_message()
            elif failed:
                blocking = self.env._(
                    "%(run)s failed at the step “%(step)s”: resume it (from that step), retry it (from its "
                    "first step) or cancel it before anything else.",
                    run=failed[0].display_name, step=failed[0].failed_step_id.name or "?",
                )
            reasons["blocked"] = blocking
            for key in lifecycle.ACTION_TARGETS:
                if not reasons[key] and (active or (failed and key != "drop")):
                    reasons[key] = blocking
            no_failed = self.env._("%(name)s has no failed run.", name=deployment.display_name)
            reasons["resume"] = reasons["retry"] = blocking if active else (not failed and no_failed)
            reasons["cancel"] = not (active or failed) and self.env._(
                "%(name)s has no run to cancel.", name=deployment.display_name,
            )
        return result

    # ------------------------------------------------------------------
    # Buttons: the runs
    # ------------------------------------------------------------------

    def _check_run_action(self, key):
        for deployment in self:
            reason = deployment._available_actions()[deployment][key]
            if reason:
                raise UserError(reason)

    def _latest_failed_jobs(self):
        jobs = self.env["eyrie.job"].union(*self._latest_jobs().values())
        return jobs.filtered(lambda job: job.state == runs.FAILED).with_env(self.env)

    def action_resume(self):
        """Run the failed runs of the latest move again, each from its failed step."""
        self._check_run_action("resume")
        return self._latest_failed_jobs().action_resume()

    def action_retry(self):
        """Run the failed runs of the latest move again from their first step, with the same version."""
        self._check_run_action("retry")
        return self._latest_failed_jobs().action_retry()

    def action_cancel(self):
        """Cancel the failed or running runs of the latest move (see ``eyrie.job.action_cancel``)."""
        self._check_run_action("cancel")
        jobs = self.env["eyrie.job"].union(*self._latest_jobs().values())
        return jobs.filtered(lambda job: job.state not in runs.FINAL).with_env(self.env).action_cancel()

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
