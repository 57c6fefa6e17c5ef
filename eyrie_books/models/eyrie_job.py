from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.eyrie import lifecycle
from odoo.addons.eyrie.git_remote import GitError, changed_modules

from .. import runs
from ..notifier import notify_deployments


class EyrieJob(models.Model):
    """One run of a Deployment Book for one deployment on one cluster."""

    _name = "eyrie.job"
    _description = "Deployment Book Run"
    _order = "id desc"

    deployment_id = fields.Many2one("eyrie.deployment", required=True, index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one(related="deployment_id.company_id", store=True, index=True)
    book_id = fields.Many2one("eyrie.book", required=True, readonly=True, ondelete="restrict")
    action = fields.Selection(related="book_id.action", store=True)
    version_id = fields.Many2one(
        "eyrie.deployment.version", required=True, readonly=True, index=True, ondelete="cascade",
        help="What the run applies: every step builds its objects from this version, whatever is edited meanwhile.",
    )
    previous_state = fields.Selection(
        lifecycle.STATES, readonly=True,
        help="The deployment's state before the move this run makes: cancelling an unfinished Initialize or "
             "Deploy returns it there.",
    )
    cluster_id = fields.Many2one("eyrie.cluster", required=True, readonly=True, ondelete="restrict")
    dry_run = fields.Boolean(readonly=True)
    user_id = fields.Many2one("res.users", string="Started By", readonly=True, default=lambda self: self.env.user)
    state = fields.Selection(runs.RUN_STATES, default=runs.QUEUED, required=True, readonly=True, index=True)
    date_start = fields.Datetime(readonly=True)
    date_end = fields.Datetime(readonly=True)
    step_ids = fields.One2many("eyrie.job.step", "job_id", string="Steps", readonly=True)
    failed_step_id = fields.Many2one("eyrie.job.step", compute="_compute_failed_step")
    error = fields.Text(compute="_compute_failed_step")

    # At most one queued or running run per deployment and cluster, whatever happens above.
    _one_active_run = models.UniqueIndex(
        "(deployment_id, cluster_id) WHERE state IN ('queued', 'running')",
        "This deployment already has a run in progress on this cluster.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("version_id"):  # by default, what the deployment is set to run now
                deployment = self.env["eyrie.deployment"].browse(vals.get("deployment_id"))
                vals["version_id"] = deployment.current_version_id.id
        return super().create(vals_list)

    @api.depends("step_ids.state", "step_ids.error")
    def _compute_failed_step(self):
        for job in self:
            job.failed_step_id = job.step_ids.filtered(lambda step: step.state == runs.FAILED)[:1]
            job.error = job.failed_step_id.error

    @api.depends("action", "deployment_id", "cluster_id")
    def _compute_display_name(self):
        labels = dict(self._fields["action"]._description_selection(self.env))
        for job in self:
            job.display_name = f"{labels.get(job.action, '')} · {job.deployment_id.name} · {job.cluster_id.name}"

    # ------------------------------------------------------------------
    # Starting and finishing
    # ------------------------------------------------------------------

    def _start(self):
        """Copy the book's steps into each run and enqueue the first one."""
        for job in self:
            job.step_ids = [
                fields.Command.create({
                    "sequence": step.sequence, "kind": step.kind, "name": step.name,
                    "parameters": step.parameters, "timeout": step.timeout, "max_retries": step.max_retries,
                })
                for step in job.book_id.step_ids
            ]
            job._advance()

    def _advance(self, after=None):
        """Enqueue the next pending step, or finish the run when none is left. After the step
        ``after``, while its queue job's batch lasts, returns the next step instead: that job runs
        it."""
        self.ensure_one()
        # Read with what enqueuing it needs: one query, not a search and then a read.
        following = self.env["eyrie.job.step"].search_fetch(
            [("job_id", "=", self.id), ("state", "=", runs.PENDING)], ["kind", "name", "max_retries", "job_id"],
            order="sequence, id", limit=1,
        )
        batched = following.browse()
        if not following:
            self.write({"state": runs.DONE, "date_end": fields.Datetime.now()})
            self.deployment_id._deploy_pending_push()
        elif after and after._in_batch():
            batched = following
        else:
            following._enqueue()
        self._notify()
        return batched

    def _changed_modules(self):
        """The Odoo modules this run's commit changed since the commit that ran on its cluster
        (``update_modules`` updates them): every module on a first deploy or where history was
        rewritten, ``["all"]`` without a branch to read history from, None on a dry run (which
        asks git nothing)."""
        self.ensure_one()
        version = self.version_id
        if self.dry_run:
            return None
        if not (version.repository_id and version.commit_ref):
            return []
        if not version.branch:
            return ["all"]
        previous = self.search([
            ("deployment_id", "=", self.deployment_id.id), ("cluster_id", "=", self.cluster_id.id),
            ("state", "=", runs.DONE), ("action", "in", ("init", "deploy")), ("id", "<", self.id),
        ], order="id desc", limit=1).version_id
        if (previous.repository_id, previous.commit_ref) == (version.repository_id, version.commit_ref):
            return []
        try:
            return changed_modules(version.repository_id._git_remote(), version.branch,
                                   previous.commit_ref or "", version.commit_ref)
        except GitError as error:
            raise ValueError(f"Cannot list the modules the commit changed: {error}") from None

    def _fail(self):
        self.write({"state": runs.FAILED, "date_end": fields.Datetime.now()})
        self._notify()

    def _in_progress_message(self):
        return self.env._(
            "%(name)s already has a run in progress (%(run)s): wait for it to end, or cancel it.",
            name=self.deployment_id.display_name, run=self.display_name,
        )

    def _notify(self):
        """Tell the web clients showing these runs that they changed (they reload what they show)."""
        notify_deployments(self.env, "eyrie.run", {"deployment_ids": self.deployment_id.ids, "job_ids": self.ids},
                           self.deployment_id)

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------

    def action_resume(self):
        """Run a failed run again from its failed step."""
        for job in self._check_failed():
            job.failed_step_id.write({"state": runs.PENDING, "error": False})
            job._restart()
        return True

    def action_retry(self):
        """Run a failed run again from its first step, with the same book and version (every step is
        idempotent: those that were done find their objects in place)."""
        for job in self._check_failed():
            job.step_ids.write({"state": runs.PENDING, "error": False, "date_start": False, "date_end": False})
            job._restart()
        return True

    def _check_failed(self):
        """The runs, sudoed, once the user may change their deployments and each is failed and
        alone (no other run of its deployment in progress)."""
        self.deployment_id.check_access("write")
        for job in self.sudo():
            if job.state != runs.FAILED:
                raise UserError(self.env._("Only a failed run can be resumed or retried (%(run)s is not).",
                                           run=job.display_name))
            job.deployment_id._check_no_active_run()
        return self.sudo()

    def _restart(self):
        self.ensure_one()
        self.write({"state": runs.QUEUED, "date_end": False})
        self._advance()

    def action_cancel(self):
        """Stop a run: steps not started yet will not run; a running step ends its attempt.

        Cancelling an Initialize or a Deploy that did not finish returns the deployment to the state
        it was in before that move (once no other run of it is in progress); a Pause or a Drop has
        no way back, the deployment stays where it is. The chatter says which.
        """
        self.deployment_id.check_access("write")
        for job in self.sudo():
            if job.state in runs.FINAL:
                raise UserError(self.env._("%(run)s has already ended.", run=job.display_name))
        self.sudo()._cancel_run()
        for job in self.sudo():
            job._after_cancel()
        return True

    def _cancel_run(self):
        for job in self:
            job.step_ids.filtered(lambda step: step.state not in runs.FINAL)._cancel()
            job.write({"state": runs.CANCELLED, "date_end": fields.Datetime.now()})
            job._notify()

    def _after_cancel(self):
        """Restore the deployment's state after its run was cancelled, or say why it stays."""
        deployment = self.deployment_id
        labels = dict(deployment._fields["state"]._description_selection(self.env))
        target = lifecycle.TARGET_OF.get(self.action)
        if deployment.state != target or deployment.state == self.previous_state:
            return
        if lifecycle.restorable(deployment.state, self.previous_state):
            if self.search_count([("deployment_id", "=", deployment.id), ("state", "in", tuple(runs.ACTIVE))]):
                return  # the last run of the move to be cancelled restores the state
            deployment._change_state(self.previous_state, restore=True)
            deployment.message_post(body=self.env._(
                "%(run)s was cancelled: the deployment is back in %(state)s.",
                run=self.display_name, state=labels[self.previous_state],
            ))
        else:
            deployment.message_post(body=self.env._(
                "%(run)s was cancelled: the deployment stays in %(state)s (what the run did on the cluster is "
                "not undone).",
                run=self.display_name, state=labels[deployment.state],
            ))
