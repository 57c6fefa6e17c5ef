"""The /_eyrie portal pages: projects → deployment groups → deployments → one deployment.

URLs name records by their slugs (``/_eyrie/p/acme/dg/odoo/d/shop-production``); a numeric id is
accepted too and redirected to the slug URL. Each record is looked up inside its parent, so a
deployment of another group or project is simply not found there. Unknown, archived and unreadable
records all answer 404 alike: the pages do not tell which records exist.

Reading relies on the access rules: membership for portal users, the Eyrie groups for internal
ones. Mutations are POSTs with a CSRF token that check the project role here, then run with the
user's own rights (internal users) or in sudo (portal operators, whose access rights are read-only
so that they cannot write anything else by RPC). ``sudo()`` keeps ``env.uid``: the chatter, the
version author and ``write_uid`` remain the real user. A refused mutation is rolled back to a
savepoint and the page is shown again with the reason and what the user typed (status 422); a
successful one redirects to the page it changed (PRG) with ``?done=<what>`` naming its message.

Book runs (eyrie_books) show on the deployment page and as a badge on the group page's cards. Portal
users have no rights on runs: they are read in sudo, only once the deployment itself passed the
access check. The runs section and the badge are also served alone (``…/runs``, ``…/runs/badge``),
for the page to reload them when the bus announces a change (see ``models/ir_websocket.py``); so
are a run's steps (``…/runs/<id>``), which the page loads when a finished run is opened.
"""

import re

from psycopg2 import IntegrityError
from werkzeug.exceptions import Forbidden, NotFound

from odoo import Command
from odoo.exceptions import UserError
from odoo.http import request, route

from odoo.addons.eyrie import lifecycle
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..models.eyrie_project_member import OPERATOR

ROOT = "/_eyrie"
PROJECT = f"{ROOT}/p/<string:project>"
GROUP = f"{PROJECT}/dg/<string:group>"
DEPLOYMENT = f"{GROUP}/d/<string:deployment>"
# The deployment's actions (see eyrie.deployment.get_available_actions), and their buttons' classes.
ACTIONS = {
    "initialize": "btn-primary",
    "deploy": "btn-primary",
    "redeploy": "btn-secondary",
    "pause": "btn-secondary",
    "resume": "btn-primary",
    "retry": "btn-secondary",
    "cancel": "btn-outline-danger",
    "drop": "btn-outline-danger",
}
# What the version history of the detail page shows.
VERSION_FIELDS = ("number", "date", "author_id", "deployment_id", "image", "branch", "commit_ref", "changes")
# What operators change on the detail page; every one of them is versioned.
EDIT_FIELDS = ("image", "branch", "commit_ref")
# The New Deployment form's single-valued fields (it also has the cluster checkboxes).
NEW_FIELDS = ("name", "scope_id", "repository_id", "branch", "image")
# The type configuration both forms offer (fields of eyrie.deployment), by deployment type.
TYPE_FIELDS = {
    "odoo": ("database_id", "db_host", "db_port", "db_user", "new_db_password", "db_name", "workers", "odoo_options"),
    "pgo": ("postgres_version", "instances", "backup_size"),
    "pxc": ("pxc_cr_version", "pxc_size", "haproxy_enabled", "haproxy_size", "haproxy_image", "pxc_unsafe"),
    "none": ("port", "env_vars", "new_env_secrets", "container_command", "container_args", "volume_path",
             "storage_size", "database_id", "db_name"),
}
# Credentials: written when typed, never shown back (not even the refused input).
WRITE_ONLY_FIELDS = ("new_db_password", "new_env_secrets")
# Whole numbers a form may leave empty: none (a worker, for the port) rather than the default.
OPTIONAL_NUMBERS = ("port",)
# PostgreSQL's integer ids stop here; a longer number in a URL names nothing.
MAX_ID = 2**31 - 1


def eyrie_url(record):
    """The portal URL of a project, a deployment group or a deployment."""
    if record._name == "eyrie.project":
        return f"{ROOT}/p/{record.slug}"
    if record._name == "eyrie.deployment.group":
        return f"{eyrie_url(record.project_id)}/dg/{record.slug}"
    return f"{eyrie_url(record.group_id)}/d/{record.slug}"


