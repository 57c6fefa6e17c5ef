from odoo import models


class QueueJob(models.Model):
    _inherit = "queue.job"

    def write(self, vals):
        result = super().write(vals)
        if "state" in vals:
            # The steps of book runs show what queue_job does with their jobs, live.
            self.env["eyrie.job.step"].sudo().search([("queue_job_id", "in", self.ids)])._sync_from_queue_job()
        return result
