from odoo import api, models
from odoo.fields import Domain

ACTIONS = ("init", "deploy", "pause", "drop")


class EyrieDeploymentGroup(models.Model):
    _inherit = "eyrie.deployment.group"

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            defaults = self._default_books(vals.get("type") or self.default_get(["type"])["type"])
            for action, book in defaults.items():
                vals.setdefault(f"deployment_{action}_book_id", book.id)
        return super().create(vals_list)

    @api.onchange("type")
    def _onchange_type_books(self):
        for action, book in self._default_books(self.type).items():
            self[f"deployment_{action}_book_id"] = book

    @api.model
    def _set_missing_books(self):
        """Groups made before the books existed (the core's demo data, say) get the defaults too."""
        missing = Domain.OR(Domain(f"deployment_{action}_book_id", "=", False) for action in ACTIONS)
        for group in self.search(missing):
            for action, book in self._default_books(group.type).items():
                if not group[f"deployment_{action}_book_id"]:
                    group[f"deployment_{action}_book_id"] = book

    def _default_books(self, kind):
        """The book shipped for each action of deployments of type ``kind``."""
        books = self.env["eyrie.book"].search([("type", "=", kind), ("is_default", "=", True)], order="id")
        by_action = {}
        for book in books:
            by_action.setdefault(book.action, book)
        return {action: by_action.get(action, books.browse()) for action in ACTIONS}
