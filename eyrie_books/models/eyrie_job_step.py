import logging
import time
from datetime import timedelta

from odoo import fields, models

from odoo.addons.queue_job.exception import RetryableJobError

from .. import runs
from ..k8s import DryRunKube, KubeError, PermanentError, RetryableError
from ..steps import KINDS, NotReady, parse_parameters, run_step

_logger = logging.getLogger(__name__)

# queue_job states (odoo.addons.queue_job.job) this model follows.
QJ_PENDING, QJ_STARTED, QJ_FAILED, QJ_CANCELLED = "pending", "started", "failed", "cancelled"
# queue_job's default job priority, and the lower ones (higher numbers) of a waiting step's first
# look and of its later looks. A channel runs its due jobs by priority, then oldest first: steps with
# work go first, then the first looks of new waits, then the looks of waits under way (which keep
# their queue job, so oldest first would serve them before any new wait).
DEFAULT_PRIORITY, WAIT_PRIORITY, LATER_LOOK_PRIORITY = 10, 20, 30
# What a look of a waiting step found, {(database, step id): values}: handed from its execution,
# which queue_job rolls back, to the write that postpones its queue job (in the same thread, right
# after: ``_sync_from_queue_job``).
_LOOKS = {}
# The queue job states a step follows; "enqueued" and "done" change nothing for it (a step is
# done by its own job, in the job's transaction).
FOLLOWED_STATES = (QJ_PENDING, QJ_STARTED, QJ_FAILED, QJ_CANCELLED)
# How long a queue job goes on with the next steps of its run (see the class docstring), in seconds;
# 0 gives every step a queue job of its own.
BATCH_PARAMETER, BATCH_SECONDS = "eyrie_books.step_batch_seconds", 0.5


