"""Live notifications of book runs, sent over a connection kept open.

Odoo's bus stores a transaction's notifications, then, once it is committed, wakes the servers'
websocket dispatchers with a ``NOTIFY imbus`` on the ``postgres`` database, over a new connection
each time (``sql_db`` keeps none to that database in its pool): 5–8 ms of connecting per commit,
and a book step commits twice with a notification (running, then done with the next step queued).
Runs notify the same way — the same rows in ``bus_bus``, the same ``NOTIFY`` payload, so the
dispatchers and web clients see no difference — but over one connection per process, kept open.
"""

import logging
import os
import threading

import psycopg2
import psycopg2.sql

from odoo import sql_db
from odoo.tools import SQL
from odoo.tools.misc import OrderedSet

from odoo.addons.bus.models.bus import ODOO_NOTIFY_FUNCTION, channel_with_db, get_notify_payloads, json_dump

_logger = logging.getLogger(__name__)


class Notifier:
    """``NOTIFY imbus`` over one connection to ``postgres`` per process, opened again after a
    fork or a lost connection."""

    def __init__(self):
        self._lock = threading.Lock()
        self._connection = None
        self._pid = None

    def notify(self, channels):
        """Wake the dispatchers of ``channels`` (after the commit of their notifications). A failure
        is logged, not raised: the run goes on, and its pages catch up at its next change."""
        payloads = get_notify_payloads(list(channels))
        query = psycopg2.sql.SQL("SELECT {}('imbus', %s)").format(psycopg2.sql.Identifier(ODOO_NOTIFY_FUNCTION))
        with self._lock:
            for retry in (False, True):
                try:
                    with self._connect().cursor() as cr:
                        for payload in payloads:
                            cr.execute(query, [payload])
                    return
                except psycopg2.Error as error:
                    self._close()  # the server restarted or dropped it: connect again, once
                    if retry:
                        _logger.warning("Live run notification not sent: %s", error)

    def _connect(self):
        if self._connection is None or self._pid != os.getpid() or self._connection.closed:
            _dbname, info = sql_db.connection_info_for("postgres")
            self._connection = psycopg2.connect(**info)
            self._connection.autocommit = True
            self._pid = os.getpid()
        return self._connection

    def _close(self):
        if self._connection is not None and self._pid == os.getpid():
            self._connection.close()  # not a parent's connection: closing it would end the parent's
        self._connection = None


NOTIFIER = Notifier()


def notify_deployments(env, kind, payload, deployments):
    """Send ``{"type": kind, "payload": payload}`` to the web clients showing ``deployments``: the
    backend of Eyrie users, and the pages of each deployment (``eyrie.deployment/<id>``, a channel a
    client gets only where it may read the deployment).

    As the bus's ``_sendone`` would, but woken over a kept connection; a transaction's
    notifications wake the dispatchers once, after its commit."""
    message = json_dump({"type": kind, "payload": payload})
    # The group by its id: env.ref would also check that it exists, a query on every step.
    users = env["res.groups"].browse(env["ir.model.data"]._xmlid_to_res_id("eyrie.group_eyrie_user"))
    dbname = env.cr.dbname
    channels = [channel_with_db(dbname, target) for target in (
        users, *(f"eyrie.deployment/{deployment.id}" for deployment in deployments))]
    # The rows the bus's create would write, inserted in one statement: a step notifies twice, and
    # the ORM's create costs about as much again as the insert itself (bench/book_engine.py).
    env.cr.execute(SQL(
        "INSERT INTO bus_bus (channel, message, create_uid, write_uid, create_date, write_date) VALUES %s",
        SQL(", ").join(
            SQL("(%s, %s, %s, %s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')",
                json_dump(channel), message, env.uid, env.uid)
            for channel in channels
        ),
    ))
    postcommit = env.cr.postcommit
    if "eyrie.run.channels" not in postcommit.data:
        postcommit.data["eyrie.run.channels"] = OrderedSet()
        postcommit.add(lambda: NOTIFIER.notify(postcommit.data.pop("eyrie.run.channels")))
    postcommit.data["eyrie.run.channels"].update(channels)
