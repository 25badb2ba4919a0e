"""Audiences (saved segments over Persons), mailings and their deliveries, newsletter lists,
the association's public page and its news posts."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from essaim.core.models import Association, BaseModel

# Audiences


class Audience(BaseModel):
    """A saved segment over the association's Persons: criteria registered by the domain
    apps (people.segments), combined with AND, with excludes. Holds no personal data: the
    persons are computed live (communication.audiences.audience_persons)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=255, blank=True)
    # {"version": 1, "include": [{"criterion": key, "params": {...}}], "exclude": [...]}
    definition = models.JSONField(_("criteria"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("audience")
        verbose_name_plural = _("audiences")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["association", "name"], name="audience_unique_name")
        ]

    def __str__(self) -> str:
        return self.name
