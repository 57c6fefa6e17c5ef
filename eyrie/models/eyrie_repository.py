import logging
import secrets

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..git_remote import GitError, Remote, check_clone_url, resolve_branch
from ..webhooks import Refused, read_push

_logger = logging.getLogger(__name__)
MANAGER = "eyrie.group_eyrie_manager"
# Stored credentials: read in sudo where used (git, a delivery), never sent to a client.
SECRETS = ("token", "ssh_key", "webhook_secret")
# Deliveries accepted per repository and minute; more are answered 429 and not recorded.
DELIVERIES_PER_MINUTE = 60


class EyrieRepository(models.Model):
    _name = "eyrie.repository"
    _description = "Source Repository"
    _inherit = ["mail.thread"]
    _order = "name, id"

    name = fields.Char(required=True)
    url = fields.Char(string="URL", required=True, help="Clone URL: https://…, ssh://… or git@host:path")
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, index=True)
    active = fields.Boolean(default=True)
    auth_method = fields.Selection(
        [("none", "Public"), ("token", "Token (https)"), ("ssh", "SSH deploy key")],
        string="Authentication", default="none", required=True, tracking=True,
    )
    username = fields.Char(default="git", help="User name sent with the token (any name works on GitHub and GitLab).")
    known_hosts = fields.Text(
        string="Known Host Keys", help="The server's SSH host keys, as in known_hosts (ssh-keyscan HOST).",
    )
    token = fields.Char(string="Stored Token", groups="base.group_system", copy=False, prefetch=False)
    ssh_key = fields.Text(string="Stored SSH Key", groups="base.group_system", copy=False, prefetch=False)
    webhook_secret = fields.Char(string="Stored Webhook Secret", groups="base.group_system", copy=False,
                                 prefetch=False)
    # What managers type: written to the stored credential, always read back empty.
    new_token = fields.Char(string="Token", compute="_compute_new_secrets", inverse="_inverse_new_secrets",
                            groups=MANAGER)
    new_ssh_key = fields.Text(string="SSH Private Key", compute="_compute_new_secrets",
                              inverse="_inverse_new_secrets", groups=MANAGER)
    new_webhook_secret = fields.Char(string="Webhook Secret", compute="_compute_new_secrets",
                                     inverse="_inverse_new_secrets", groups=MANAGER)
    credentials_set = fields.Char(compute="_compute_credentials_set", string="Credentials Kept")
    webhook_url = fields.Char(compute="_compute_webhook_url", string="Webhook URL")
    delivery_ids = fields.One2many("eyrie.repository.delivery", "repository_id", string="Deliveries")

    _url_uniq = models.Constraint("UNIQUE(company_id, url)", "This repository is already registered.")

    def _compute_new_secrets(self):
        self.new_token = self.new_ssh_key = self.new_webhook_secret = False

    def _inverse_new_secrets(self):
        for repository in self:
            typed = {name: repository[f"new_{name}"] for name in SECRETS if repository[f"new_{name}"]}
            if typed:
                repository.sudo().write(typed)

    @api.depends("auth_method")
    def _compute_credentials_set(self):
        labels = {"token": self.env._("token"), "ssh_key": self.env._("SSH key"),
                  "webhook_secret": self.env._("webhook secret")}
        for repository in self:
            kept = repository.sudo().read(list(SECRETS))[0] if repository.id else {}
            repository.credentials_set = ", ".join(label for name, label in labels.items() if kept.get(name)) or False

    def _compute_webhook_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for repository in self:
            repository.webhook_url = f"{base}/_eyrie/hooks/{repository.id}" if repository.id else False

    @api.constrains("url")
    def _check_url(self):
        for repository in self:
            reason = check_clone_url(repository.url)
            if reason:
                raise ValidationError(self.env._(
                    "%(url)s is not a git clone URL Eyrie can use: %(reason)s.", url=repository.url, reason=reason,
                ))

    # ------------------------------------------------------------------
    # Git
    # ------------------------------------------------------------------

    def _git_remote(self):
        self.ensure_one()
        kept = self.sudo()
        return Remote(
            url=self.url,
            token=kept.token or "" if self.auth_method == "token" else "",
            username=self.username or "git",
            ssh_key=kept.ssh_key or "" if self.auth_method == "ssh" else "",
            known_hosts=self.known_hosts or "",
        )

    def _resolve_branch(self, branch):
        """The commit ``branch`` points at now, asked of the remote; a UserError says why not."""
        self.ensure_one()
        try:
            return resolve_branch(self._git_remote(), branch)
        except GitError as error:
            raise UserError(self.env._(
                "Cannot read branch %(branch)s of %(repository)s: %(reason)s.",
                branch=branch, repository=self.display_name, reason=str(error),
            )) from None

    def action_generate_webhook_secret(self):
        """A new random webhook secret, shown this once for the user to paste into the git service."""
        self.ensure_one()
        self.check_access("write")
        secret = secrets.token_urlsafe(32)
        self.sudo().webhook_secret = secret
        self.message_post(body=self.env._("A new webhook secret was generated."))
        return {
            "type": "ir.actions.client", "tag": "display_notification",
            "params": {
                "type": "warning", "sticky": True,
                "title": self.env._("Webhook secret of %(name)s (shown once)", name=self.name),
                "message": self.env._("URL: %(url)s\nSecret: %(secret)s", url=self.webhook_url, secret=secret),
            },
        }

    # ------------------------------------------------------------------
    # Webhook deliveries
    # ------------------------------------------------------------------

    def _receive_delivery(self, headers, body):
        """Check and act on a webhook delivery; returns (HTTP status, message). Called in sudo."""
        self.ensure_one()
        deliveries = self.env["eyrie.repository.delivery"]
        since = fields.Datetime.subtract(fields.Datetime.now(), minutes=1)
        if deliveries.search_count([("repository_id", "=", self.id), ("create_date", ">=", since)]) \
                >= DELIVERIES_PER_MINUTE:
            return 429, "too many deliveries for this repository; try again in a minute"
        try:
            push = read_push(headers, body, self.webhook_secret)
        except Refused as refused:
            _logger.warning("Webhook delivery for repository %s refused: %s", self.id, refused.reason)
            deliveries.create({"repository_id": self.id, "status": refused.status, "result": refused.reason})
            return refused.status, refused.reason
        if deliveries.search_count([("repository_id", "=", self.id), ("delivery", "=", push.delivery),
                                    ("status", "=", 200)]):
            _logger.warning("Webhook delivery %s for repository %s refused: replayed", push.delivery, self.id)
            return 409, "this delivery was received already"
        delivery = deliveries.create({
            "repository_id": self.id, "delivery": push.delivery, "provider": push.provider,
            "event": push.event, "branch": push.branch, "commit": push.commit, "status": 200,
        })
        delivery.result = self._on_push(push) if push.branch else self.env._("Nothing to deploy (%(event)s).",
                                                                             event=push.event)
        return 200, delivery.result

    def _on_push(self, push):
        """Record the pushed commit on the deployments that follow the branch; what it did, as text."""
        followers = self.env["eyrie.deployment"].search([
            ("repository_id", "=", self.id), ("branch", "=", push.branch), ("deploy_on_push", "=", True),
        ])
        if not followers:
            return self.env._("No deployment deploys branch %(branch)s on push.", branch=push.branch)
        return "\n".join(followers._deploy_pushed_commit(push.commit))
