from odoo import api, fields, models
from odoo.exceptions import ValidationError

VIEWER = "viewer"
OPERATOR = "operator"


class EyrieProjectMember(models.Model):
    """A portal user's access to one project on the /_eyrie pages. Internal users need no
    membership: they follow their Eyrie group."""

    _name = "eyrie.project.member"
    _description = "Eyrie Project Member"
    _order = "project_id, user_id, id"

    project_id = fields.Many2one("eyrie.project", required=True, index=True, ondelete="cascade")
    user_id = fields.Many2one(
        "res.users", string="Portal User", required=True, index=True, ondelete="cascade",
        domain=[("share", "=", True)],
    )
    role = fields.Selection(
        [(VIEWER, "Viewer"), (OPERATOR, "Operator")], required=True, default=VIEWER,
        help="Viewers see the project's deployments and their versions; operators also create "
             "deployments, change what they run and press their actions.",
    )

    _user_uniq = models.Constraint("UNIQUE(project_id, user_id)", "This user is already a member of the project.")

    @api.constrains("user_id")
    def _check_user_id(self):
        for member in self:
            if not member.user_id._is_portal():
                raise ValidationError(self.env._(
                    "%(user)s is not a portal user: internal users get access through their Eyrie group.",
                    user=member.user_id.display_name,
                ))
