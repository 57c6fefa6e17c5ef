from odoo import models

from .eyrie_job_step import FOLLOWED_STATES


class QueueJob(models.Model):
    _inherit = "queue.job"

    def write(self, vals):
        result = super().write(vals)
        if vals.get("state") in FOLLOWED_STATES:
            # The steps of book runs show what queue_job does with their jobs, live. Other jobs need
            # no lookup; ordered by id, as the model's order would join their runs for nothing.
            step_jobs = self.filtered(lambda qjob: qjob.model_name == "eyrie.job.step")
            if step_jobs:
                self.env["eyrie.job.step"].sudo().search(
                    [("queue_job_id", "in", step_jobs.ids)], order="id",
                )._sync_from_queue_job()
        return result
