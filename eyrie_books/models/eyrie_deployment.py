import re
from collections import defaultdict

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.eyrie import lifecycle
from odoo.addons.eyrie.models.eyrie_deployment import SOURCE_TYPES
from odoo.addons.eyrie.naming import DNS_LABEL_MAX

from .. import runs
from ..k8s import DeploymentSpec, Source, builders, operators
from ..k8s.errors import InvalidSpec
from ..k8s.spec import DEFAULT_GIT_IMAGE, NAME_SUFFIXES, DatabaseLink
from .eyrie_deployment_status import HEALTH_PRIORITY, HEALTH_STATES, SYNC_PRIORITY, SYNC_STATES

# The run status a deployment shows when its clusters' latest runs differ: the most pressing.
RUN_STATE_PRIORITY = (runs.RUNNING, runs.QUEUED, runs.FAILED, runs.DONE, runs.CANCELLED)


USER = "eyrie.group_eyrie_user"
_ENV_LINE = re.compile(r"^([-._a-zA-Z][-._a-zA-Z0-9]*)=(.*)\Z")
_OPTION_LINE = re.compile(r"^([a-z_][a-z0-9_]*)\s*=\s*(.*?)\s*\Z")
# odoo.conf options that Eyrie writes itself (or that would reach the database another way).
OWN_OPTIONS = frozenset({
    "data_dir", "proxy_mode", "list_db", "workers", "gevent_port", "db_host", "db_port", "db_user",
    "db_password", "db_name", "dbfilter", "addons_path", "http_port",
})
# The settings key of the Kubernetes layer that each field fills (to name the field to fix).
SETTING_FIELDS = {
    "db_secret": "database_id", "db_host": "db_host", "db_user": "db_user", "db_port": "db_port",
    "db_password_secret": "new_db_password", "db_name": "db_name", "workers": "workers",
    "options": "odoo_options", "postgres_version": "postgres_version", "instances": "instances",
    "backup_size": "backup_size", "users": "database_user_ids", "cr_version": "pxc_cr_version",
    "size": "pxc_size", "haproxy": "haproxy_enabled", "haproxy_size": "haproxy_size",
    "haproxy_image": "haproxy_image", "unsafe": "pxc_unsafe",
}
SPEC_FIELDS = {"storage_size": "storage_size", "port": "port", "env": "env_vars", "image": "image",
               "replicas": "replicas", "name": "slug", "namespace": "slug", "secret_env": "new_env_secrets",
               "command": "container_command", "args": "container_args", "volume_path": "volume_path"}


def parse_lines(text, pattern):
    """{key: value} of the non-blank lines of ``text``; raises ValueError naming the first line
    that ``pattern`` (two groups: key, value) does not match."""
    values = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        match = pattern.match(line.strip())
        if not match:
            raise ValueError(line.strip())
        values[match[1]] = match[2]
    return values


def split_items(text):
    """The non-blank lines of ``text``, stripped: a command or its arguments, one item per line."""
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


