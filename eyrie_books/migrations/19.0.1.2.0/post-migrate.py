"""Database wiring, and the JSON settings of before typed fields.

* The default Odoo and generic books add the app's user to its database deployment's cluster and
  copy its credentials (Initialize, Deploy), and remove them (Drop); the generic Deploy book applies
  the app's variables first (``ensure_secrets``): added to those books where they are
  still there and lack the steps (books are the users' data, kept on upgrade; a book they made
  themselves is left as it is).
* A database upgraded from before typed configuration still has the old ``settings`` column (Odoo
  keeps the columns of removed fields): its values move into the typed fields of each deployment
  and version, so every deployment runs as it ran. What has no typed field is said in the
  deployment's chatter (an external database's password was in a Secret Eyrie never read: it is
  typed again in Database Password).
"""

import json
import logging

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL

from odoo.addons.eyrie_books.k8s import operators

_logger = logging.getLogger(__name__)

BOOK_STEPS = {
    "eyrie_books.book_odoo_init": ((12, "add_database_user"), (14, "copy_database_credentials")),
    # update_modules too: a database installed between its step and its version (19.0.1.1.0) lacks it.
    "eyrie_books.book_odoo_deploy": (
        (4, "add_database_user"), (6, "copy_database_credentials"), (15, "update_modules"),
    ),
    "eyrie_books.book_odoo_drop": ((5, "remove_database_user"),),
    # Generic apps may use a database too, and their Deploy applies their variables first.
    "eyrie_books.book_none_init": ((12, "add_database_user"), (14, "copy_database_credentials")),
    "eyrie_books.book_none_deploy": (
        (2, "add_database_user"), (3, "copy_database_credentials"), (5, "ensure_secrets"),
    ),
    "eyrie_books.book_none_drop": ((5, "remove_database_user"),),
}
# settings key -> (typed column, how its value is checked or converted: None if it is not usable)
SETTINGS = {
    "db_host": ("db_host", lambda value: value if isinstance(value, str) else None),
    "db_port": ("db_port", lambda value: value if _whole(value) else None),
    "db_user": ("db_user", lambda value: value if isinstance(value, str) else None),
    "db_name": ("db_name", lambda value: value if isinstance(value, str) else None),
    "workers": ("workers", lambda value: value if _whole(value) else None),
    "options": ("odoo_options", lambda value: _option_lines(value)),
    "postgres_version": ("postgres_version", lambda value: str(value) if value in operators.PGO_POSTGRES_VERSIONS
                         else None),
    "instances": ("instances", lambda value: value if _whole(value) else None),
    "backup_size": ("backup_size", lambda value: value if isinstance(value, str) else None),
    "cr_version": ("pxc_cr_version", lambda value: value if isinstance(value, str) else None),
    "size": ("pxc_size", lambda value: value if _whole(value) else None),
    "haproxy": ("haproxy_enabled", lambda value: value if isinstance(value, bool) else None),
    "haproxy_size": ("haproxy_size", lambda value: value if _whole(value) else None),
    "haproxy_image": ("haproxy_image", lambda value: value if isinstance(value, str) else None),
    "unsafe": ("pxc_unsafe", lambda value: value if isinstance(value, bool) else None),
}
# Keys that the typed fields replace by what Eyrie now does itself.
SUPERSEDED = {"users", "db_secret"}


