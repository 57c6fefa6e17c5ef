from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.eyrie import lifecycle


class EyrieDeploymentRollback(models.TransientModel):
    """Rollback to a version: a new version with the values of an earlier one, deployed like any
    other (see ``eyrie.deployment.action_rollback``, which the dialog and RPC clients call).

    As a dialog, it asks for the reason. Versions keep every versioned field, the stored database
    password included (a field only the system reads), so a rollback restores credentials without
    anyone reading them."""

    _name = "eyrie.deployment.rollback"
    _description = "Roll Back a Deployment"

    version_id = fields.Many2one("eyrie.deployment.version", required=True, readonly=True, ondelete="cascade")
    deployment_id = fields.Many2one(related="version_id.deployment_id")
    reason = fields.Text(required=True, help="Why: recorded in the new version's “what changed”.")
    refusal = fields.Text(compute="_compute_refusal", help="Why the rollback is not possible now.")

    @api.depends("version_id")
    def _compute_refusal(self):
        for wizard in self:
            deployment = wizard.deployment_id
            wizard.refusal = deployment and deployment._rollback_refusals(wizard.version_id)[wizard.version_id]

    def action_rollback(self):
        self.ensure_one()
        self.deployment_id.action_rollback(self.version_id.id, self.reason)
        return {"type": "ir.actions.act_window_close"}

    @api.model
    def _rollback(self, deployment, version_id, reason):
        """What ``eyrie.deployment.action_rollback`` does; returns the new version."""
        deployment.check_access("write")
        version = self.env["eyrie.deployment.version"].sudo().browse(version_id).exists()
        reason = (reason or "").strip()
        refusal = self._refusals(deployment, version)[version] if version else self.env._(
            "Version %(id)s does not exist.", id=version_id,
        )
        if not refusal and not reason:
            refusal = self.env._("Say why you roll back to %(version)s: a reason is required.",
                                 version=version.display_name)
        if refusal:
            raise UserError(refusal)
        values = version._convert_to_write({name: version[name] for name in deployment._versioned_fields()})
        # In sudo for the stored credential only the system writes; env.uid stays the author.
        deployment.sudo().write(values)
        rollback = deployment.current_version_id.sudo()
        summary = self.env._("Rollback to %(version)s: %(reason)s", version=version.display_name, reason=reason)
        rollback.changes = f"{summary}\n{rollback.changes}"
        deployment.message_post(body=self.env._(
            "%(summary)s (recorded as %(new)s).", summary=summary, new=rollback.display_name,
        ))
        if deployment.state == lifecycle.DEPLOY:
            deployment.action_deploy()
        return rollback

    @api.model
    def _blocked(self, deployment, blocked=None):
        """Why ``deployment`` cannot roll back to any version now (dropped, or a run blocks its
        lifecycle), or False; ``blocked``: why its lifecycle waits (see ``_available_actions``), if
        the caller knows it already (False: it does not)."""
        deployment.ensure_one()
        if deployment.state == lifecycle.DROP:
            labels = dict(deployment._fields["state"]._description_selection(self.env))
            return self.env._("%(name)s is in %(state)s: it has nothing to roll back.",
                              name=deployment.display_name, state=labels[deployment.state])
        if blocked is None:
            blocked = deployment._available_actions()[deployment].get("blocked")
        return blocked or False

    @api.model
    def _refusals(self, deployment, versions, blocked=None):
        """{version: why ``deployment`` cannot roll back to it, or False}. One look at the runs for
        all of ``versions``, none if the caller gives ``blocked`` (see ``_blocked``)."""
        blocked = self._blocked(deployment, blocked)
        # The versions' versioned fields (credentials and clusters too) in one read, not one per field.
        versioned = deployment._versioned_fields()
        versions.sudo().fetch(versioned)
        # Compared field by field, the credentials last: a version stops at the first field that
        # differs, and one that differs elsewhere needs no look at the deployment's credentials.
        ordered = sorted(versioned, key=lambda name: bool(deployment._fields[name].groups))
        deployment_sudo = deployment.sudo()
        refusals = {}
        for version in versions.sudo():
            if version.deployment_id != deployment:
                refusal = self.env._("%(version)s is not a version of %(name)s.",
                                     version=version.display_name, name=deployment.display_name)
            elif blocked:
                refusal = blocked
            elif version == deployment.current_version_id:
                refusal = self.env._("%(version)s is the current version of %(name)s.",
                                     version=version.display_name, name=deployment.display_name)
            elif all(deployment._version_value(version, name) == deployment._version_value(deployment_sudo, name)
                     for name in ordered):
                refusal = self.env._(
                    "%(version)s runs what the current version %(current)s runs: re-deploy instead.",
                    version=version.display_name, current=deployment.current_version_id.display_name,
                )
            else:
                refusal = self._cannot_run(deployment, version)
            refusals[version] = refusal
        return refusals

    @api.model
    def _cannot_run(self, deployment, version):
        """Why ``version`` cannot run anymore (what it names is gone, or its objects cannot be
        built), or False."""
        database = version.database_id
        if database and database.state == lifecycle.DROP:
            return self.env._(
                "%(version)s cannot run anymore: its database %(database)s was dropped.",
                version=version.display_name, database=database.display_name,
            )
        if not version.cluster_ids:
            return self.env._("%(version)s cannot run anymore: none of its clusters is left.",
                              version=version.display_name)
        error = deployment._build_error(version)
        return error and self.env._("%(version)s cannot run anymore: %(error)s",
                                    version=version.display_name, error=error)
