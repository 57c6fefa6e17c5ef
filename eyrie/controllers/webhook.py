"""The webhook endpoint of each repository: ``POST /_eyrie/hooks/<repository id>``.

Git services call it on every push (GitHub, GitLab, Gitea and Forgejo; how each proves the call is
in ``eyrie/webhooks.py``). It answers 200 with what the push did, or a refusal that changed
nothing: 404 for an unknown repository, 413 for a body over ``MAX_BODY`` (refused before it is
read), 401/403 for a missing or wrong proof, 400 for a malformed push, 409 for a replayed delivery,
429 past the repository's rate. Refusals are logged without the payload.
"""

import logging

from odoo import SUPERUSER_ID
from odoo.http import Controller, request, route

from ..webhooks import MAX_BODY

_logger = logging.getLogger(__name__)


class EyrieWebhook(Controller):
    @route("/_eyrie/hooks/<int:repository_id>", type="http", auth="public", methods=["POST"], csrf=False,
           save_session=False)
    def receive(self, repository_id):
        # As OdooBot: the versions and runs a push makes are the system's, not the public user's.
        repository = request.env["eyrie.repository"].with_user(SUPERUSER_ID).browse(repository_id).exists()
        if not repository.active:
            return self._answer(404, "no such repository")
        length = request.httprequest.content_length
        if length is None or length > MAX_BODY:
            _logger.warning("Webhook delivery for repository %s refused: body of %s bytes", repository_id, length)
            return self._answer(413 if length else 411, f"send the body with its length, at most {MAX_BODY} bytes")
        # Cached: a delivery that meets a concurrent run ending is retried by Odoo after the
        # serialization failure, and must read the same body again.
        body = request.httprequest.get_data()
        status, message = repository._receive_delivery(dict(request.httprequest.headers), body)
        return self._answer(status, message)

    def _answer(self, status, message):
        return request.make_response(f"{message}\n", [("Content-Type", "text/plain; charset=utf-8")], status=status)