def _whole(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _option_lines(value):
    if isinstance(value, dict) and all(isinstance(item, str) for item in value.values()):
        return "\n".join(f"{key} = {item}" for key, item in value.items())
    return None


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    for xmlid, steps in BOOK_STEPS.items():
        book = env.ref(xmlid, raise_if_not_found=False)
        if book:
            kinds = book.step_ids.mapped("kind")
            book.step_ids = [(0, 0, {"sequence": sequence, "kind": kind}) for sequence, kind in steps
                             if kind not in kinds]
    cr.execute("""SELECT table_name FROM information_schema.columns
                   WHERE table_name IN ('eyrie_deployment', 'eyrie_deployment_version') AND column_name = 'settings'""")
    tables = {table for (table,) in cr.fetchall()}
    if "eyrie_deployment" in tables:
        _move_settings(env, "eyrie_deployment", "id")
    if "eyrie_deployment_version" in tables:
        _move_settings(env, "eyrie_deployment_version", "deployment_id")


def _move_settings(env, table, deployment_column):
    """Write each row's JSON settings into its typed columns; note in the chatter of the
    deployment (once, from its own row) what could not be carried over."""
    rows = env.execute_query(SQL(
        "SELECT id, %s, settings FROM %s WHERE settings IS NOT NULL AND settings NOT IN ('', '{}')",
        SQL.identifier(deployment_column), SQL.identifier(table),
    ))
    for row_id, deployment_id, text in rows:
        try:
            settings = json.loads(text)
        except ValueError:
            settings = None
        deployment = env["eyrie.deployment"].browse(deployment_id).exists()
        if not isinstance(settings, dict) or not deployment:
            continue
        values, left, moved = {}, [], []
        for key, value in settings.items():
            column, convert = SETTINGS.get(key, (None, None))
            converted = convert(value) if convert else None
            if converted is not None:
                values[column] = converted
            elif key == "db_secret" and (found := _database_of(deployment, value))[0]:
                database, user = found
                values["database_id"] = database.id
                if not settings.get("db_name"):  # the database the old user's Secret named
                    values["db_name"] = _old_database(env, database, user)
                if user != deployment.slug:
                    moved.append((database.name, user))
            elif key not in SUPERSEDED:
                left.append(key)
        values = {column: value for column, value in values.items() if value is not None}
        if values:
            env.execute_query(SQL(
                "UPDATE %s SET %s WHERE id = %s", SQL.identifier(table),
                SQL(", ").join(SQL("%s = %s", SQL.identifier(column), value) for column, value in values.items()),
                row_id,
            ))
        for database_name, old_user in moved if table == "eyrie_deployment" else ():
            deployment.message_post(body=env._(
                "Upgrade: its database user on %(database)s is now %(user)s (it was %(old)s): the tables that %(old)s "
                "owns need REASSIGN OWNED BY %(old)s TO %(user)s once the new user exists.",
                database=database_name, user=deployment.slug, old=old_user,
            ))
        if table == "eyrie_deployment" and left:
            deployment.message_post(body=env._(
                "Upgrade: these settings have no field of their own and were not carried over: %(keys)s. "
                "An external database's password is typed again in Database Password.",
                keys=", ".join(sorted(left)),
            ))
        _logger.info("%s %s: settings moved into %s", table, row_id, ", ".join(sorted(values)) or "nothing")
    env.invalidate_all()


def _old_database(env, database, user):
    """The first database the old JSON settings of ``database`` listed for ``user``, or None."""
    [(text,)] = env.execute_query(SQL("SELECT settings FROM eyrie_deployment WHERE id = %s", database.id))
    try:
        users = json.loads(text or "{}").get("users") or []
    except (ValueError, AttributeError):
        return None
    for item in users if isinstance(users, list) else ():
        if isinstance(item, dict) and item.get("name") == user and isinstance(item.get("databases"), list):
            return next((name for name in item["databases"] if isinstance(name, str)), None)
    return None


def _database_of(deployment, secret):
    """(PGO deployment of the project, user) whose operator named its user Secret ``secret``."""
    cluster, _sep, user = secret.partition("-pguser-") if isinstance(secret, str) else ("", "", "")
    databases = deployment.env["eyrie.deployment"].search([
        ("project_id", "=", deployment.project_id.id), ("type", "=", "pgo"),
    ])
    database = databases.filtered(
        lambda record: operators.short_name(record.slug, operators.PGO_CLUSTER_NAME_MAX) == cluster)[:1]
    return database, user
