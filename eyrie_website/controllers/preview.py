"""The deployment's Preview page on the portal (operators): what an action's book would do on each
cluster, read from the clusters, nothing sent (see ``eyrie.deployment.preview_action``). A GET: it
changes nothing, on the clusters or in the database."""

from odoo.http import request, route

from odoo.addons.eyrie import lifecycle

from .portal import DEPLOYMENT, EyriePortal, eyrie_url


class EyriePreviewPortal(EyriePortal):
    @route(f"{DEPLOYMENT}/preview", type="http", auth="user", website=True, methods=["GET"], readonly=True)
    def eyrie_deployment_preview(self, project, group, deployment, action=None, **kw):
        project_sudo, _group_sudo, deployment_sudo = records = self._eyrie_records(project, group, deployment)
        self._eyrie_check_operator(project_sudo)
        books = {key: deployment_sudo.group_id[f"deployment_{lifecycle.ACTIONS[target]}_book_id"]
                 for key, target in lifecycle.ACTION_TARGETS.items()}
        choices = [(key, label) for key, (label, _method) in deployment_sudo._action_labels().items()
                   if books.get(key)]
        if action not in dict(choices):
            action = "redeploy" if deployment_sudo.state == lifecycle.DEPLOY else "deploy"
        values = self._eyrie_layout_values("eyrie_deployment", *records)
        values["eyrie_crumbs"] = [*values["eyrie_crumbs"][:-1], (deployment_sudo.name, eyrie_url(deployment_sudo)),
                                  (request.env._("Preview"), None)]
        return request.render("eyrie_website.portal_eyrie_preview", {
            **values,
            "deployment": deployment_sudo,
            "choices": choices,
            "action": action,
            "result": request.env["eyrie.deployment.preview"]._render(self._eyrie_actor(deployment_sudo), action),
        })