def to_id(value):
    """The record id a form or URL value holds, or None."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) <= MAX_ID else None


class EyriePortal(CustomerPortal):
    _eyrie_cards_per_page = 24
    _eyrie_runs_shown = 10
    _eyrie_versions_per_page = 20

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "eyrie_project_count" in counters:
            values["eyrie_project_count"] = self._eyrie_project_count()
        return values

    # ------------------------------------------------------------------
    # Pages
    # ------------------------------------------------------------------

    @route([ROOT, f"{ROOT}/page/<int:page>"], type="http", auth="user", website=True, methods=["GET"],
           readonly=True)
    def eyrie_projects(self, page=1, **kw):
        Project = request.env["eyrie.project"]
        total = self._eyrie_project_count()
        pager = portal_pager(url=ROOT, total=total, page=page, step=self._items_per_page)
        projects = Project.search([], limit=self._items_per_page, offset=pager["offset"]) if total else Project
        return request.render("eyrie_website.portal_eyrie_projects", {
            **self._eyrie_layout_values("eyrie_projects"),
            "projects": projects.sudo(),
            "pager": pager,
        })

    @route([PROJECT, f"{PROJECT}/page/<int:page>"], type="http", auth="user", website=True, methods=["GET"],
           readonly=True)
    def eyrie_project(self, project, page=1, **kw):
        records = self._eyrie_records(project)
        project_sudo = records[0]
        if redirect := self._eyrie_redirect_to_slugs(records, (project,), page):
            return redirect
        groups, pager = self._eyrie_page(
            request.env["eyrie.deployment.group"], [("project_id", "=", project_sudo.id)], eyrie_url(project_sudo),
            page,
        )
        return request.render("eyrie_website.portal_eyrie_project", {
            **self._eyrie_layout_values("eyrie_project", *records),
            "groups": groups.sudo(),
            "pager": pager,
        })

    @route([GROUP, f"{GROUP}/page/<int:page>"], type="http", auth="user", website=True, methods=["GET"],
           readonly=True)
    def eyrie_group(self, project, group, page=1, **kw):
        records = self._eyrie_records(project, group)
        if redirect := self._eyrie_redirect_to_slugs(records, (project, group), page):
            return redirect
        return self._eyrie_render_group(*records, page=page)

    @route([DEPLOYMENT, f"{DEPLOYMENT}/page/<int:page>"], type="http", auth="user", website=True, methods=["GET"],
           readonly=True)
    def eyrie_deployment(self, project, group, deployment, page=1, done=None, **kw):
        records = self._eyrie_records(project, group, deployment)
        if redirect := self._eyrie_redirect_to_slugs(records, (project, group, deployment), page):
            return redirect
        message = done and self._eyrie_messages().get(done)
        return self._eyrie_render_deployment(*records, page=page, message=message)

    @route(f"{DEPLOYMENT}/runs", type="http", auth="user", website=True, methods=["GET"], readonly=True)
    def eyrie_deployment_runs(self, project, group, deployment, **kw):
        """The runs section of the detail page alone: the page reloads it when a run changes."""
        project_sudo, _group_sudo, deployment_sudo = self._eyrie_records(project, group, deployment)
        can_operate = project_sudo._portal_role(request.env.user) == OPERATOR
        return request.render("eyrie_website.eyrie_runs", {
            **self._eyrie_runs_values(deployment_sudo, can_operate), "eyrie_url": eyrie_url,
        })

    @route(f"{DEPLOYMENT}/runs/<int:job>", type="http", auth="user", website=True, methods=["GET"], readonly=True)
    def eyrie_run_steps(self, project, group, deployment, job, **kw):
        """The steps of one run alone: the page shows a finished run's steps when it is opened."""
        _project_sudo, _group_sudo, deployment_sudo = self._eyrie_records(project, group, deployment)
        return request.render("eyrie_website.eyrie_run_steps", {"run": self._eyrie_runs(deployment_sudo, job)})

    @route(f"{DEPLOYMENT}/runs/badge", type="http", auth="user", website=True, methods=["GET"], readonly=True)
    def eyrie_deployment_run_badge(self, project, group, deployment, **kw):
        """The run badge of the deployment's card alone: the group page reloads it when a run changes."""
        _project_sudo, _group_sudo, deployment_sudo = self._eyrie_records(project, group, deployment)
        return request.render("eyrie_website.eyrie_run_badge", {"deployment": deployment_sudo, "eyrie_url": eyrie_url})

    # ------------------------------------------------------------------
    # Mutations
    # ------------------------------------------------------------------

    @route(f"{GROUP}/new", type="http", auth="user", website=True, methods=["POST"])
    def eyrie_deployment_create(self, project, group, **post):
        project_sudo, group_sudo = self._eyrie_records(project, group)
        self._eyrie_check_operator(project_sudo)
        typed = self._eyrie_typed(post, NEW_FIELDS, TYPE_FIELDS[group_sudo.type])
        # Checkboxes repeat the name; request params keep only the first value.
        typed["cluster_ids"] = [
            cluster_id for cluster_id in map(to_id, request.httprequest.form.getlist("cluster_ids")) if cluster_id
        ]

        def create():
            choices = self._eyrie_choices(project_sudo)
            values = self._eyrie_new_deployment_values(typed, group_sudo, choices)
            values.update(self._eyrie_type_values(typed, group_sudo.type, choices))
            deployment = self._eyrie_actor(request.env["eyrie.deployment"]).create(values)
            self._eyrie_check_buildable(deployment.sudo())
            return deployment

        deployment, error = self._eyrie_apply(create)
        if error:
            return self._eyrie_render_group(project_sudo, group_sudo, form=typed, form_error=error, status=422)
        return request.redirect(f"{eyrie_url(deployment)}?done=created")

    @route(f"{DEPLOYMENT}/edit", type="http", auth="user", website=True, methods=["GET"], readonly=True)
    def eyrie_deployment_edit_form(self, project, group, deployment, **kw):
        """The edit form alone (operators): the page shows it when asked for."""
        project_sudo, _group_sudo, deployment_sudo = self._eyrie_records(project, group, deployment)
        self._eyrie_check_operator(project_sudo)
        return request.render("eyrie_website.eyrie_edit_form", {
            **self._eyrie_edit_values(project_sudo, deployment_sudo), "eyrie_url": eyrie_url,
        })

    @route(f"{DEPLOYMENT}/edit", type="http", auth="user", website=True, methods=["POST"])
    def eyrie_deployment_edit(self, project, group, deployment, **post):
        records = self._eyrie_records(project, group, deployment)
        self._eyrie_check_operator(records[0])
        deployment_sudo = records[2]
        kind = deployment_sudo.type
        typed = self._eyrie_typed(post, EDIT_FIELDS, TYPE_FIELDS[kind])
        version = deployment_sudo.current_version_id

        def edit():
            values = {name: typed[name] or False for name in EDIT_FIELDS}
            values.update(self._eyrie_type_values(typed, kind, self._eyrie_type_choices(records[0])))
            already = deployment_sudo._build_error(version)
            result = self._eyrie_actor(deployment_sudo).write(values)
            self._eyrie_check_buildable(deployment_sudo, already)
            return result

        _result, error = self._eyrie_apply(edit)
        if error:
            return self._eyrie_render_deployment(*records, form=typed, form_error=error, status=422)
        done = "saved" if deployment_sudo.current_version_id != version else "unchanged"
        return request.redirect(f"{eyrie_url(deployment_sudo)}?done={done}")

    @route(f"{DEPLOYMENT}/runs/<int:job>/<any(resume, retry, cancel):operation>", type="http", auth="user",
           website=True, methods=["POST"])
    def eyrie_run_operation(self, project, group, deployment, job, operation, **post):
        """Resume, retry or cancel one run of the deployment (operators only)."""
        records = self._eyrie_records(project, group, deployment)
        self._eyrie_check_operator(records[0])
        deployment_sudo = records[2]
        job_sudo = self._eyrie_runs(deployment_sudo, job_id=job)
        _result, error = self._eyrie_apply(getattr(self._eyrie_actor(job_sudo), f"action_{operation}"))
        if error:
            return self._eyrie_render_deployment(*records, error=error, status=422)
        return request.redirect(f"{eyrie_url(deployment_sudo)}?done=run_{operation}")

    @route(f"{DEPLOYMENT}/<any({', '.join(ACTIONS)}):action>", type="http", auth="user", website=True,
           methods=["POST"])
    def eyrie_deployment_action(self, project, group, deployment, action, **post):
        records = self._eyrie_records(project, group, deployment)
        self._eyrie_check_operator(records[0])
        deployment_sudo = records[2]
        method = deployment_sudo._action_labels()[action][1]
        _result, error = self._eyrie_apply(getattr(self._eyrie_actor(deployment_sudo), method))
        if error:
            return self._eyrie_render_deployment(*records, error=error, status=422)
        return request.redirect(f"{eyrie_url(deployment_sudo)}?done={action}")

    # ------------------------------------------------------------------
    # Rendering
    # ------------------------------------------------------------------

    def _eyrie_layout_values(self, page_name, *records):
        """Values every /_eyrie page has: the records of the URL and the breadcrumbs they make."""
        named = dict(zip(("eyrie_project", "eyrie_group", "eyrie_deployment"), records, strict=False))
        crumbs = [(request.env._("Eyrie"), ROOT), *((record.name, eyrie_url(record)) for record in records)]
        return {
            **self._prepare_portal_layout_values(),
            **named,
            "page_name": page_name,
            "eyrie_url": eyrie_url,
            # The last crumb is the page itself: no link.
            "eyrie_crumbs": [*crumbs[:-1], (crumbs[-1][0], None)],
        }

    def _eyrie_page(self, Model, domain, url, page, step=None, field_names=None):
        """One page of ``Model``'s records (as the visitor, record rules apply, unless ``Model`` is
        sudoed), read with their fields (``field_names``, by default all), and its pager. A first
        page that is not full is all there is: no count."""
        step = step or self._items_per_page
        offset = max(page - 1, 0) * step
        records = Model.search_fetch(domain, field_names, limit=step, offset=offset)
        total = len(records) if not offset and len(records) < step else Model.search_count(domain)
        pager = portal_pager(url=url, total=total, page=page, step=step)
        if pager["offset"] != offset:  # past the last page: the pager shows the last one
            records = Model.search_fetch(domain, field_names, limit=step, offset=pager["offset"])
        return records, pager

    def _eyrie_render_group(self, project_sudo, group_sudo, page=1, form=None, form_error=None, status=200):
        deployments, pager = self._eyrie_page(
            request.env["eyrie.deployment"], [("group_id", "=", group_sudo.id)], eyrie_url(group_sudo), page,
            step=self._eyrie_cards_per_page,
        )
        can_operate = project_sudo._portal_role(request.env.user) == OPERATOR
        return request.render("eyrie_website.portal_eyrie_group", {
            **self._eyrie_layout_values("eyrie_group", project_sudo, group_sudo),
            "deployments": deployments.sudo(),
            "pager": pager,
            "can_operate": can_operate,
            "choices": can_operate and self._eyrie_choices(project_sudo),
            "form": form or self._eyrie_form_values(
                self._eyrie_new_deployment(group_sudo), TYPE_FIELDS[group_sudo.type]),
            "form_error": form_error,
        }, status=status)

    def _eyrie_render_deployment(self, project_sudo, group_sudo, deployment_sudo, page=1, message=None,
                                 error=None, form=None, form_error=None, status=200):
        role = project_sudo._portal_role(request.env.user)
        can_operate = role == OPERATOR
        # The page's versions with what the history shows (in sudo: the user may read the
        # deployment, so its versions), and its runs.
        versions, pager = self._eyrie_page(
            request.env["eyrie.deployment.version"].sudo(), [("deployment_id", "=", deployment_sudo.id)],
            eyrie_url(deployment_sudo), page, step=self._eyrie_versions_per_page, field_names=VERSION_FIELDS,
        )
        runs = self._eyrie_runs_values(deployment_sudo, can_operate)
        # The versions' authors, the runs' users and the visitor (the layout reads them) in one read.
        (versions.author_id | runs["runs"].user_id | request.env.user.sudo()).partner_id.fetch()
        return request.render("eyrie_website.portal_eyrie_deployment", {
            **self._eyrie_layout_values("eyrie_deployment", project_sudo, group_sudo, deployment_sudo),
            "versions": versions,
            "pager": pager,
            "portal_role": role,
            "can_operate": can_operate,
            **(self._eyrie_actions(deployment_sudo) if can_operate else {"actions": [], "blocked_reason": False}),
            **runs,
            "message": message,
            "error": error,
            # The edit form only as typed, refused: else the page offers it (…/edit).
            **(self._eyrie_edit_values(project_sudo, deployment_sudo, form, form_error) if form else {}),
        }, status=status)

    def _eyrie_edit_values(self, project_sudo, deployment_sudo, form=None, form_error=None):
        """What the edit form shows: ``form`` as typed, else the deployment's values; the choices."""
        return {
            "deployment": deployment_sudo,
            "form": form or self._eyrie_form_values(
                deployment_sudo, (*EDIT_FIELDS, *TYPE_FIELDS[deployment_sudo.type])),
            "choices": self._eyrie_type_choices(project_sudo),
            "form_error": form_error,
        }

    def _eyrie_runs_values(self, deployment_sudo, can_operate):
        """What the runs section shows. The caller checked that the user may read the deployment:
        its runs are read in sudo (portal users have no access rights on runs)."""
        return {
            "deployment": deployment_sudo,
            "runs": self._eyrie_runs(deployment_sudo),
            "can_operate_runs": can_operate,
        }

    def _eyrie_runs(self, deployment_sudo, job_id=None):
        """The latest runs of the deployment, sudoed; with ``job_id``, that run of it, else 404."""
        Job = request.env["eyrie.job"].sudo()
        if job_id is None:
            return Job.search_fetch([("deployment_id", "=", deployment_sudo.id)], limit=self._eyrie_runs_shown)
        job = Job.search([("deployment_id", "=", deployment_sudo.id), ("id", "=", job_id)]) if job_id <= MAX_ID else Job
        if not job:
            raise NotFound()
        return job

    def _eyrie_actions(self, deployment_sudo):
        """The action buttons of the deployment, as ``get_available_actions`` says for the user:
        those available, and those a run blocks (disabled, with the reason); each with its class."""
        answer = self._eyrie_actor(deployment_sudo).get_available_actions()[0]
        blocked = answer["blocked_reason"]
        return {
            "actions": [
                {**action, "css": ACTIONS[action["action"]]} for action in answer["actions"]
                if action["available"] or (blocked and action["reason"] == blocked)
            ],
            "blocked_reason": blocked,
        }

    def _eyrie_messages(self):
        """The message of each ``done`` a mutation redirects with."""
        env = request.env
        return {
            "created": env._("Deployment created."),
            "saved": env._("Saved: a new version is now current."),
            "unchanged": env._("Nothing changed: the deployment already runs that."),
            lifecycle.INITIALIZE: env._("Initialize started."),
            lifecycle.DEPLOY: env._("Deploy started."),
            lifecycle.PAUSE: env._("Pause started."),
            lifecycle.DROP: env._("Drop started: the deployment's resources are being deleted."),
            "redeploy": env._("Re-deploy started."),
            "resume": env._("Run resumed from its failed step."),
            "retry": env._("Run started again from its first step."),
            "cancel": env._("Run cancelled: the deployment's messages say the state it is in."),
            "run_resume": env._("Run resumed from its failed step."),
            "run_retry": env._("Run started again from its first step."),
            "run_cancel": env._("Run cancelled: the deployment's messages say the state it is in."),
        }

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------

    def _eyrie_project_count(self):
        """How many projects the user sees; none without the right to read projects at all."""
        Project = request.env["eyrie.project"]
        return Project.search_count([]) if Project.has_access("read") else 0

    def _eyrie_records(self, project, group=None, deployment=None):
        """The sudoed records the URL segments name, each looked up inside its parent; 404 unless
        the user may read the last one. That is enough: access to groups and deployments follows
        their project's (same company, rules through the project's members), so who may read the
        last record may read its parents."""
        project_sudo = self._eyrie_find("eyrie.project", project, [], as_user=group is None)
        records = [project_sudo]
        if group is not None:
            records.append(self._eyrie_find("eyrie.deployment.group", group, [("project_id", "=", project_sudo.id)],
                                            as_user=deployment is None))
        if deployment is not None:
            records.append(self._eyrie_find("eyrie.deployment", deployment, [("group_id", "=", records[1].id)]))
        return records

    def _eyrie_find(self, model, segment, domain, as_user=True):
        """The record of ``model`` within ``domain`` whose slug is ``segment`` (else whose id it is),
        sudoed; 404 if there is none, or ``as_user`` and the user may not read it (searched as the
        user: access rules apply in the query itself)."""
        Model = request.env[model]
        if as_user and not Model.has_access("read"):
            raise NotFound()
        Model = Model if as_user else Model.sudo()
        # Read with its fields: the page shows them. One match at most (slugs are unique in their
        # parent): no need for the model's order, which joins the parent's table for a group.
        record = Model.search_fetch([*domain, ("slug", "=", segment)], limit=1, order="id")
        if not record and (record_id := to_id(segment)):
            record = Model.search_fetch([*domain, ("id", "=", record_id)], limit=1, order="id")
        if not record:
            raise NotFound()
        return record.sudo()

    def _eyrie_redirect_to_slugs(self, records, segments, page):
        """A redirect to the slug URL when a segment named its record by id, else None. Not
        permanent: a manager may rename a project's slug, and the id would then lead elsewhere."""
        if all(record.slug == segment for record, segment in zip(records, segments, strict=True)):
            return None
        return request.redirect(eyrie_url(records[-1]) + (f"/page/{page}" if page > 1 else ""), code=302)

    def _eyrie_check_operator(self, project_sudo):
        if project_sudo._portal_role(request.env.user) != OPERATOR:
            raise Forbidden()

    def _eyrie_actor(self, records):
        """``records`` as the current user, with the rights to change them: internal users have
        their own; a portal operator, whose role the caller checked, acts in sudo."""
        records = records.with_user(request.env.user)
        return records if request.env.user._is_internal() else records.sudo()

    def _eyrie_apply(self, operation):
        """Run ``operation`` in a savepoint; return (its result, None), or (None, the reason it was
        refused) with nothing of it written."""
        try:
            with request.env.cr.savepoint():
                return operation(), None
        except UserError as error:
            return None, error.args[0]
        except IntegrityError as error:
            return None, request.env["eyrie.deployment"]._sql_error_to_message(error)

    def _eyrie_check_buildable(self, deployment_sudo, already=False):
        """Refuse a form whose deployment could not run on its clusters (an even PXC size, no
        database…), naming the field to fix; unless the same held before (an edit of something else),
        or its group runs no book (then nothing is built)."""
        if not deployment_sudo.group_id.deployment_init_book_id:
            return
        error = deployment_sudo._build_error(deployment_sudo.current_version_id)
        if error and error != already:
            raise UserError(error)

    def _eyrie_choices(self, project_sudo):
        """The scopes, clusters and repositories the user may pick for a deployment of this project,
        and the type configuration's choices. Portal members get only the clusters and repositories
        the project already uses, so that one customer never sees another's; internal users get
        whatever their rights let them read."""
        env = request.env
        if env.user._is_internal():
            clusters, repositories = env["eyrie.cluster"].search([]), env["eyrie.repository"].search([])
        else:
            used = env["eyrie.deployment"].sudo().search([("project_id", "=", project_sudo.id)])
            clusters = used.cluster_ids.filtered("active").sorted("name")
            repositories = used.repository_id.filtered("active").sorted("name")
        return {
            "scopes": env["eyrie.scope"].sudo().search([]),
            "clusters": clusters.sudo(),
            "repositories": repositories.sudo(),
            **self._eyrie_type_choices(project_sudo),
        }

    def _eyrie_type_choices(self, project_sudo):
        """The choices of the type configuration, all the edit form of the detail page offers."""
        env = request.env
        return {
            # A database is a PostgreSQL deployment of the same project (see eyrie.deployment.database_id).
            "databases": env["eyrie.deployment"].sudo().search_fetch(
                [("project_id", "=", project_sudo.id), ("type", "=", "pgo")], order="name"),
            "postgres_versions": [key for key, _label in env["eyrie.deployment"]._fields["postgres_version"].selection],
        }

    def _eyrie_new_deployment(self, group_sudo):
        """A deployment of the group as the New Deployment form starts it: the fields' defaults."""
        deployments = request.env["eyrie.deployment"].sudo()
        return deployments.new(deployments.default_get(list(TYPE_FIELDS[group_sudo.type])))

    def _eyrie_typed(self, post, names, type_names):
        """The form's text as typed: stripped, except credentials (spaces may belong to them). Of the
        type's fields, only those posted (a checkbox posts a hidden empty value after it): a client
        that sends fewer changes no other."""
        return {name: post.get(name) or "" if name in WRITE_ONLY_FIELDS else (post.get(name) or "").strip()
                for name in (*names, *(name for name in type_names if name in post))}

    def _eyrie_form_values(self, deployment, names):
        """What a form shows of ``deployment``: text for each field, credentials empty."""
        values = {}
        for name in names:
            value = deployment[name] if name not in WRITE_ONLY_FIELDS else ""
            if isinstance(value, bool):
                value = "on" if value else ""
            values[name] = str(value.id or "") if hasattr(value, "_name") else str(value or "")
        return values

    def _eyrie_type_values(self, typed, kind, choices):
        """Values of the type's fields from the form as typed; UserError naming the field for text
        that is not one (the model checks the rest). Empty numbers keep the current value (the
        default on creation), a typed credential replaces the stored one, an empty one keeps it."""
        env = request.env
        fields = env["eyrie.deployment"]._fields
        values = {}
        for name in (name for name in TYPE_FIELDS[kind] if name in typed):
            field, text = fields[name], typed[name]
            if field.type == "boolean":
                values[name] = bool(text)
            elif name == "database_id":
                database = choices["databases"].filtered_domain([("id", "=", to_id(text) or 0)])
                if text and not database:
                    raise UserError(env._("Choose a database from the list."))
                values[name] = database.id if database else False
            elif field.type == "integer":
                if not text:
                    if name in OPTIONAL_NUMBERS:
                        values[name] = 0
                    continue
                if not re.fullmatch(r"-?[0-9]{1,9}", text):
                    raise UserError(env._("%(field)s must be a whole number.", field=field.string))
                values[name] = int(text)
            elif field.type == "selection":
                if text not in dict(field._description_selection(env)):
                    raise UserError(env._("Choose a %(field)s from the list.", field=field.string))
                values[name] = text
            elif name in WRITE_ONLY_FIELDS:
                if text:
                    values[name] = text
            else:
                values[name] = text or False
        return values

    def _eyrie_new_deployment_values(self, typed, group_sudo, choices):
        """Values to create a deployment from the form as typed; UserError for a choice the form
        did not offer (the model checks the rest: image, branch, unique name…)."""
        env = request.env
        scope = choices["scopes"].filtered(lambda scope: scope.id == to_id(typed["scope_id"]))
        clusters = choices["clusters"].filtered(lambda cluster: cluster.id in typed["cluster_ids"])
        repository = choices["repositories"].filtered(lambda repo: repo.id == to_id(typed["repository_id"]))
        if not typed["name"]:
            raise UserError(env._("Give the deployment a name."))
        if not scope:
            raise UserError(env._("Choose a scope."))
        if len(clusters) != len(set(typed["cluster_ids"])):
            raise UserError(env._("Choose clusters from the list."))
        if typed["repository_id"] and not repository:
            raise UserError(env._("Choose a repository from the list."))
        return {
            "name": typed["name"],
            "group_id": group_sudo.id,
            "scope_id": scope.id,
            "cluster_ids": [Command.set(clusters.ids)],
            "repository_id": repository.id,
            "branch": typed["branch"] or False,
            "image": typed["image"] or False,
        }
