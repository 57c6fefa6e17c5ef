"""Operating a deployment from its portal page: roll back to a version (operators).

Kept apart from ``portal.py``: its routes and page values extend the deployment page of
:class:`EyriePortal` without touching it. A refused rollback shows the page again with the reason
(422), like the other mutations; a successful one redirects with ``?done=rollback``.
"""

from werkzeug.exceptions import NotFound

from odoo.http import request, route

from ..models.eyrie_project_member import OPERATOR
from .portal import DEPLOYMENT, MAX_ID, EyriePortal, eyrie_url


class EyriePortalOperate(EyriePortal):
    @route(f"{DEPLOYMENT}/rollback/<int:version>", type="http", auth="user", website=True, methods=["POST"])
    def eyrie_deployment_rollback(self, project, group, deployment, version, reason="", **post):
        records = self._eyrie_records(project, group, deployment)
        self._eyrie_check_operator(records[0])
        deployment_sudo = records[2]
        if version > MAX_ID:
            raise NotFound()
        _result, error = self._eyrie_apply(
            lambda: self._eyrie_actor(deployment_sudo).action_rollback(version, reason),
        )
        if error:
            return self._eyrie_render_deployment(*records, error=error, status=422)
        return request.redirect(f"{eyrie_url(deployment_sudo)}?done=rollback")

    def _eyrie_render_deployment(self, project_sudo, group_sudo, deployment_sudo, *args, **kwargs):
        """The page, with why each version shown cannot be rolled back to (operators only)."""
        response = super()._eyrie_render_deployment(project_sudo, group_sudo, deployment_sudo, *args, **kwargs)
        qcontext = response.qcontext
        can_operate = project_sudo._portal_role(request.env.user) == OPERATOR
        qcontext["rollback_refusals"] = can_operate and deployment_sudo._rollback_refusals(qcontext["versions"])
        return response

    def _eyrie_messages(self):
        return {
            **super()._eyrie_messages(),
            "rollback": request.env._("Rolled back: a new version holds the old values. A deployed deployment "
                                      "runs it now; otherwise the next Deploy does."),
        }
