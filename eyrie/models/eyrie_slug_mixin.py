from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..naming import DNS_LABEL_MAX, check_dns_label, slugify


class EyrieSlugMixin(models.AbstractModel):
    """A Kubernetes-safe short name, made from the record's name once and then kept stable."""

    _name = "eyrie.slug.mixin"
    _description = "Kubernetes-safe short name"
    # Models whose slug names Kubernetes objects with suffixes, or Services, narrow these.
    _slug_max_length = DNS_LABEL_MAX
    _slug_lead = None  # a letter: slugs must then start with a letter, and get "<lead>-" if needed

    slug = fields.Char(
        compute="_compute_slug", store=True, readonly=False, copy=False,
        help="Short name used in Kubernetes names and URLs: lowercase letters, digits and '-'.",
    )

    @api.depends("name")
    def _compute_slug(self):
        # Only fill an empty slug: renaming a record must not move what runs on a cluster.
        for record in self:
            if not record.slug:
                record.slug = slugify(record.name, self._slug_max_length, self._slug_lead)

    @api.constrains("name", "slug")
    def _check_slug(self):
        for record in self:
            reason = check_dns_label(record.slug, self._slug_max_length, letter_first=bool(self._slug_lead))
            if reason:
                raise ValidationError(self.env._(
                    "“%(slug)s” (from “%(name)s”) cannot be used as a Kubernetes name: %(reason)s.",
                    slug=record.slug or "", name=record.display_name, reason=reason,
                ))
