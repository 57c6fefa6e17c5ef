"""Live notifications of runs: the bus rows web clients read, on the Eyrie users' channel and the
deployment's, and the ``NOTIFY imbus`` that wakes the websocket dispatchers, sent over a kept
connection that comes back after it is lost."""

import json
import select

import psycopg2

from odoo import sql_db

from odoo.addons.eyrie_books.notifier import NOTIFIER

from .common import BooksCase


class TestRunNotifications(BooksCase):
    def test_a_run_change_reaches_its_channels(self):
        deployment = self.make_deployment(name="notified", kind="none")
        last = self.env["bus.bus"].sudo().search([], order="id desc", limit=1).id or 0
        deployment.action_initialize()
        rows = self.env["bus.bus"].sudo().search([("id", ">", last)])
        users = self.env.ref("eyrie.group_eyrie_user")
        dbname = self.env.cr.dbname
        self.assertEqual(
            {tuple(json.loads(row.channel)) for row in rows},
            {(dbname, "res.groups", users.id), (dbname, f"eyrie.deployment/{deployment.id}")},
        )
        for row in rows:
            self.assertEqual(json.loads(row.message), {
                "type": "eyrie.run", "payload": {"deployment_ids": deployment.ids, "job_ids": deployment.job_ids.ids},
            })

    def test_dispatchers_are_woken_over_a_kept_connection(self):
        _dbname, info = sql_db.connection_info_for("postgres")
        listener = psycopg2.connect(**info)
        self.addCleanup(listener.close)
        listener.autocommit = True
        listener.cursor().execute("LISTEN imbus")
        channel = [self.env.cr.dbname, "eyrie.deployment/0"]

        def woken():
            for _ in range(50):
                listener.poll()
                if listener.notifies:
                    return [json.loads(note.payload) for note in listener.notifies]
                select.select([listener], [], [], 0.2)
            return []

        NOTIFIER.notify([tuple(channel)])
        self.assertIn([channel], woken())
        kept = NOTIFIER._connection
        listener.notifies.clear()
        NOTIFIER.notify([tuple(channel)])
        self.assertIn([channel], woken())
        self.assertIs(NOTIFIER._connection, kept, "the connection is kept between notifications")
        # PostgreSQL drops it (a restart, an idle timeout): the next notification connects again.
        listener.cursor().execute("SELECT pg_terminate_backend(%s)", [kept.get_backend_pid()])
        listener.notifies.clear()
        NOTIFIER.notify([tuple(channel)])
        self.assertIn([channel], woken())
        self.assertFalse(NOTIFIER._connection.closed)
