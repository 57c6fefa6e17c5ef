from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .. import lifecycle
from ..naming import check_git_ref, check_image_reference, clip_label

# Changing any of these makes a new deployment version.
VERSIONED_FIELDS = ("repository_id", "branch", "image", "commit_ref", "scope_id", "cluster_ids")

# Only _change_state holds this: an RPC context (JSON) cannot carry it, and sudo() does not grant it.
_STATE_CHANGE = object()


class EyrieDeployment(models.Model):
    _name = "eyrie.deployment"
    _description = "Deployment"
    _inherit = ["eyrie.slug.mixin", "mail.thread", "mail.activity.mixin"]
    # Not by group first: a many2one orders by its model's order, a join and a full sort per page
    # of a large table; this order is an index scan (see _order_idx).
    _order = "sequence, name, id"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer(related="scope_id.color")
    group_id = fields.Many2one(
        "eyrie.deployment.group", string="Deployment Group", required=True, index=True,
        ondelete="restrict", tracking=True,
    )
    project_id = fields.Many2one(related="group_id.project_id", store=True, index=True)
    company_id = fields.Many2one(related="group_id.company_id", store=True, index=True)
    type = fields.Selection(related="group_id.type", store=True, readonly=True)
    state = fields.Selection(
        lifecycle.STATES, default=lifecycle.DRAFT, required=True, readonly=True, copy=False,
        index=True, tracking=True,
    )
    scope_id = fields.Many2one("eyrie.scope", required=True, ondelete="restrict", tracking=True)
    allow_drop = fields.Boolean(related="scope_id.allow_drop")
    cluster_ids = fields.Many2many(
        "eyrie.cluster", "eyrie_deployment_cluster_rel", "deployment_id", "cluster_id",
        string="Clusters", tracking=True,
    )
    repository_id = fields.Many2one("eyrie.repository", ondelete="restrict", tracking=True)
    branch = fields.Char(tracking=True)
    image = fields.Char(tracking=True, help="Container image reference, e.g. ghcr.io/acme/odoo:19.0")
    commit_ref = fields.Char(tracking=True, help="Commit SHA or tag to run.")
    namespace = fields.Char(
        compute="_compute_namespace", store=True,
        help="Kubernetes namespace (each cluster may add its prefix).",
    )
    version_ids = fields.One2many("eyrie.deployment.version", "deployment_id", string="Versions")
    current_version_id = fields.Many2one("eyrie.deployment.version", readonly=True, copy=False)
    version_count = fields.Integer(compute="_compute_version_count")

    _order_idx = models.Index("(sequence, name, id)")
    _name_uniq = models.Constraint("UNIQUE(group_id, name)", "A deployment with this name exists in the group.")
    _slug_uniq = models.Constraint(
        "UNIQUE(group_id, slug)", "Another deployment of the group already has this short name.",
    )

    @api.depends("slug", "group_id.slug", "project_id.slug")
    def _compute_namespace(self):
        for deployment in self:
            parts = (deployment.project_id.slug, deployment.group_id.slug, deployment.slug)
            deployment.namespace = clip_label("-".join(parts)) if all(parts) else False

    @api.depends("version_ids")
    def _compute_version_count(self):
        counts = dict(self.env["eyrie.deployment.version"]._read_group(
            [("deployment_id", "in", self.ids)], ["deployment_id"], ["__count"],
        ))
        for deployment in self:
            deployment.version_count = counts.get(deployment, 0)

    @api.constrains("image")
    def _check_image(self):
        for deployment in self.filtered("image"):
            reason = check_image_reference(deployment.image)
            if reason:
                raise ValidationError(self.env._(
                    "“%(image)s” is not a container image reference: %(reason)s.",
                    image=deployment.image, reason=reason,
                ))

    @api.constrains("branch", "commit_ref")
    def _check_git_refs(self):
        for deployment in self:
            for field in ("branch", "commit_ref"):
                reason = deployment[field] and check_git_ref(deployment[field])
                if reason:
                    raise ValidationError(self.env._(
                        "“%(value)s” is not a valid %(field)s: %(reason)s.",
                        value=deployment[field], field=self._fields[field].string, reason=reason,
                    ))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("state", lifecycle.DRAFT) != lifecycle.DRAFT:
                raise UserError(self.env._("A deployment starts in Draft; use its actions to move it on."))
            if "type" in vals:
                group = self.env["eyrie.deployment.group"].browse(vals.get("group_id"))
                if vals["type"] != group.type:
                    raise UserError(self.env._("A deployment takes its type from its group."))
                del vals["type"]
        deployments = super().create(vals_list)
        deployments._record_versions()
        return deployments

    def write(self, vals):
        if "state" in vals and self.env.context.get("eyrie_state_change") is not _STATE_CHANGE:
            raise UserError(self.env._(
                "The state of a deployment changes only through its actions (Initialize, Deploy, Pause, Drop)."
            ))
        if "type" in vals and any(deployment.type != vals["type"] for deployment in self):
            raise UserError(self.env._(
                "A deployment takes its type from its group; change the group's type instead."
            ))
        if "slug" in vals and any(
            deployment.state != lifecycle.DRAFT and deployment.slug != vals["slug"] for deployment in self
        ):
            raise UserError(self.env._(
                "The short name of a deployment can change only in Draft: its namespace is already in use."
            ))
        vals.pop("type", None)
        result = super().write(vals)
        if any(field in vals for field in VERSIONED_FIELDS):
            self._record_versions()
        return result

    # ------------------------------------------------------------------
    # Versions
    # ------------------------------------------------------------------

    def _version_values(self, record):
        """The versioned fields of a deployment or a version, comparable with ==."""
        values = {}
        for name in VERSIONED_FIELDS:
            value = record[name]
            if isinstance(value, models.BaseModel):
                value = tuple(sorted(value.ids))
            values[name] = value or False
        return values

    def _describe_changes(self, previous):
        """One line per versioned field that differs from ``previous`` (a version)."""
        self.ensure_one()
        if not previous:
            return self.env._("First version")
        lines = []
        old_values, new_values = self._version_values(previous), self._version_values(self)
        for name in VERSIONED_FIELDS:
            if old_values[name] == new_values[name]:
                continue
            before, after = previous[name], self[name]
            if isinstance(after, models.BaseModel):
                before = ", ".join(before.mapped("display_name"))
                after = ", ".join(after.mapped("display_name"))
            lines.append(f"{self._fields[name].string}: {before or '—'} → {after or '—'}")
        return "\n".join(lines)

    def _record_versions(self):
        """Add a version to each deployment whose versioned fields differ from its current one."""
        vals_list, changed = [], self.browse()
        for deployment in self:
            current = deployment.current_version_id
            if current and self._version_values(current) == self._version_values(deployment):
                continue
            vals = deployment._convert_to_write({name: deployment[name] for name in VERSIONED_FIELDS})
            vals.update(
                deployment_id=deployment.id,
                number=(current.number or 0) + 1,
                changes=deployment._describe_changes(current),
                author_id=self.env.uid,
            )
            vals_list.append(vals)
            changed |= deployment
        versions = self.env["eyrie.deployment.version"].sudo().create(vals_list)
        for deployment, version in zip(changed, versions, strict=True):
            deployment.sudo().current_version_id = version

    # ------------------------------------------------------------------
    # State lifecycle
    # ------------------------------------------------------------------

    def _change_state(self, target):
        """Move every deployment of ``self`` to ``target``, or none of them.

        The only way the state changes: it checks the move against ``lifecycle.TARGETS`` and the
        scope's ``allow_drop``, then writes with the token that ``write`` asks for ``state``.
        """
        labels = dict(self._fields["state"]._description_selection(self.env))
        for deployment in self:
            if not lifecycle.allowed(deployment.state, target):
                raise UserError(self.env._(
                    "Cannot move %(name)s from %(state)s to %(target)s.",
                    name=deployment.display_name, state=labels[deployment.state], target=labels[target],
                ))
            if target == lifecycle.DROP and not deployment.allow_drop:
                raise UserError(self.env._(
                    "Cannot drop %(name)s: its scope %(scope)s does not allow dropping.",
                    name=deployment.display_name, scope=deployment.scope_id.display_name,
                ))
        self.with_context(eyrie_state_change=_STATE_CHANGE).write({"state": target})
        self._action_run_book(lifecycle.ACTIONS[target])

    def _action_run_book(self, action):
        """Hook called after a state change; ``eyrie_books`` runs the group's book for ``action``."""

    def action_initialize(self):
        self._change_state(lifecycle.INITIALIZE)
        return True

    def action_deploy(self):
        self._change_state(lifecycle.DEPLOY)
        return True

    def action_pause(self):
        self._change_state(lifecycle.PAUSE)
        return True

    def action_drop(self):
        self._change_state(lifecycle.DROP)
        return True

    def action_open_versions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("eyrie.eyrie_deployment_version_action")
        action["domain"] = [("deployment_id", "=", self.id)]
        return action
