"""Background jobs of payments."""

import datetime as dt

from django.utils import timezone
from django_scopes import scopes_disabled
from django_tasks import task

from essaim.core import scheduler

# Notifications are kept for the treasurer to review a financial year and its closing; a
# service retries one for 3 days at most, so their ids are not needed longer for that.
DELIVERY_RETENTION_DAYS = 400


@task()
def webhook_deliveries_purge() -> int:
    """Delete the records of notifications received more than DELIVERY_RETENTION_DAYS ago."""
    from .models import WebhookDelivery

    cutoff = timezone.now() - dt.timedelta(days=DELIVERY_RETENTION_DAYS)
    with scopes_disabled():
        deleted, _rows = WebhookDelivery.objects.filter(last_received_at__lt=cutoff).delete()
    return deleted


scheduler.register("payments_webhook_deliveries_purge", webhook_deliveries_purge, minutes=24 * 60)


@task()
def sepa_mandates_lapse() -> int:
    """Recurring SEPA mandates unused for 36 months become lapsed (SEPA rulebook)."""
    from .mandates import mandates_lapse

    return mandates_lapse()


scheduler.register("payments_sepa_mandates_lapse", sepa_mandates_lapse, minutes=24 * 60)
