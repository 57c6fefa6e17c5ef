from odoo import api, models

from .eyrie_job_step import FOLLOWED_STATES

STEP_MODEL = "eyrie.job.step"


class QueueJob(models.Model):
    _inherit = "queue.job"

    @api.model_create_multi
    def create(self, vals_list):
        qjobs = super().create(vals_list)
        # A step's queue job, linked as it is created (looking it up by uuid after would cost a query).
        for qjob in qjobs.filtered(lambda qjob: qjob.model_name == STEP_MODEL):
            self.env[STEP_MODEL].sudo().browse(qjob.records.ids).queue_job_id = qjob
        return qjobs

    def write(self, vals):
        result = super().write(vals)
        if vals.get("state") in FOLLOWED_STATES:
            # The steps of book runs show what queue_job does with their jobs, live. Other jobs need
            # no lookup; steps are read with their fields in the same query, ordered by id (the
            # model's order would join their runs for nothing).
            step_jobs = self.filtered(lambda qjob: qjob.model_name == STEP_MODEL)
            if step_jobs:
                self.env[STEP_MODEL].sudo().search_fetch(
                    [("queue_job_id", "in", step_jobs.ids)], order="id",
                )._sync_from_queue_job()
        return result
