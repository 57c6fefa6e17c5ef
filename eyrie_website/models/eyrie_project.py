from odoo import fields, models

from .eyrie_project_member import OPERATOR


class EyrieProject(models.Model):
    _inherit = "eyrie.project"

    member_ids = fields.One2many("eyrie.project.member", "project_id", string="Portal Members")
    portal_viewer_logs = fields.Boolean(
        string="Viewers Read Pod Logs",
        help="Portal viewers of this project also read the logs of its deployments' pods (operators always do).",
    )

    def _portal_role(self, user):
        """What ``user`` may do with this project on the portal: ``operator``, ``viewer`` or False.

        Any Eyrie user operates (managers too: the portal offers nothing more); other internal users
        get nothing; portal users have the role of their membership.
        """
        self.ensure_one()
        if user._is_internal():
            return OPERATOR if user.has_group("eyrie.group_eyrie_user") else False
        member = self.env["eyrie.project.member"].sudo().search_fetch(
            [("project_id", "=", self.id), ("user_id", "=", user.id)], ["role"], order="id", limit=1)
        return member.role or False