class EyrieDeployment(models.Model):
    _inherit = "eyrie.deployment"
    # Its objects are named slug + a suffix, and its Service's name must start with a letter.
    _slug_max_length = DNS_LABEL_MAX - max(map(len, NAME_SUFFIXES))
    _slug_lead = "d"

    replicas = fields.Integer(
        default=1, tracking=True, versioned=True, help="Pods of the workload (instances of a database cluster).",
    )
    port = fields.Integer(versioned=True, help="Port the container listens on (generic deployments).")
    source_path = fields.Char(
        versioned=True,
        help="Where the repository's code is put in the container, e.g. /srv/app (generic deployments; empty: "
             "the app runs its image alone). Odoo deployments find it on their addons path.",
    )
    storage_size = fields.Char(default="1Gi", versioned=True, help="Volume size, e.g. 10Gi.")
    # odoo: its database, a PGO deployment of the same project or an external PostgreSQL; none: a
    # PGO or PXC deployment too, or no database.
    database_id = fields.Many2one(
        "eyrie.deployment", ondelete="restrict", index="btree_not_null", versioned=True,
        domain="[('type', 'in', ['pgo', 'pxc'] if type == 'none' else ['pgo']), ('project_id', '=', project_id)]",
        help="A PostgreSQL deployment of the same project (or a MySQL one for generic apps); leave empty to "
             "use an external database (Odoo) or none (generic apps).",
    )
    db_host = fields.Char(string="Database Host", versioned=True, help="External PostgreSQL host.")
    db_port = fields.Integer(string="Database Port", default=5432, versioned=True)
    db_user = fields.Char(string="Database User", versioned=True)
    # A credential: only the system reads it (runs, in sudo); users type it through new_db_password.
    db_password = fields.Char(
        string="Stored Database Password", groups="base.group_system", copy=False, prefetch=False, versioned=True,
    )
    new_db_password = fields.Char(
        string="Database Password", compute="_compute_new_db_password", inverse="_inverse_new_db_password",
        groups=USER, help="Written here, never shown back.",
    )
    db_name = fields.Char(string="Database Name", versioned=True, help="Default: the deployment's short name.")
    workers = fields.Integer(default=2, versioned=True, help="Odoo worker processes (at least 1).")
    odoo_options = fields.Text(
        string="Extra odoo.conf Options", versioned=True,
        help="One option per line, as in odoo.conf: key = value.",
    )
    # pgo
    postgres_version = fields.Selection(
        [(str(version), str(version)) for version in operators.PGO_POSTGRES_VERSIONS],
        string="PostgreSQL Version", default=str(operators.PGO_DEFAULT_POSTGRES_VERSION), versioned=True,
    )
    instances = fields.Integer(default=1, versioned=True, help="PostgreSQL instances (a primary and replicas).")
    backup_size = fields.Char(
        versioned=True, help="Backup repository volume size, e.g. 10Gi (default: the storage size).",
    )
    database_user_ids = fields.One2many("eyrie.deployment", "database_id", string="Served Deployments")
    # pxc
    pxc_cr_version = fields.Char(
        string="Operator CR Version", default=operators.PXC_CR_VERSION, versioned=True,
        help="The Percona operator release the cluster is written for, e.g. 1.19.0.",
    )
    pxc_size = fields.Integer(string="PXC Size", default=3, versioned=True, help="MySQL nodes: odd, 3 to 5.")
    haproxy_enabled = fields.Boolean(string="HAProxy", default=True, versioned=True)
    haproxy_size = fields.Integer(string="HAProxy Size", default=3, versioned=True, help="At least 2.")
    haproxy_image = fields.Char(
        string="HAProxy Image", versioned=True, help=f"Default: the operator release's, {operators.PXC_HAPROXY_IMAGE}.",
    )
    pxc_unsafe = fields.Boolean(
        string="Unsafe (dev only)", versioned=True,
        help="Allows any size from 1 through the operator's unsafeFlags: never in production.",
    )
    # none
    env_vars = fields.Text(
        string="Environment Variables", versioned=True, help="One variable per line: NAME=value.",
    )
    # Secret variables are credentials like db_password: typed through new_env_secrets, read by the system.
    env_secrets = fields.Text(
        string="Secret Environment Variables", groups="base.group_system", copy=False, prefetch=False,
        versioned=True,
    )
    new_env_secrets = fields.Text(
        string="Set Secret Variables", compute="_compute_new_env_secrets", inverse="_inverse_new_env_secrets",
        groups=USER, help="One per line: NAME=value sets a variable (kept in a Secret), -NAME removes it. "
                          "Written here, never shown back.",
    )
    env_secret_names = fields.Char(
        string="Secret Variables", compute="_compute_env_secret_names",
        help="The secret variables set (values hidden).",
    )
    container_command = fields.Text(
        string="Command", versioned=True,
        help="One item per line, replacing the image's entrypoint (empty: the image's).",
    )
    container_args = fields.Text(
        string="Arguments", versioned=True, help="One argument per line (empty: the image's).",
    )
    volume_path = fields.Char(
        versioned=True,
        help="Where a persistent volume of the storage size is mounted, e.g. /data (empty: no volume).",
    )
    job_ids = fields.One2many("eyrie.job", "deployment_id", string="Runs")
    running_job_count = fields.Integer(compute="_compute_run_status", string="Running Jobs")
    run_state = fields.Selection(
        runs.RUN_STATES, compute="_compute_run_status", string="Run Status",
        help="What the latest run of each cluster says: running while any is queued or running, "
             "failed while any has failed.",
    )
    run_error = fields.Text(compute="_compute_run_error")
    live_job_ids = fields.Many2many(
        "eyrie.job", compute="_compute_live", string="Live",
        help="On each cluster, the latest Initialize or Deploy run that finished: the version it applied runs there.",
    )
    pending_changes = fields.Boolean(
        compute="_compute_live", search="_search_pending_changes",
        help="A cluster runs another version than the current one: Re-deploy rolls the current one out.",
    )
    push_pending = fields.Boolean(
        readonly=True, copy=False,
        help="A push arrived while a run was in progress: its version deploys when the runs end.",
    )
    can_resume = fields.Boolean(compute="_compute_available_actions")
    can_retry = fields.Boolean(compute="_compute_available_actions")
    can_cancel = fields.Boolean(compute="_compute_available_actions")
    # Live health and sync: one eyrie.deployment.status per cluster, written by refreshes.
    status_ids = fields.One2many("eyrie.deployment.status", "deployment_id", string="Health per Cluster")
    health = fields.Selection(
        HEALTH_STATES, compute="_compute_health", store=True, index=True,
        help="The worst health of its clusters at the last refresh (empty: not deployed, or only on dry-run "
             "clusters).",
    )
    sync_status = fields.Selection(
        SYNC_STATES, string="Sync", compute="_compute_health", store=True, index=True,
        help="Out of sync when a cluster holds other values than its current version applies (edited behind "
             "Eyrie's back, or not deployed yet): Re-deploy applies them again.",
    )
    health_summary = fields.Text(compute="_compute_health_summary", string="Health Details")
    buildable = fields.Boolean(
        compute="_compute_buildable", store=True,
        help="The objects of the current version build on each of its clusters (see _build_error), as of the "
             "last change of what they are built from: the buttons need no build of their own.",
    )

    def _latest_runs(self):
        """{deployment id: [(run id, state)]}: the latest run on each of its clusters, read in one
        query for the whole batch (kanban cards show these for every record of a page)."""
        self.env["eyrie.job"].flush_model(["deployment_id", "cluster_id", "state"])
        rows = self.env.execute_query(SQL(
            """SELECT DISTINCT ON (deployment_id, cluster_id) deployment_id, id, state FROM eyrie_job
               WHERE deployment_id IN %s ORDER BY deployment_id, cluster_id, id DESC""",
            tuple(self.ids) or (None,),
        ))
        latest = defaultdict(list)
        for deployment_id, job_id, state in rows:
            latest[deployment_id].append((job_id, state))
        return latest

    @api.depends("job_ids.state")
    def _compute_run_status(self):
        latest = self._latest_runs()
        for deployment in self:
            states = {state for _job, state in latest[deployment.id]}
            deployment.running_job_count = sum(state in runs.ACTIVE for _job, state in latest[deployment.id])
            deployment.run_state = next((state for state in RUN_STATE_PRIORITY if state in states), False)

    @api.depends("job_ids.state", "job_ids.step_ids.error")
    def _compute_run_error(self):
        latest = self._latest_runs()
        failed = self.env["eyrie.job"].browse(
            job for pairs in latest.values() for job, state in pairs if state == runs.FAILED
        )
        for deployment in self:
            deployment.run_error = "\n".join(
                f"{job.cluster_id.name}: {job.failed_step_id.name}: {job.error}"
                for job in failed if job.deployment_id == deployment
            ) or False

    def _live_runs_query(self, deployment_ids=None):
        """The live run of each deployment on each of its clusters: the latest Initialize or Deploy
        run that finished, unless a Drop finished after it (then nothing is live there)."""
        self.env["eyrie.job"].flush_model(["deployment_id", "cluster_id", "state", "action", "version_id"])
        return SQL(
            """SELECT deployment_id, cluster_id, id, version_id FROM (
                   SELECT DISTINCT ON (job.deployment_id, job.cluster_id)
                          job.deployment_id, job.cluster_id, job.id, job.version_id, job.action
                     FROM eyrie_job job
                     JOIN eyrie_deployment_cluster_rel rel
                       ON rel.deployment_id = job.deployment_id AND rel.cluster_id = job.cluster_id
                    WHERE job.state = 'done' AND job.action IN ('init', 'deploy', 'drop') %s
                 ORDER BY job.deployment_id, job.cluster_id, job.id DESC
               ) latest WHERE action != 'drop'""",
            SQL("AND job.deployment_id IN %s", tuple(deployment_ids) or (None,))
            if deployment_ids is not None else SQL(),
        )

    @api.depends("job_ids.state", "current_version_id", "cluster_ids")
    def _compute_live(self):
        live = defaultdict(list)
        for deployment_id, _cluster_id, job_id, version_id in self.env.execute_query(self._live_runs_query(self.ids)):
            live[deployment_id].append((job_id, version_id))
        for deployment in self:
            deployment.live_job_ids = [job_id for job_id, _version in live[deployment.id]]
            deployment.pending_changes = any(
                version_id != deployment.current_version_id.id for _job, version_id in live[deployment.id]
            )

    def _search_pending_changes(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Pending changes can be searched only as true or false."))
        self.flush_model(["current_version_id"])
        pending = SQL(
            """SELECT live.deployment_id FROM (%s) live JOIN eyrie_deployment deployment
                   ON deployment.id = live.deployment_id
                WHERE live.version_id IS DISTINCT FROM deployment.current_version_id""",
            self._live_runs_query(),
        )
        return [("id", "in" if (operator == "=") == value else "not in", pending)]

    def _compute_new_db_password(self):
        self.new_db_password = False

    def _inverse_new_db_password(self):
        for deployment in self.filtered("new_db_password"):
            deployment.sudo().db_password = deployment.new_db_password

    def _compute_new_env_secrets(self):
        self.new_env_secrets = False

    def _inverse_new_env_secrets(self):
        """Merge the typed lines into the stored variables; an error names the line by its number
        only (its text may be a secret)."""
        for deployment in self.filtered("new_env_secrets"):
            values = parse_lines(deployment.sudo().env_secrets, _ENV_LINE)
            for number, line in enumerate(deployment.new_env_secrets.splitlines(), start=1):
                line = line.strip()
                if line.startswith("-") and "=" not in line:
                    values.pop(line[1:], None)
                elif match := _ENV_LINE.match(line):
                    values[match[1]] = match[2]
                elif line:
                    raise ValidationError(self.env._(
                        "Secret variables: line %(number)s is not NAME=value (or -NAME to remove one).", number=number,
                    ))
            deployment.sudo().env_secrets = "".join(f"{name}={value}\n" for name, value in values.items()) or False

    @api.depends("env_secrets")
    def _compute_env_secret_names(self):
        for deployment in self:
            deployment.env_secret_names = ", ".join(parse_lines(deployment.sudo().env_secrets, _ENV_LINE)) or False

    @api.constrains("database_id", "project_id")
    def _check_database(self):
        for deployment in self.filtered("database_id"):
            database = deployment.database_id.sudo()
            if deployment.type not in ("odoo", "none"):
                raise ValidationError(self.env._(
                    "%(name)s is a database itself: only Odoo and generic deployments use a database.",
                    name=deployment.name,
                ))
            if database.type == "pxc" and deployment.type != "none":  # Odoo runs on PostgreSQL only
                raise ValidationError(self.env._(
                    "%(name)s cannot use the MySQL (PXC) deployment %(database)s: only a PostgreSQL deployment "
                    "can be its database for now.", name=deployment.name, database=database.name,
                ))
            if database.type not in ("pgo", "pxc") or database.project_id != deployment.project_id:
                raise ValidationError(self.env._(
                    "The database of %(name)s must be a PostgreSQL deployment of its project %(project)s.",
                    name=deployment.name, project=deployment.project_id.name,
                ))

    @api.constrains("workers", "instances", "pxc_size", "haproxy_size", "db_port")
    def _check_numbers(self):
        limits = {"workers": (1, 1024), "instances": (1, 64), "pxc_size": (1, 64), "haproxy_size": (1, 64),
                  "db_port": (1, 65535)}
        for deployment in self:
            for name, (low, high) in limits.items():
                if not low <= deployment[name] <= high:
                    raise ValidationError(self.env._(
                        "%(field)s must be from %(low)s to %(high)s.",
                        field=self._fields[name].string, low=low, high=high,
                    ))

    @api.constrains("database_id", "cluster_ids")
    def _check_database_clusters(self):
        """An app runs only where its database runs (the operator's Secret is read there)."""
        for deployment in self:
            for app in deployment.sudo().database_user_ids | deployment.filtered("database_id"):
                missing = app.cluster_ids - app.database_id.cluster_ids
                if missing:
                    raise ValidationError(self.env._(
                        "%(app)s runs on %(clusters)s, where its database %(database)s does not: put the "
                        "database there too, or the app on the database's clusters.",
                        app=app.name, clusters=", ".join(missing.mapped("name")), database=app.database_id.name,
                    ))

    @api.constrains("env_vars", "odoo_options", "env_secrets")
    def _check_lines(self):
        for deployment in self:
            try:
                env = parse_lines(deployment.env_vars, _ENV_LINE)
            except ValueError as error:
                raise ValidationError(self.env._(
                    "Environment Variables: “%(line)s” is not NAME=value (a name of letters, digits, '_', '-' "
                    "and '.', not starting with a digit).", line=str(error),
                )) from None
            both = sorted(set(env).intersection(parse_lines(deployment.sudo().env_secrets, _ENV_LINE)))
            if both:
                raise ValidationError(self.env._(
                    "Environment Variables: %(names)s also has a secret value: keep one of the two.",
                    names=", ".join(both),
                ))
            try:
                options = parse_lines(deployment.odoo_options, _OPTION_LINE)
            except ValueError as error:
                raise ValidationError(self.env._(
                    "Extra odoo.conf Options: “%(line)s” is not “key = value”.", line=str(error),
                )) from None
            own = sorted(OWN_OPTIONS.intersection(options))
            if own:
                raise ValidationError(self.env._(
                    "Extra odoo.conf Options: %(options)s set by Eyrie itself (see the deployment's other fields).",
                    options=", ".join(own),
                ))

    # ------------------------------------------------------------------
    # Runs
    # ------------------------------------------------------------------

    def _action_run_book(self, action, previous):
        result = super()._action_run_book(action, previous)
        self._check_no_active_run()
        for deployment in self:
            book = deployment.group_id[f"deployment_{action}_book_id"]
            if not book:
                deployment.message_post(body=self.env._(
                    "No book is set for this action on the group %(group)s: nothing was run.",
                    group=deployment.group_id.display_name,
                ))
                continue
            version = deployment.current_version_id
            if not version.cluster_ids:
                raise UserError(self.env._("%(name)s has no cluster to run on.", name=deployment.display_name))
            deployment._check_buildable(version)
            # A Drop supersedes failed runs (the only move they allow): they can no longer be resumed.
            deployment.job_ids.filtered(lambda job: job.state == runs.FAILED)._cancel_run()
            # Runs are written by the engine only: users read them, and act through the buttons.
            # Each applies the version current now, whatever is edited while it runs.
            self.env["eyrie.job"].sudo().create([{
                "deployment_id": deployment.id, "book_id": book.id, "version_id": version.id,
                "previous_state": previous[deployment.id], "cluster_id": cluster.id, "dry_run": cluster.dry_run,
            } for cluster in version.cluster_ids])._start()
        return result

    def _deploy_pushed_version(self):
        """While a run is in progress, a pushed version waits for it; later pushes only make newer
        versions, and the newest is deployed once (see ``_deploy_pending_push``)."""
        if self.state == lifecycle.DEPLOY and self.run_state in runs.ACTIVE:
            self.push_pending = True
            return self.env._("%(name)s: version %(number)s recorded, deployed when the current run ends.",
                              name=self.display_name, number=self.current_version_id.number)
        return super()._deploy_pushed_version()

    def _deploy_pending_push(self):
        """Deploy the version pushed during the runs that just ended, once none is in progress.

        The flag is cleared by an UPDATE even where it is not set: a push committing meanwhile
        (it saw the run in progress and sets the flag) then conflicts with this transaction, and
        one of the two is retried, seeing the other's outcome, so no push is left waiting."""
        rows = self.env.execute_query(SQL(
            """UPDATE eyrie_deployment deployment SET push_pending = false
                 FROM (SELECT id, push_pending FROM eyrie_deployment WHERE id IN %s FOR UPDATE) old
                WHERE deployment.id = old.id RETURNING deployment.id, old.push_pending""",
            tuple(self.ids) or (None,),
        ))
        self.invalidate_recordset(["push_pending"])
        pushed = self.browse(deployment_id for deployment_id, was_pending in rows if was_pending)
        for deployment in pushed.with_user(SUPERUSER_ID):
            if deployment.run_state in runs.ACTIVE:
                deployment.push_pending = True  # another cluster's run goes on: its end deploys
                continue
            deployment.message_post(body=deployment._deploy_pushed_version())

    def _check_no_active_run(self):
        """Refuse a second run while one is queued or running.

        The deployment rows are locked first: two requests starting a run at once serialize here,
        and the later one (retried by Odoo after the serialization failure) sees the first run.
        """
        self.env.cr.execute(SQL(
            "SELECT id FROM eyrie_deployment WHERE id IN %s FOR NO KEY UPDATE", tuple(self.ids),
        ))
        active = self.env["eyrie.job"].search([("deployment_id", "in", self.ids), ("state", "in", tuple(runs.ACTIVE))])
        if active:
            raise UserError(active[0]._in_progress_message())

    def _k8s_spec(self, cluster, version=None):
        """What this deployment is on ``cluster`` at ``version`` (by default the current one), for
        the Kubernetes layer (raises InvalidSpec). Every step of a run builds its objects from this,
        with the run's version: what is edited meanwhile waits for the next run."""
        self.ensure_one()
        version = version or self.current_version_id
        namespace = cluster._namespace_for(self)
        return DeploymentSpec(
            name=self.slug,
            namespace=namespace,
            type=self.type,
            image=version.image or "",
            deployment_id=self.id,
            version=str(version.number),
            replicas=version.replicas,
            host=f"{namespace}.{cluster.ingress_domain}" if cluster.ingress_domain else "",
            ingress_class=cluster.ingress_class or "",
            storage_class=cluster.storage_class or "",
            storage_size=version.storage_size or "1Gi",
            port=version.port or None,
            env=parse_lines(version.env_vars, _ENV_LINE) if self.type == "none" else None,
            **(self._k8s_container(version) if self.type == "none" else {}),
            settings=self._k8s_settings(version),
            source=self._k8s_source(cluster, version),
            database=self._k8s_database(cluster, version),
            db_password=(version.sudo().db_password or "") if self.type == "odoo" else "",
        )

    def _k8s_database(self, cluster, version):
        """The app's user in the cluster (PGO's or PXC's) of its database deployment on ``cluster``,
        or None. The PXC one is reached through HAProxy if its current version runs it."""
        database = version.database_id.sudo()
        if not database:
            return None
        is_pxc = database.type == "pxc"
        limit = operators.PXC_CLUSTER_NAME_MAX if is_pxc else operators.PGO_CLUSTER_NAME_MAX
        return DatabaseLink(
            namespace=cluster._namespace_for(database),
            cluster=operators.short_name(database.slug, limit),
            user=self.slug, database=version.db_name or self.slug, engine=database.type,
            haproxy=(database.current_version_id or database).haproxy_enabled if is_pxc else True,
        )

    def _k8s_container(self, version):
        """What a generic app's container gets besides its plain variables (see ``k8s.spec``)."""
        return {
            "secret_env": parse_lines(version.sudo().env_secrets, _ENV_LINE),
            "command": split_items(version.container_command),
            "args": split_items(version.container_args),
            "volume_path": version.volume_path or "",
        }

    def _k8s_source(self, cluster, version):
        """The code ``version`` runs, fetched at its commit, or None (no repository, or a generic
        app without a path for it). A dry run without a commit shows the branch it would fetch."""
        path = version.source_path if self.type == "none" else ""
        if self.type not in SOURCE_TYPES or not version.repository_id or not (path or self.type == "odoo"):
            return None
        remote = version.repository_id._git_remote()
        return Source(
            url=remote.url, commit=version.commit_ref or version.branch or "", branch=version.branch or "",
            username=remote.username, token=remote.token, ssh_key=remote.ssh_key, known_hosts=remote.known_hosts,
            image=cluster.git_image or DEFAULT_GIT_IMAGE, path=path or "",
        )

    def _check_buildable(self, version):
        """Refuse (before anything is queued: the caller's state change rolls back) a version whose
        objects cannot be built on one of its clusters."""
        error = self._build_error(version)
        if error:
            raise UserError(error)

    @api.depends(
        "slug", "type", "namespace", "current_version_id",
        "database_user_ids.state", "database_user_ids.slug", "database_user_ids.db_name",
        *(f"current_version_id.cluster_ids.{name}"
          for name in ("namespace_prefix", "ingress_domain", "ingress_class", "storage_class", "git_image")),
        *(f"current_version_id.repository_id.{name}"
          for name in ("url", "auth_method", "username", "known_hosts", "token", "ssh_key")),
        *(f"current_version_id.database_id.{name}"
          for name in ("slug", "type", "namespace", "haproxy_enabled", "current_version_id")),
    )
    def _compute_buildable(self):
        for deployment in self:
            deployment.buildable = not deployment._build_error(deployment.current_version_id)

    def _build_error(self, version):
        """Why the objects of ``version`` cannot be built on one of its clusters, naming the field
        to fix; False if they can."""
        for cluster in version.cluster_ids:
            try:
                builders.objects_for(self._k8s_spec(cluster, version))
            except InvalidSpec as error:
                key = error.field.removeprefix("settings.")
                name = SETTING_FIELDS.get(key) or SPEC_FIELDS.get(key)
                if key == "settings" or key.startswith("database."):  # odoo's database: the one choice
                    name = "database_id"
                return self.env._(
                    "%(name)s cannot run on %(cluster)s: fix its field “%(field)s”. %(problem)s",
                    name=self.display_name, cluster=cluster.name,
                    field=self._fields[name].string if name else key, problem=str(error),
                )
        return False

    def _k8s_settings(self, version):
        """The ``settings`` of the Kubernetes layer (see ``k8s.spec``) from the version's typed fields."""
        if self.type == "odoo":
            settings = {"workers": version.workers, "options": parse_lines(version.odoo_options, _OPTION_LINE)}
            if version.db_name:
                settings["db_name"] = version.db_name
            if version.db_host and not version.database_id:  # a database deployment: see _k8s_database
                settings.update(
                    db_host=version.db_host, db_port=version.db_port or 5432, db_user=version.db_user or "",
                    db_password_secret=f"{self.slug}-database",
                )
            return settings
        if self.type == "pgo":
            settings = {
                "postgres_version": int(version.postgres_version or operators.PGO_DEFAULT_POSTGRES_VERSION),
                "instances": version.instances,
                "users": self._database_users(),
            }
            if version.backup_size:
                settings["backup_size"] = version.backup_size
            return settings
        if self.type == "pxc":
            settings = {
                "cr_version": version.pxc_cr_version or operators.PXC_CR_VERSION, "size": version.pxc_size,
                "haproxy": version.haproxy_enabled, "haproxy_size": version.haproxy_size,
                "unsafe": version.pxc_unsafe,
            }
            if version.haproxy_image:
                settings["haproxy_image"] = version.haproxy_image
            users = self._database_users()
            if users:  # none: the builder sends no spec.users, as before any app used it
                settings["users"] = users
            return settings
        return {}

    def _database_users(self):
        """The ``spec.users`` of a database deployment (PGO's or PXC's): one user per deployment
        that uses it, named by its short name, owning its database."""
        apps = self.sudo().database_user_ids.filtered(lambda app: app.state != lifecycle.DROP).sorted("id")
        if self.type == "pxc":
            # The operator reads each user's password Secret, which the app's first run creates.
            apps = apps.filtered(lambda app: app.state != lifecycle.DRAFT)
            cluster = operators.short_name(self.slug, operators.PXC_CLUSTER_NAME_MAX)
            return [builders.pxc.user_entry(cluster, app.slug, app.db_name or app.slug) for app in apps]
        return [{"name": app.slug, "databases": [app.db_name or app.slug]} for app in apps]

    # ------------------------------------------------------------------
    # Available actions: what the runs add
    # ------------------------------------------------------------------

    def _action_labels(self):
        return {
            **super()._action_labels(),
            "resume": (self.env._("Resume"), "action_resume"),
            "retry": (self.env._("Retry"), "action_retry"),
            "cancel": (self.env._("Cancel Run"), "action_cancel"),
        }

    def _latest_jobs(self):
        """{deployment: its latest run on each cluster}, read in one query for the batch."""
        latest = self._latest_runs()
        jobs = self.env["eyrie.job"].sudo().browse(job for pairs in latest.values() for job, _state in pairs)
        return {deployment: jobs.filtered(lambda job, d=deployment: job.deployment_id == d) for deployment in self}

    def _available_actions(self):
        """A run in progress blocks every action but Cancel; a failed run blocks the lifecycle (not
        Drop, how users clean up) until it is resumed, retried or cancelled."""
        result = super()._available_actions()
        latest = self._latest_jobs()
        for deployment, reasons in result.items():
            active = latest[deployment].filtered(lambda job: job.state in runs.ACTIVE)
            failed = latest[deployment].filtered(lambda job: job.state == runs.FAILED)
            blocking = False
            if active:
                blocking = active[0]._in_progress_message()
            elif failed:
                blocking = self.env._(
                    "%(run)s failed at the step “%(step)s”: resume it (from that step), retry it (from its "
                    "first step) or cancel it before anything else.",
                    run=failed[0].display_name, step=failed[0].failed_step_id.name or "?",
                )
            reasons["blocked"] = blocking
            # Only a database (PGO, PXC) serves apps (see _check_database): no need to look for others'.
            users = deployment.type not in SOURCE_TYPES and deployment.sudo().database_user_ids.filtered(
                lambda app: app.state not in (lifecycle.DRAFT, lifecycle.DROP))
            if users and not reasons["drop"]:
                reasons["drop"] = self.env._(
                    "%(name)s is the database of %(users)s: drop them (or give them another database) first.",
                    name=deployment.display_name, users=", ".join(users.mapped("name")),
                )
            # A move whose book cannot build its objects is refused before it starts (see _build_error).
            build_error = None
            for key, target in lifecycle.ACTION_TARGETS.items():
                if reasons[key] or not deployment.group_id[f"deployment_{lifecycle.ACTIONS[target]}_book_id"]:
                    continue
                if build_error is None:
                    # Only an unbuildable deployment is built again, for the reason (the move itself
                    # checks anew: a flag that missed a change costs a refusal, not a wrong run).
                    build_error = not deployment.buildable and deployment._build_error(deployment.current_version_id)
                reasons[key] = build_error
            for key in lifecycle.ACTION_TARGETS:
                if not reasons[key] and (active or (failed and key != "drop")):
                    reasons[key] = blocking
            no_failed = self.env._("%(name)s has no failed run.", name=deployment.display_name)
            reasons["resume"] = reasons["retry"] = blocking if active else (not failed and no_failed)
            reasons["cancel"] = not (active or failed) and self.env._(
                "%(name)s has no run to cancel.", name=deployment.display_name,
            )
        return result

    # ------------------------------------------------------------------
    # Buttons: the runs
    # ------------------------------------------------------------------

    def _check_run_action(self, key):
        for deployment in self:
            reason = deployment._available_actions()[deployment][key]
            if reason:
                raise UserError(reason)

    def _latest_failed_jobs(self):
        jobs = self.env["eyrie.job"].union(*self._latest_jobs().values())
        return jobs.filtered(lambda job: job.state == runs.FAILED).with_env(self.env)

    def action_resume(self):
        """Run the failed runs of the latest move again, each from its failed step."""
        self._check_run_action("resume")
        return self._latest_failed_jobs().action_resume()

    def action_retry(self):
        """Run the failed runs of the latest move again from their first step, with the same version."""
        self._check_run_action("retry")
        return self._latest_failed_jobs().action_retry()

    def action_cancel(self):
        """Cancel the failed or running runs of the latest move (see ``eyrie.job.action_cancel``)."""
        self._check_run_action("cancel")
        jobs = self.env["eyrie.job"].union(*self._latest_jobs().values())
        return jobs.filtered(lambda job: job.state not in runs.FINAL).with_env(self.env).action_cancel()

    def action_open_running_job(self):
        """The badge of a card: the steps of the current (or latest) run."""
        self.ensure_one()
        jobs = self.job_ids.filtered(lambda job: job.state in runs.ACTIVE) or self.job_ids[:1]
        action = self.env["ir.actions.act_window"]._for_xml_id("eyrie_books.eyrie_job_action")
        if len(jobs) == 1:
            action.update(res_id=jobs.id, view_mode="form", views=[(False, "form")])
        else:
            action["domain"] = [("id", "in", jobs.ids)]
        return action

    # ------------------------------------------------------------------
    # Preview before apply
    # ------------------------------------------------------------------

    def preview_action(self, action):
        """What ``action`` ("deploy", "redeploy", "drop"…) would do on each cluster of the current
        version, reading the clusters and sending nothing: per cluster its ``objects`` (``kind``,
        ``namespace``, ``name``, ``action`` create/change/unchanged/delete, the merge ``patch`` a
        change sends and its ``changes`` lines ``path``/``live``/``desired``; a Secret's values show
        as "(hidden)", a value the live object lacks is left out), their ``counts``, or an ``error``.
        Needs the right to change the deployment (the cluster's credentials read for it)."""
        self.ensure_one()
        self.check_access("write")
        return self.env["eyrie.deployment.preview"]._preview(self, action)

    # ------------------------------------------------------------------
    # Live health and sync (see eyrie.deployment.status and k8s.health)
    # ------------------------------------------------------------------

    @api.depends("status_ids.health", "status_ids.sync")
    def _compute_health(self):
        for deployment in self:
            healths = set(deployment.status_ids.mapped("health"))
            syncs = set(deployment.status_ids.mapped("sync"))
            deployment.health = next((state for state in HEALTH_PRIORITY if state in healths), False)
            deployment.sync_status = next((state for state in SYNC_PRIORITY if state in syncs), False)

    @api.depends("status_ids.summary", "status_ids.sync_reason")
    def _compute_health_summary(self):
        for deployment in self:
            lines = []
            for status in deployment.status_ids:
                lines.append(status.summary)
                if status.sync_reason:
                    lines.append(self.env._("%(cluster)s: differs: %(reason)s",
                                            cluster=status.cluster_id.name, reason=status.sync_reason))
            deployment.health_summary = "\n".join(lines) or False

    def action_refresh_health(self):
        """Look at the deployments on their clusters now (a few list requests per cluster)."""
        self.check_access("read")
        # Clusters the deployments left, or that turned to dry runs, have nothing to say any more.
        self.sudo().status_ids.filtered(
            lambda status: status.cluster_id.dry_run or status.cluster_id not in status.deployment_id.cluster_ids
        ).unlink()
        clusters = self.sudo().cluster_ids.filtered(lambda cluster: not cluster.dry_run)
        if not clusters:
            raise UserError(self.env._("These deployments run on dry-run clusters only: there is nothing to look at."))
        for cluster in clusters:
            cluster._refresh_health(self.sudo().filtered(lambda deployment, c=cluster: c in deployment.cluster_ids))
        return True

    def _report_health(self, status, fell, drifted):
        """Tell the chatter when the deployment falls into a bad health or drifts (not on every refresh)."""
        labels = dict(status._fields["health"]._description_selection(self.env))
        if fell:
            self.message_post(body=self.env._(
                "%(cluster)s: the deployment is %(health)s: %(reason)s.",
                cluster=status.cluster_id.name, health=labels[status.health].lower(), reason=status.health_reason,
            ))
        if drifted:
            self.message_post(body=self.env._(
                "%(cluster)s: the live objects differ from the current version (%(reason)s). Re-deploy applies it "
                "again.",
                cluster=status.cluster_id.name, reason=status.sync_reason,
            ))

    # ------------------------------------------------------------------
    # Rollback (see eyrie.deployment.rollback)
    # ------------------------------------------------------------------

    def action_rollback(self, version_id, reason):
        """Record a new version whose values are those of the version ``version_id`` of this
        deployment (its stored secrets too, unseen), its "what changed" saying "Rollback to vN:
        ``reason``", and re-deploy it when the deployment is deployed (otherwise it waits, pending,
        for the next Deploy). Refused, with the reason, while a run is in progress or has failed, or
        when that version cannot run anymore. Returns the id of the new version."""
        self.ensure_one()
        return self.env["eyrie.deployment.rollback"]._rollback(self, version_id, reason).id

    def _rollback_refusals(self, versions, blocked=None):
        """{version: why this deployment cannot roll back to it, or False}; ``blocked``: why its
        lifecycle waits (see ``_available_actions``), if the caller knows it already."""
        return self.env["eyrie.deployment.rollback"]._refusals(self, versions, blocked)

    def _rollback_blocked(self, blocked=None):
        """Why this deployment cannot roll back to any version now, or False: what a page of its
        versions knows without looking at each (see ``_rollback_refusals``)."""
        return self.env["eyrie.deployment.rollback"]._blocked(self, blocked)

    # ------------------------------------------------------------------
    # Pod logs (see eyrie.pod.log and k8s.logs), for Eyrie users
    # ------------------------------------------------------------------

    def get_pods(self):
        """The pods of this deployment on each of its clusters: a list of ``{"cluster_id",
        "cluster", "pods", "error"}`` where ``pods`` lists ``{"name", "phase", "containers"}``
        and each container ``{"name", "init", "ready", "restarts", "state", "previous"}``
        (``previous``: a crashed instance's log can be read). A cluster that cannot be read gets
        its ``error`` and no pods; the others are listed all the same."""
        return self.env["eyrie.pod.log"]._log_pods(self)

    def get_pod_log(self, cluster_id, pod, container, lines=100, previous=False):
        """The last ``lines`` lines that ``container`` of ``pod`` printed on the cluster
        ``cluster_id`` (of its previous instance, after a crash, with ``previous``)."""
        return self.env["eyrie.pod.log"]._log_text(self, cluster_id, pod, container, lines, previous)

    def _pod_log_follow(self, cluster_id, pod, container, lines=100):
        """A generator of the lines of ``container`` as it prints them, bounded in time and lines.
        Everything it needs from the database is read here: iterating it after the request's
        cursor is closed (a streamed response) is safe."""
        return self.env["eyrie.pod.log"]._log_follow(self, cluster_id, pod, container, lines)
