"""Live health and sync on the portal: a section of the deployment page and a badge on its card,
each also served alone for the page to reload it when the bus announces a change (as the runs
are), and a Refresh button. Statuses are read in sudo once the deployment passed the access check;
refreshing only reads from the clusters, so every member who may read the deployment may ask."""

from odoo.http import request, route

from .portal import DEPLOYMENT, EyriePortal, eyrie_url


class EyrieHealthPortal(EyriePortal):
    @route(f"{DEPLOYMENT}/health", type="http", auth="user", website=True, methods=["GET"], readonly=True)
    def eyrie_deployment_health(self, project, group, deployment, **kw):
        """The health section of the detail page alone."""
        _project_sudo, _group_sudo, deployment_sudo = self._eyrie_records(project, group, deployment)
        return request.render("eyrie_website.eyrie_health", {"deployment": deployment_sudo, "eyrie_url": eyrie_url})

    @route(f"{DEPLOYMENT}/health/badge", type="http", auth="user", website=True, methods=["GET"], readonly=True)
    def eyrie_deployment_health_badge(self, project, group, deployment, **kw):
        """The health badge of the deployment's card alone."""
        _project_sudo, _group_sudo, deployment_sudo = self._eyrie_records(project, group, deployment)
        return request.render("eyrie_website.eyrie_health_badge", {
            "deployment": deployment_sudo, "eyrie_url": eyrie_url,
        })

    @route(f"{DEPLOYMENT}/health/refresh", type="http", auth="user", website=True, methods=["POST"])
    def eyrie_deployment_health_refresh(self, project, group, deployment, **post):
        records = self._eyrie_records(project, group, deployment)
        deployment_sudo = records[2]
        _result, error = self._eyrie_apply(deployment_sudo.action_refresh_health)
        if error:
            return self._eyrie_render_deployment(*records, error=error, status=422)
        return request.redirect(f"{eyrie_url(deployment_sudo)}?done=health_refreshed")

    def _eyrie_messages(self):
        return {**super()._eyrie_messages(), "health_refreshed": request.env._("Health and sync refreshed.")}
