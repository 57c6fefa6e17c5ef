"""Operating a deployment from its portal page: roll back to a version (operators), and read and
follow the logs of its pods (operators, and viewers where the project allows it).

Kept apart from ``portal.py``: its routes and page values extend the deployment page of
:class:`EyriePortal` without touching it. The page lists versions without looking whether each
can be rolled back to (that builds each one): its dialog asks for the version it opens on (a GET
of the rollback URL). A refused rollback shows the page again with the reason (422), like the
other mutations; a successful one redirects with ``?done=rollback``.

Following a log is one streamed HTTP response (``…/logs/follow``): the lines are sent as the
container prints them, read from the API server's own stream, and the response ends after
``FOLLOW_SECONDS`` or ``FOLLOW_LINES`` (see ``eyrie.pod.log._log_follow``); the page then offers
to follow again, and aborts the request when it goes away (the server notices at its next write,
and closes its stream to the API server then, or at the bound). A stream, not the bus: the bus
would need a process that reads the API server and publishes every line to the database, for
one reader. The bound matters for Odoo's HTTP server: threaded (``workers = 0``), a follow holds
one thread; with workers, one worker process, which ``limit_time_real`` (120 s by default) would
kill past its limit, so a follow ends well before. Nothing of the database is used while it
streams: the request's cursor is already closed.
"""

from werkzeug.exceptions import Forbidden, NotFound

from odoo.exceptions import UserError
from odoo.http import request, route

from ..models.eyrie_project_member import OPERATOR, VIEWER
from .portal import DEPLOYMENT, MAX_ID, EyriePortal, eyrie_url, to_id


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

    @route(f"{DEPLOYMENT}/rollback/<int:version>", type="http", auth="user", website=True, methods=["GET"],
           readonly=True)
    def eyrie_deployment_rollback_refusal(self, project, group, deployment, version, **kw):
        """Why the deployment cannot roll back to ``version``, as JSON ``{"refusal"}`` (false: it
        can), which the roll back dialog asks when it opens: the page does not build every version
        it lists to say so."""
        records = self._eyrie_records(project, group, deployment)
        self._eyrie_check_operator(records[0])
        deployment_sudo = records[2]
        version_sudo = request.env["eyrie.deployment.version"].sudo().browse(version if version <= MAX_ID else ())
        if not version_sudo.exists():
            raise NotFound()
        refusal = deployment_sudo._rollback_refusals(version_sudo)[version_sudo]
        return request.make_json_response({"refusal": refusal or False})

    @route(f"{DEPLOYMENT}/pods", type="http", auth="user", website=True, methods=["GET"], readonly=True)
    def eyrie_deployment_pods(self, project, group, deployment, **kw):
        """The pods of the deployment on each cluster, as JSON (see ``eyrie.deployment.get_pods``)."""
        deployment_sudo = self._eyrie_log_reader(project, group, deployment)
        return request.make_json_response(self._eyrie_actor(deployment_sudo).get_pods())

    @route(f"{DEPLOYMENT}/logs", type="http", auth="user", website=True, methods=["GET"], readonly=True)
    def eyrie_deployment_log(self, project, group, deployment, cluster="", pod="", container="", lines="",
                             previous="", **kw):
        """The last lines of a container, as JSON ``{"text"}``, or ``{"error"}`` with status 422."""
        deployment_sudo = self._eyrie_log_reader(project, group, deployment)
        try:
            text = self._eyrie_actor(deployment_sudo).get_pod_log(
                to_id(cluster), pod, container, lines=to_id(lines) or 100, previous=previous == "1",
            )
        except UserError as error:
            return request.make_json_response({"error": error.args[0]}, status=422)
        return request.make_json_response({"text": text})

    @route(f"{DEPLOYMENT}/logs/follow", type="http", auth="user", website=True, methods=["GET"], readonly=True)
    def eyrie_deployment_log_follow(self, project, group, deployment, cluster="", pod="", container="", lines="",
                                    **kw):
        """The lines of a container as it prints them, streamed as text (see the module's docstring)."""
        deployment_sudo = self._eyrie_log_reader(project, group, deployment)
        try:
            lines_out = self._eyrie_actor(deployment_sudo)._pod_log_follow(
                to_id(cluster), pod, container, lines=to_id(lines) or 100,
            )
        except UserError as error:
            return request.make_json_response({"error": error.args[0]}, status=422)
        return request.make_response(lines_out, headers=[
            ("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store"),
            ("X-Accel-Buffering", "no"),  # a proxy in front must pass each line on at once
        ])

    def _eyrie_log_reader(self, project, group, deployment):
        """The deployment (sudoed) if the user may read its pods' logs: operators, and viewers
        where the project allows it; 403 for other readers, 404 for the rest."""
        project_sudo, _group_sudo, deployment_sudo = self._eyrie_records(project, group, deployment)
        if not self._eyrie_may_read_logs(project_sudo):
            raise Forbidden()
        return deployment_sudo

    def _eyrie_may_read_logs(self, project_sudo, role=None):
        """Whether the user reads the pods' logs; ``role``: the user's on the project, if known."""
        if role is None:
            role = project_sudo._portal_role(request.env.user)
        return role == OPERATOR or (role == VIEWER and project_sudo.portal_viewer_logs)

    def _eyrie_render_deployment(self, project_sudo, group_sudo, deployment_sudo, *args, **kwargs):
        """The page, with why no version can be rolled back to now, if so (operators only; each
        version's own refusal is asked when its dialog opens), and whether the user reads the pods'
        logs."""
        response = super()._eyrie_render_deployment(project_sudo, group_sudo, deployment_sudo, *args, **kwargs)
        qcontext = response.qcontext
        # The lifecycle's block, as the action buttons said it: the runs are read once.
        qcontext["rollback_blocked"] = qcontext["can_operate"] and deployment_sudo._rollback_blocked(
            blocked=qcontext["blocked_reason"])
        qcontext["can_read_logs"] = self._eyrie_may_read_logs(project_sudo, qcontext["portal_role"])
        return response

    def _eyrie_messages(self):
        return {
            **super()._eyrie_messages(),
            "rollback": request.env._("Rolled back: a new version holds the old values. A deployed deployment "
                                      "runs it now; otherwise the next Deploy does."),
        }