class EyrieJobStep(models.Model):
    """One step of a run, executed by one queue job at a time.

    How a step runs:

    * ``_enqueue`` delays ``_execute`` on the ``root.eyrie`` channel; the step is *queued*.
    * queue_job marks its job *started* and commits before performing it; ``queue.job.write``
      calls ``_sync_from_queue_job``, so the step shows *running* (and its attempt) at once.
    * ``_execute`` runs the step kind against the cluster (or a dry run). Success, or a permanent
      error, is written in the job's own transaction together with enqueuing the next step, so a
      step is never reported done without its successor being queued, nor run twice after success.
    * A retryable Kubernetes error raises ``RetryableJobError``: queue_job rolls back, waits
      (Retry-After, or the channel's retry pattern) and runs it again; the attempt's log and error
      reach the step through ``_sync_from_queue_job``.
    * A waiting step (workload ready, init job complete) looks once per execution. Not ready yet,
      it raises ``RetryableJobError(seconds=poll, ignore_retry=True)``: the worker is free until
      the next look, and looks count neither as attempts nor against the queue job's retries.
      When queue_job postpones the job, the step records its wait (since, deadline, phase, one log
      line updated at each look). The deadline
      (the step's timeout after its first look) bounds the whole wait; past it the step fails.
      A cancelled run's step is found cancelled at its next look (its queue job is cancelled).
    * A step that ends early in its queue job does not wait for a job of its own: the same job runs
      the next step, and so on while the job has run under ``BATCH_SECONDS`` (the system parameter
      ``eyrie_books.step_batch_seconds``; 0 turns batches off). A queue job's round trip through the
      runner costs more than a quick step: a book of quick steps runs in one. The batch runs in a
      cursor of its own and commits as each step begins, so every step shows live and has its
      attempt counted before it sends anything, as in a job of its own. A step that cannot end
      there (not ready yet, an error to retry, any other error) is rolled back to where it began
      and gets a queue job of its own, which looks, retries or fails as above. A job found dead
      after its batch went on runs again from the step it had reached.
    * If the server dies mid-step, queue_job's runner finds the job dead and requeues it; the step
      runs again (every step is idempotent). When queue_job gives up (too many retries, or found
      dead too often), ``_sync_from_queue_job`` marks the step failed; the run can be resumed.
    """

    _name = "eyrie.job.step"
    _description = "Deployment Book Run Step"
    _order = "job_id, sequence, id"

    job_id = fields.Many2one("eyrie.job", required=True, index=True, ondelete="cascade", readonly=True)
    sequence = fields.Integer(readonly=True)
    kind = fields.Char(required=True, readonly=True)
    name = fields.Char(required=True, readonly=True)
    parameters = fields.Text(readonly=True)
    timeout = fields.Integer(readonly=True)
    max_retries = fields.Integer(readonly=True)
    state = fields.Selection(runs.STEP_STATES, default=runs.PENDING, required=True, readonly=True, index=True)
    attempt = fields.Integer(readonly=True)
    date_start = fields.Datetime(readonly=True)
    date_end = fields.Datetime(readonly=True)
    duration = fields.Float(compute="_compute_duration", help="Seconds", digits=(16, 2))
    log = fields.Text(readonly=True)
    error = fields.Text(readonly=True)
    queue_job_id = fields.Many2one("queue.job", readonly=True, index="btree_not_null", ondelete="set null")
    # A waiting step between two looks: its worker is free, its queue job pending until the next.
    waiting = fields.Boolean(readonly=True)
    wait_since = fields.Datetime(readonly=True)
    wait_deadline = fields.Datetime(readonly=True, help="When the step stops waiting and fails.")
    wait_phase = fields.Char(readonly=True, help="What the object waited for said at the last look.")

    def _compute_duration(self):
        now = fields.Datetime.now()
        for step in self:
            end = step.date_end or (step.date_start and now)
            step.duration = (end - step.date_start).total_seconds() if step.date_start else 0.0

    # ------------------------------------------------------------------
    # Engine
    # ------------------------------------------------------------------

    def _enqueue(self):
        self.ensure_one()
        # Queued before delaying: a job run inline (queue_job__no_delay, the demo data) ends the step.
        self.write({
            "state": runs.QUEUED, "waiting": False, "wait_since": False, "wait_deadline": False, "wait_phase": False,
        })
        kind = KINDS.get(self.kind)  # an unknown kind fails when it runs, saying so
        # Looks of waiting steps yield to the steps of other runs that have work to do.
        self._delay(WAIT_PRIORITY if kind and kind.waits else DEFAULT_PRIORITY)

    def _delay(self, priority, eta=None):
        # Its queue job links itself to the step as it is created (see queue_job.py).
        self.with_delay(
            channel="root.eyrie", priority=priority, eta=eta, max_retries=self.max_retries + 1,
            description=f"{self.job_id.display_name}: {self.name}",
        )._execute()

    def _execute(self):
        """The queue job: run this step on the run's cluster (as the user who started the run), then
        the next ones while the batch lasts, in a cursor of its own that commits as each begins
        (the job's cursor may not commit: it holds queue_job's lock on the job until the job ends)."""
        self.ensure_one()
        batch = self._batch_seconds()
        if not batch:
            return self.sudo()._run_batch(batch)
        with self.env.registry.cursor() as cr:
            return self.with_env(self.env(cr=cr)).sudo()._run_batch(batch)

    def _batch_seconds(self):
        """How long this queue job may go on with the next steps: not at all when queue_job performs
        the step directly, without storing a job (``queue_job__no_delay``, demo data), in the
        caller's transaction."""
        uuid = self.env.context.get("job_uuid")
        if not uuid or self.queue_job_id.uuid != uuid:
            return 0
        return float(self.env["ir.config_parameter"].sudo().get_param(BATCH_PARAMETER, BATCH_SECONDS))

    def _run_batch(self, batch):
        step = self.with_context(eyrie_batch_until=time.monotonic() + batch)
        if step.state in runs.FINAL:
            # Found dead after a batch had gone on: the job goes on with the step it had reached.
            step = step.search([("job_id", "=", step.job_id.id), ("queue_job_id", "=", step.queue_job_id.id),
                                ("state", "=", runs.RUNNING)], limit=1) or step
        result, following = step._run()
        while following:
            following = following._run_in_batch(step.queue_job_id)
        return result

    def _in_batch(self):
        """Whether the queue job running this step has time left for the next one."""
        return time.monotonic() < self.env.context.get("eyrie_batch_until", 0)

    def _run_in_batch(self, qjob):
        """Run this step in the queue job ``qjob`` that ran the step before; what cannot end here
        gets a queue job of its own. Returns the step to run next in the batch, if any."""
        self.write({**self._attempt_values(), "queue_job_id": qjob.id})
        # The step before is done and this one running, live and counted, before it sends anything.
        self.env.cr.commit()  # pylint: disable=invalid-commit  # the batch's own cursor (see _execute)
        try:
            with self.env.cr.savepoint():
                return self._run()[1]
        except Exception as error:  # every end but done or failed goes on in a job of its own
            if look := _LOOKS.pop((self.env.cr.dbname, self.id), None):
                # Not ready yet: it waits, as after a look in its own job, until its next look there.
                self.write(look)
                self._delay(LATER_LOOK_PRIORITY, eta=timedelta(seconds=error.seconds))
            else:
                self._enqueue()
                now = fields.Datetime.now()
                self.log = self._log_with([f"{now:%H:%M:%S} {error}; goes on in a queue job of its own"])
            return self.browse()

    def _run(self):
        """Run the step once: returns queue_job's result, and the step that the same queue job runs
        next (see ``_finish``)."""
        job = self.job_id
        if job.state not in runs.ACTIVE or self.state in runs.FINAL:
            return f"Skipped: the run is {job.state} and the step {self.state}.", self.browse()
        lines = []

        def log(message):
            lines.append(f"{fields.Datetime.now():%H:%M:%S} {message}")

        try:
            params = parse_parameters(self.parameters)
            params.setdefault("timeout", self.timeout)
            params["waiting"] = bool(self.wait_since)
            if self.kind == "update_modules" and not params["waiting"]:
                params["modules"] = job._changed_modules()
            spec = job.deployment_id._k8s_spec(job.cluster_id, job.version_id)
            kube = job.cluster_id._k8s_operations()
            run_step(self.kind, kube, spec, params, log)
            if isinstance(kube, DryRunKube):
                for request in kube.requests:
                    log(f"dry run, would send: {request.method} {request.path}")
        except NotReady as not_ready:
            return self._wait(not_ready, params["timeout"], lines)
        except RetryableError as error:
            # Rolled back: the attempt's log travels in the message queue_job keeps.
            log(f"{error} (will retry)")
            raise RetryableJobError("\n".join(lines), seconds=error.retry_after or None) from error
        except (PermanentError, ValueError) as error:
            log(str(error))
            return f"Step failed: {error}", self._finish(runs.FAILED, lines, error=str(error))
        except KubeError as error:  # neither retryable nor permanent: treat as permanent
            log(str(error))
            return f"Step failed: {error}", self._finish(runs.FAILED, lines, error=str(error))
        if self.wait_since:
            lines.append(f"{fields.Datetime.now():%H:%M:%S} ready after {self._waited()} s")
        return "Done", self._finish(runs.DONE, lines)

    def _wait(self, not_ready, timeout, lines):
        """Not ready yet: give the worker back until the next look, or fail the step once its
        deadline has passed (see the class docstring)."""
        now = fields.Datetime.now()
        since = self.wait_since or now
        deadline = self.wait_deadline or since + timedelta(seconds=timeout)
        if now + timedelta(seconds=not_ready.poll) > deadline:
            error = f"{not_ready.what} not ready after {int((now - since).total_seconds())} s (phase {not_ready.phase})"
            lines.append(f"{now:%H:%M:%S} {error}")
            return f"Step failed: {error}", self._finish(runs.FAILED, lines, error=error)
        line = (f"{now:%H:%M:%S} waiting for {not_ready.what}: {not_ready.phase}, "
                f"{int((now - since).total_seconds())} s so far, until {deadline:%H:%M:%S}")
        log = self.log or ""
        if self.wait_since and log.rpartition("\n")[2].split(" ", 1)[-1].startswith("waiting for "):
            log = log.rpartition("\n")[0]  # one line for the whole wait, updated at each look
        _LOOKS[self.env.cr.dbname, self.id] = {
            "waiting": True, "wait_since": since, "wait_deadline": deadline, "wait_phase": not_ready.phase,
            "log": "\n".join(filter(None, [log, *lines, line])),
        }
        raise RetryableJobError(line, seconds=not_ready.poll, ignore_retry=True)

    def _waited(self):
        return int((fields.Datetime.now() - self.wait_since).total_seconds())

    def _finish(self, state, lines, error=False):
        """End the step; returns the next step when its queue job runs that one too."""
        self.write({
            "state": state,
            "date_end": fields.Datetime.now(),
            "log": self._log_with(lines),
            "error": error,
            "waiting": False,
        })
        if state == runs.DONE:
            return self.job_id._advance(after=self)
        self.job_id._fail()
        return self.browse()

    def _attempt_values(self):
        """A new attempt of the step begins."""
        now = fields.Datetime.now()
        restarted = self.state == runs.RUNNING
        return {
            "state": runs.RUNNING,
            "attempt": self.attempt + 1,
            "date_start": self.date_start or now,
            "log": self._log_with([f"{now:%H:%M:%S} attempt {self.attempt + 1}"
                                   + (" (after an interruption)" if restarted else "")]),
        }

    def _log_with(self, lines):
        return "\n".join(filter(None, [self.log, *lines]))

    def _cancel(self):
        self.write({"state": runs.CANCELLED, "date_end": fields.Datetime.now()})
        waiting = self.queue_job_id.filtered(lambda qjob: qjob.state in (QJ_PENDING, "enqueued", "wait_dependencies"))
        waiting.sudo().button_cancelled()

    def _sync_from_queue_job(self):
        """Follow what queue_job did with this step's job (see the class docstring)."""
        for step in self:
            qjob = step.queue_job_id
            look = _LOOKS.pop((self.env.cr.dbname, step.id), None)
            if step.state in runs.FINAL or step.state == runs.FAILED:
                continue
            if look and qjob.state == QJ_PENDING and step.state == runs.RUNNING:
                changed = look["wait_phase"] != step.wait_phase
                step.write(look)  # a look found the object not ready: the step waits
                if qjob.priority < LATER_LOOK_PRIORITY:
                    qjob.priority = LATER_LOOK_PRIORITY
                if changed:
                    step.job_id._notify()
                continue
            if step.waiting and qjob.state == QJ_STARTED:
                step.waiting = False  # the next look of a waiting step begins: not a new attempt
                continue
            if qjob.state == QJ_STARTED:
                step.write(step._attempt_values())
                if step.job_id.state == runs.QUEUED:
                    step.job_id.write({
                        "state": runs.RUNNING, "date_start": step.job_id.date_start or fields.Datetime.now(),
                    })
            elif qjob.state == QJ_PENDING and step.state == runs.RUNNING:
                step.write({"state": runs.QUEUED, "log": step._log_with([qjob.result or ""])})
            elif qjob.state in (QJ_FAILED, QJ_CANCELLED) or not qjob:
                error = qjob.exc_message or qjob.exc_name or qjob.result or self.env._("The step's queue job is gone.")
                if qjob.exc_name == "JobFoundDead":
                    # The runner's dead-job sweep leaves only this class name: say what it means.
                    error = self.env._("The server stopped while this step ran, more often than its retries allow.")
                step.write({
                    "state": runs.FAILED, "date_end": fields.Datetime.now(), "error": error,
                    "log": step._log_with([qjob.result or ""]),
                })
                step.job_id._fail()
                continue
            else:
                continue  # nothing changed for the step: no notification
            step.job_id._notify()

    def _cron_reconcile(self):
        """Steps whose queue job ended behind the ORM's back (the runner's dead-job sweep)."""
        steps = self.search([("state", "in", (runs.QUEUED, runs.RUNNING))])
        steps.filtered(lambda step: step.queue_job_id.state in (QJ_FAILED, QJ_CANCELLED)
                       or not step.queue_job_id)._sync_from_queue_job()
