from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..git_remote import check_clone_url


class EyrieRepository(models.Model):
    _name = "eyrie.repository"
    _description = "Source Repository"
    _order = "name, id"

    name = fields.Char(required=True)
    url = fields.Char(string="URL", required=True, help="Clone URL: https://…, ssh://… or git@host:path")
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, index=True)
    active = fields.Boolean(default=True)

    _url_uniq = models.Constraint("UNIQUE(company_id, url)", "This repository is already registered.")

    @api.constrains("url")
    def _check_url(self):
        for repository in self:
            reason = check_clone_url(repository.url)
            if reason:
                raise ValidationError(self.env._(
                    "%(url)s is not a git clone URL Eyrie can use: %(reason)s.", url=repository.url, reason=reason,
                ))
