"""The daily retention run: every registered rule, each in its own transaction."""

import logging

from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from .privacy import registry

logger = logging.getLogger(__name__)


def apply_all(now=None) -> dict[str, int]:
    now = now or timezone.now()
    results: dict[str, int] = {}
    for entry in registry.entries():
        if entry.apply_retention is None:
            continue
        with scopes_disabled(), transaction.atomic():
            results[entry.key] = entry.apply_retention(now)
        if results[entry.key]:
            logger.info("retention %s: %d rows", entry.key, results[entry.key])
    return results
