from odoo import models
from odoo.exceptions import UserError

from odoo.addons.eyrie import lifecycle


class EyrieDeployment(models.Model):
    """Rollback: a new version with the values of an earlier one, deployed like any other.

    Kept apart from ``eyrie_deployment.py``: it only adds a public method and its checks.
    Versions keep every versioned field, the stored database password included (a field only the
    system reads), so a rollback restores credentials without anyone reading them."""

    _inherit = "eyrie.deployment"

    def action_rollback(self, version_id, reason):
        """Record a new version whose values are those of the version ``version_id`` of this
        deployment, its "what changed" saying "Rollback to vN: ``reason``", and re-deploy it when
        the deployment is deployed (paused, draft or initialized: it waits, pending, for the next
        Deploy). Refused, with the reason, when a run is in progress or has failed, or when that
        version cannot run anymore. Returns the id of the new version."""
        self.ensure_one()
        self.check_access("write")
        version = self.env["eyrie.deployment.version"].sudo().browse(version_id).exists()
        reason = (reason or "").strip()
        refusal = self._rollback_refusals(version)[version] if version else self.env._(
            "Version %(id)s does not exist.", id=version_id,
        )
        if not refusal and not reason:
            refusal = self.env._("Say why you roll back to %(version)s: a reason is required.",
                                 version=version.display_name)
        if refusal:
            raise UserError(refusal)
        values = version._convert_to_write({name: version[name] for name in self._versioned_fields()})
        # In sudo for the stored credential only the system writes; env.uid stays the author.
        self.sudo().write(values)
        rollback = self.current_version_id.sudo()
        summary = self.env._("Rollback to %(version)s: %(reason)s", version=version.display_name, reason=reason)
        rollback.changes = f"{summary}\n{rollback.changes}"
        self.message_post(body=self.env._(
            "%(summary)s (recorded as %(new)s).", summary=summary, new=rollback.display_name,
        ))
        if self.state == lifecycle.DEPLOY:
            self.action_deploy()
        return rollback.id

    def _rollback_refusals(self, versions):
        """{version: why this deployment cannot roll back to it, or False}. One look at the runs
        for all of ``versions`` (the portal asks it for a page of them)."""
        self.ensure_one()
        labels = dict(self._fields["state"]._description_selection(self.env))
        blocked = self._available_actions()[self].get("blocked")
        current = self._version_values(self)
        refusals = {}
        for version in versions.sudo():
            if version.deployment_id != self:
                refusal = self.env._("%(version)s is not a version of %(name)s.",
                                     version=version.display_name, name=self.display_name)
            elif self.state == lifecycle.DROP:
                refusal = self.env._("%(name)s is %(state)s: it has nothing to roll back.",
                                     name=self.display_name, state=labels[self.state])
            elif blocked:
                refusal = blocked
            elif version == self.current_version_id:
                refusal = self.env._("%(version)s is the current version of %(name)s.",
                                     version=version.display_name, name=self.display_name)
            elif self._version_values(version) == current:
                refusal = self.env._(
                    "%(version)s runs what the current version %(current)s runs: re-deploy instead.",
                    version=version.display_name, current=self.current_version_id.display_name,
                )
            else:
                refusal = self._rollback_cannot_run(version)
            refusals[version] = refusal
        return refusals

    def _rollback_cannot_run(self, version):
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
        error = self._build_error(version)
        return error and self.env._("%(version)s cannot run anymore: %(error)s",
                                    version=version.display_name, error=error)
