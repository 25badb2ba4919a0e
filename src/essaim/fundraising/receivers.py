"""Gifts follow their money: a payment keyed `intent:<uuid>` or `recurring:<uuid>:<month>`
that succeeds becomes a gift; one that fails leaves none (DESIGN.md: payments knows nothing
of what it pays for, and tells through payments.signals.payment_status_changed)."""

from django.dispatch import receiver

from essaim.payments.signals import payment_status_changed

from . import donations, recurring


@receiver(payment_status_changed, dispatch_uid="fundraising.gifts_follow_their_money")
def gifts_follow_their_money(sender, association, payment, previous, acting_user=None, **kwargs):
    key = payment.idempotency_key or ""
    if key.startswith(donations.INTENT_PREFIX):
        donations.on_intent_payment(association, payment)
    elif key.startswith(recurring.PREFIX):
        recurring.on_recurring_payment(association, payment)
