import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError

# https://, ssh:// and git:// URLs, and the scp-like form git@host:path.
# Used with fullmatch(): with re.match(), "$" would let a trailing newline through.
_GIT_URL = re.compile(r"((https?|ssh|git)://[^\s/]+/\S+|[\w.-]+@[\w.-]+:\S+)")


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
            if not _GIT_URL.fullmatch(repository.url or ""):
                raise ValidationError(self.env._(
                    "%(url)s is not a git clone URL (https://…, ssh://… or git@host:path).",
                    url=repository.url,
                ))
