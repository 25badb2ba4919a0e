"""Gifts follow their money: a payment keyed `intent:<uuid>` or `recurring:<uuid>:<month>`
that succeeds becomes a gift; one that fails leaves none (DESIGN.md: payments knows nothing
of what it pays for, and tells through payments.signals.payment_status_changed)."""

import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from essaim.payments.online import subscription_changed
from essaim.payments.signals import payment_status_changed

from . import appeals, donations, recurring
from .models import Gift

logger = logging.getLogger(__name__)


@receiver(payment_status_changed, dispatch_uid="fundraising.gifts_follow_their_money")
def gifts_follow_their_money(sender, association, payment, previous, acting_user=None, **kwargs):
    key = payment.idempotency_key or ""
    if key.startswith(donations.INTENT_PREFIX):
        react = donations.on_intent_payment
    elif key.startswith(recurring.PREFIX):
        react = recurring.on_recurring_payment
    else:
        return
    try:
        # A savepoint: if the gift cannot be recorded, the payment still is (the money came
        # in; the team records the gift by hand from the log), and the caller's transaction
        # stays usable.
        with transaction.atomic():
            react(association, payment)
    except (ValidationError, IntegrityError):
        logger.exception("payment %s (%s): the gift it pays could not be recorded", payment.pk, key)


@receiver(subscription_changed, dispatch_uid="fundraising.card_gifts_follow_their_subscription")
def card_gifts_follow_their_subscription(sender, association, provider, event, **kwargs):
    """A monthly gift by card follows its Stripe subscription (linked, paused, cancelled)."""
    try:
        with transaction.atomic():
            return recurring.on_subscription_event(association, provider, event)
    except (ValidationError, IntegrityError):
        logger.exception("subscription %s: the monthly gift could not follow it", provider)
        return False


@receiver(post_save, sender=Gift, dispatch_uid="fundraising.gift_answers_appeals")
def gift_answers_appeals(sender, instance: Gift, created: bool, **kwargs):
    """A new gift answers its donor's open appeals (people.solicitations)."""
    appeals.gift_answers_appeals(sender, instance, created, **kwargs)
