from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .. import lifecycle
from ..naming import check_git_ref, check_image_reference, clip_label

# Fields of a deployment that must not change once it has left Draft: they make its namespace.
FROZEN_FIELDS = ("group_id", "slug")
# Types whose pods run the code of the deployment's repository (at its version's commit).
SOURCE_TYPES = ("odoo", "none")

# Only _change_state holds this: an RPC context (JSON) cannot carry it, and sudo() does not grant it.
_STATE_CHANGE = object()


class EyrieDeployment(models.Model):
    """A running instance of a group. Fields declared with ``versioned=True`` make a new
    ``eyrie.deployment.version`` when they change (the version model holds a field of the same
    name), and a run applies the version it was started with."""

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
    scope_id = fields.Many2one("eyrie.scope", required=True, ondelete="restrict", tracking=True, versioned=True)
    allow_drop = fields.Boolean(related="scope_id.allow_drop")
    cluster_ids = fields.Many2many(
        "eyrie.cluster", "eyrie_deployment_cluster_rel", "deployment_id", "cluster_id",
        string="Clusters", tracking=True, versioned=True,
    )
    repository_id = fields.Many2one("eyrie.repository", ondelete="restrict", tracking=True, versioned=True)
    branch = fields.Char(tracking=True, versioned=True)
    image = fields.Char(tracking=True, versioned=True, help="Container image reference, e.g. ghcr.io/acme/odoo:19.0")
    commit_ref = fields.Char(tracking=True, versioned=True, help="Commit SHA or tag to run.")
    deploy_on_push = fields.Boolean(
        string="Deploy on Push", tracking=True,
        help="A push to the branch (through the repository's webhook) records its commit as a new version and "
             "deploys it.",
    )
    namespace = fields.Char(
        compute="_compute_namespace", store=True,
        help="Kubernetes namespace (each cluster may add its prefix); no two deployments share one.",
    )
    version_ids = fields.One2many("eyrie.deployment.version", "deployment_id", string="Versions")
    current_version_id = fields.Many2one("eyrie.deployment.version", readonly=True, copy=False)
    version_count = fields.Integer(compute="_compute_version_count")
    # What get_available_actions says, for the buttons of the views (one field per action).
    can_initialize = fields.Boolean(compute="_compute_available_actions")
    can_deploy = fields.Boolean(compute="_compute_available_actions")
    can_redeploy = fields.Boolean(compute="_compute_available_actions")
    can_pause = fields.Boolean(compute="_compute_available_actions")
    can_drop = fields.Boolean(compute="_compute_available_actions")
    blocked_reason = fields.Text(
        compute="_compute_available_actions", help="Why the next move of the lifecycle is not possible now.",
    )

    _order_idx = models.Index("(sequence, name, id)")
    _name_uniq = models.Constraint("UNIQUE(group_id, name)", "A deployment with this name exists in the group.")
    _slug_uniq = models.Constraint(
        "UNIQUE(group_id, slug)", "Another deployment of the group already has this short name.",
    )
    # Every cluster adds the same prefix to every namespace: unique here, unique on each cluster.
    _namespace_uniq = models.UniqueIndex("(namespace)", "Another deployment already has this namespace.")

    @api.depends("slug", "group_id.slug", "project_id.slug")
    def _compute_namespace(self):
        for deployment in self:
            parts = (deployment.project_id.slug, deployment.group_id.slug, deployment.slug)
            deployment.namespace = clip_label("-".join(parts)) if all(parts) else False

    @api.depends("state", "allow_drop")
    @api.depends_context("uid")
    def _compute_available_actions(self):
        saved = self.filtered("id")  # a record being created in a form has no action yet
        for field in ("blocked_reason", *(f"can_{key}" for key in self._action_labels())):
            (self - saved)[field] = False
        for deployment, actions in zip(saved, saved.get_available_actions(), strict=True):
            by_key = {action["action"]: action for action in actions["actions"]}
            for key, action in by_key.items():
                deployment[f"can_{key}"] = action["available"]
            deployment.blocked_reason = actions["blocked_reason"]

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

    def _valid_field_parameter(self, field, name):
        return name == "versioned" or super()._valid_field_parameter(field, name)

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
        deployments._check_namespace_free()
        deployments._pin_branch_heads()
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
        self._check_frozen(vals)
        vals.pop("type", None)
        # A commit belongs to its branch: one moved to another branch or repository loses it.
        moved = self.browse() if "commit_ref" in vals else self.filtered(
            lambda d: ("branch" in vals and d.branch != vals["branch"])
            or ("repository_id" in vals and d.repository_id and d.repository_id.id != vals["repository_id"])
        )
        result = super().write(vals)
        if any(name in vals for name in FROZEN_FIELDS):
            self._check_namespace_free()
        if "commit_ref" not in vals and any(name in vals for name in ("repository_id", "branch", "cluster_ids")):
            self._pin_branch_heads(moved)
        if any(name in vals for name in self._versioned_fields()):
            self._record_versions()
        return result

    # ------------------------------------------------------------------
    # Namespaces
    # ------------------------------------------------------------------

    def _check_frozen(self, vals):
        """Refuse to change the fields that make the namespace of a deployment past Draft."""
        for deployment in self.filtered(lambda deployment: deployment.state != lifecycle.DRAFT):
            current = deployment._convert_to_write({name: deployment[name] for name in FROZEN_FIELDS})
            for name in FROZEN_FIELDS:
                if name in vals and vals[name] != current[name]:
                    raise UserError(self.env._(
                        "The %(field)s of %(name)s can change only in Draft: its namespace %(namespace)s is in "
                        "use on its clusters.",
                        field=self._fields[name].string, name=deployment.display_name,
                        namespace=deployment.namespace,
                    ))

    @api.model
    def _namespaces_in_use(self, field, records):
        """The deployments (archived ones too) of ``records`` through ``field`` that have left Draft:
        their namespaces are in use, and what makes them can no longer change."""
        return self.sudo().with_context(active_test=False).search(
            [(field, "in", records.ids), ("state", "!=", lifecycle.DRAFT)],
        )

    def _check_namespace_free(self):
        """Refuse namespaces that another deployment has, naming it. Called after a change, before
        it is flushed: the other rows are read from the database, where the unique index on the
        namespace is the guarantee (this check only makes its message say which deployment)."""
        seen = {}
        for deployment in self.filtered("namespace"):
            other = seen.setdefault(deployment.namespace, deployment)
            if other != deployment:
                self._raise_namespace_taken(deployment, other)
        if not seen:
            return
        rows = self.env.execute_query(SQL(
            "SELECT namespace, id FROM eyrie_deployment WHERE namespace IN %s AND id NOT IN %s",
            tuple(seen), tuple(self.ids) or (0,),
        ))
        for namespace, other_id in rows:
            self._raise_namespace_taken(seen[namespace], self.browse(other_id))

    def _raise_namespace_taken(self, deployment, other):
        # A deployment the user may not read (the portal acts in sudo: asked as the user) stays untold.
        if other.with_user(self.env.uid).with_context(active_test=False).has_access("read"):
            other = other.sudo()
            holder = self.env._(
                "the deployment %(other)s of %(project)s / %(group)s",
                other=other.name, project=other.project_id.name, group=other.group_id.name,
            )
        else:
            holder = self.env._("a deployment of another project")
        raise UserError(self.env._(
            "%(name)s would get the namespace %(namespace)s, which %(holder)s already has: give it another "
            "short name.",
            name=deployment.name, namespace=deployment.namespace, holder=holder,
        ))

    # ------------------------------------------------------------------
    # Versions
    # ------------------------------------------------------------------

    def _versioned_fields(self):
        """The fields declared ``versioned=True``: a new version records them when one changes."""
        return [name for name, field in self._fields.items() if getattr(field, "versioned", False)]

    def _version_values(self, record, names=None):
        """The versioned fields (or those of ``names``) of a deployment or a version, comparable
        with ==. Read in sudo: a versioned credential (a field only the system reads) is compared,
        never shown."""
        record = record.sudo()
        return {name: self._version_value(record, name) for name in names or self._versioned_fields()}

    @api.model
    def _version_value(self, record, name):
        """The versioned field ``name`` of ``record`` (sudoed), as ``_version_values`` compares it."""
        value = record[name]
        if isinstance(value, models.BaseModel):
            return tuple(sorted(value.ids))
        return value or False

    def _describe_changes(self, previous):
        """One line per versioned field that differs from ``previous`` (a version)."""
        self.ensure_one()
        if not previous:
            return self.env._("First version")
        lines = []
        old_values, new_values = self._version_values(previous), self._version_values(self)
        for name in self._versioned_fields():
            if old_values[name] == new_values[name]:
                continue
            if self._fields[name].groups:
                lines.append(self.env._("%(field)s: changed", field=self._fields[name].string))
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
            vals = deployment._convert_to_write({name: deployment.sudo()[name] for name in self._versioned_fields()})
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

    def _pin_branch_heads(self, moved=None):
        """Give a commit to each deployment that runs its repository's code from a branch without
        one (or that is in ``moved``: its branch or repository has just changed, the commit it had
        belongs to the old one), resolved with git: a run then applies exactly that commit.
        Deployments on dry-run clusters only send nothing anywhere, git included: a moved one loses
        its commit."""
        moved = moved or self.browse()
        for deployment in self.filtered(lambda d: d.type in SOURCE_TYPES and d.repository_id and d.branch):
            if deployment.commit_ref and deployment not in moved:
                continue
            if all(deployment.cluster_ids.mapped("dry_run")):
                if deployment in moved and deployment.commit_ref:
                    deployment.commit_ref = False
                continue
            deployment.commit_ref = deployment.repository_id._resolve_branch(deployment.branch)

    def action_update_to_branch_head(self):
        """Record the commit the branch points at now as a new version (none if it is the same)."""
        for deployment in self:
            if not (deployment.repository_id and deployment.branch):
                raise UserError(self.env._("%(name)s needs a repository and a branch to follow.",
                                           name=deployment.display_name))
            deployment.commit_ref = deployment.repository_id._resolve_branch(deployment.branch)
        return True

    # ------------------------------------------------------------------
    # State lifecycle
    # ------------------------------------------------------------------

    def _change_state(self, target, restore=False):
        """Move every deployment of ``self`` to ``target``, or none of them.

        The only way the state changes: it checks the move with ``_available_actions`` (the
        lifecycle table, the scope's ``allow_drop``, and what the runs say), writes with the token
        that ``write`` asks for ``state``, then runs the book of the move. With ``restore``, the move
        undoes a cancelled one (``lifecycle.RESTORES``) and runs nothing.
        """
        labels = dict(self._fields["state"]._description_selection(self.env))
        previous = {deployment.id: deployment.state for deployment in self}
        for deployment in self:
            if restore:
                if not lifecycle.restorable(deployment.state, target):
                    raise UserError(self.env._(
                        "Cannot return %(name)s from %(state)s to %(target)s.",
                        name=deployment.display_name, state=labels[deployment.state], target=labels[target],
                    ))
                continue
            reason = deployment._available_actions()[deployment][lifecycle.action_key(deployment.state, target)]
            if reason:
                raise UserError(reason)
        self.with_context(eyrie_state_change=_STATE_CHANGE).write({"state": target})
        if not restore:
            if target in (lifecycle.INITIALIZE, lifecycle.DEPLOY):
                self._pin_branch_heads()
            self._action_run_book(lifecycle.ACTIONS[target], previous)

    def _action_run_book(self, action, previous):
        """Hook called after a state change; ``eyrie_books`` runs the group's book for ``action``.
        ``previous`` maps each deployment's id to its state before the move."""

    # ------------------------------------------------------------------
    # Available actions
    # ------------------------------------------------------------------

    def _action_labels(self):
        """{action key: (button label, method)}, in the order the buttons show."""
        return {
            "initialize": (self.env._("Initialize"), "action_initialize"),
            "deploy": (self.env._("Deploy"), "action_deploy"),
            "redeploy": (self.env._("Re-deploy"), "action_deploy"),
            "pause": (self.env._("Pause"), "action_pause"),
            "drop": (self.env._("Drop"), "action_drop"),
        }

    def _available_actions(self):
        """{deployment: {action key: False where available, else the reason it is not}}, by the
        lifecycle table and the scope; ``eyrie_books`` adds what the runs say, and under
        ``"blocked"`` why the lifecycle waits. Access rights are not checked here (see
        ``get_available_actions``)."""
        labels = dict(self._fields["state"]._description_selection(self.env))
        result = {}
        for deployment in self:
            reasons = result[deployment] = {}
            for key, target in lifecycle.ACTION_TARGETS.items():
                if key == "redeploy" and deployment.state != lifecycle.DEPLOY:
                    reasons[key] = self.env._(
                        "Only a deployed deployment can be re-deployed (%(name)s is in %(state)s).",
                        name=deployment.display_name, state=labels[deployment.state],
                    )
                elif key == "deploy" and deployment.state == lifecycle.DEPLOY:
                    reasons[key] = self.env._("%(name)s is deployed: re-deploy it.", name=deployment.display_name)
                elif not lifecycle.allowed(deployment.state, target):
                    reasons[key] = self.env._(
                        "Cannot move %(name)s from %(state)s to %(target)s.",
                        name=deployment.display_name, state=labels[deployment.state], target=labels[target],
                    )
                elif target == lifecycle.DROP and not deployment.allow_drop:
                    reasons[key] = self.env._(
                        "Cannot drop %(name)s: its scope %(scope)s does not allow dropping.",
                        name=deployment.display_name, scope=deployment.scope_id.display_name,
                    )
                else:
                    reasons[key] = False
        return result

    def get_available_actions(self):
        """Which actions the current user may take on each deployment, and why not the others.

        The one answer the backend buttons, the kanban card, the portal page and RPC clients use.
        Returns, for each deployment of ``self`` in order, ``{"id", "blocked_reason", "actions"}``
        where ``actions`` is a list of ``{"action", "label", "method", "available", "reason"}``
        (``method`` is the public method that takes the action).
        """
        writable = self._filtered_access("write")
        availability = self._available_actions()
        labels = self._action_labels()
        result = []
        for deployment in self:
            reasons = availability[deployment]
            denied = deployment not in writable and self.env._("You may not change %(name)s.",
                                                               name=deployment.display_name)
            result.append({
                "id": deployment.id,
                "blocked_reason": reasons.get("blocked") or False,
                "actions": [{
                    "action": key, "label": label, "method": method,
                    "available": not (denied or reasons[key]), "reason": denied or reasons[key] or False,
                } for key, (label, method) in labels.items()],
            })
        return result

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------

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

    def _deploy_pushed_commit(self, commit):
        """A push to the branch these deployments follow: its commit becomes a new version, deployed
        where the deployment is deployed. Returns one line per deployment saying what happened,
        also posted in its chatter."""
        lines = []
        for deployment in self:
            deployment.commit_ref = commit
            line = deployment._deploy_pushed_version()
            deployment.message_post(body=self.env._("Push of %(commit)s to %(branch)s. %(outcome)s",
                                                    commit=commit[:12], branch=deployment.branch, outcome=line))
            lines.append(line)
        return lines

    def _deploy_pushed_version(self):
        """Re-deploy the version a push has just recorded, where the deployment is deployed; what
        happened, as one line."""
        self.ensure_one()
        number = self.current_version_id.number
        if self.state != lifecycle.DEPLOY:
            return self.env._("%(name)s: version %(number)s recorded, not deployed (%(state)s).",
                              name=self.display_name, number=number, state=self.state)
        try:
            with self.env.cr.savepoint():
                self.action_deploy()
        except UserError as refusal:
            return self.env._("%(name)s: version %(number)s recorded, not deployed: %(reason)s",
                              name=self.display_name, number=number, reason=str(refusal))
        return self.env._("%(name)s: deploying version %(number)s.", name=self.display_name, number=number)

    def action_open_versions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("eyrie.eyrie_deployment_version_action")
        action["domain"] = [("deployment_id", "=", self.id)]
        return action
