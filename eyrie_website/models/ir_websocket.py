from odoo import models
from odoo.exceptions import AccessError

# The bus channel on which eyrie_books announces the changes of a deployment's runs.
DEPLOYMENT_CHANNEL = "eyrie.deployment/"
# PostgreSQL's integer ids stop here; a longer number names nothing.
MAX_ID = 2**31 - 1


class IrWebsocket(models.AbstractModel):
    _inherit = "ir.websocket"

    def _build_bus_channel_list(self, channels):
        """Keep a client's ``eyrie.deployment/<id>`` channels only where its user may read that
        deployment (the access rights and record rules the portal pages obey); drop the others."""
        channels = [
            channel for channel in channels
            if not (isinstance(channel, str) and channel.startswith(DEPLOYMENT_CHANNEL))
            or self._eyrie_may_follow(channel.removeprefix(DEPLOYMENT_CHANNEL))
        ]
        return super()._build_bus_channel_list(channels)

    def _eyrie_may_follow(self, deployment_id):
        if not (deployment_id.isascii() and deployment_id.isdigit() and 0 < int(deployment_id) <= MAX_ID):
            return False
        deployment = self.env["eyrie.deployment"].with_user(self.env.user).browse(int(deployment_id)).exists()
        try:
            deployment.check_access("read")
        except AccessError:
            return False
        return bool(deployment)
