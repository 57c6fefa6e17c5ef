from odoo import fields, models


class EyrieRepositoryDelivery(models.Model):
    """One webhook delivery received for a repository, accepted or refused, and what it did."""

    _name = "eyrie.repository.delivery"
    _description = "Repository Webhook Delivery"
    _order = "id desc"

    repository_id = fields.Many2one("eyrie.repository", required=True, index=True, ondelete="cascade", readonly=True)
    create_date = fields.Datetime(string="Received", readonly=True, index=True)
    delivery = fields.Char(string="Delivery ID", readonly=True)
    provider = fields.Selection(
        [("github", "GitHub"), ("gitlab", "GitLab"), ("gitea", "Gitea / Forgejo")], readonly=True,
    )
    event = fields.Char(readonly=True)
    branch = fields.Char(readonly=True)
    commit = fields.Char(readonly=True)
    status = fields.Integer(string="HTTP Status", readonly=True)
    result = fields.Text(readonly=True)

    # An accepted delivery is acted on once: a replay of its id is refused (and a second worker
    # receiving the same delivery at the same moment fails here).
    _delivery_uniq = models.UniqueIndex(
        "(repository_id, delivery) WHERE status = 200", "This delivery was received already.",
    )
