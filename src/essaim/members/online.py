"""Dues paid online, by card, through the association's payment service (Stripe, HelloAsso).

The member follows a signed link (`tokens.pay_token`, shown after joining, in the e-mails,
the renewal page and the member space) to a page with one button: the checkout is opened
with the key `dues:<membership uuid>`. Nothing is recorded until the service notifies the
payment (payments.online); when that Payment succeeds, `dues_paid_online` records the dues
payment of the membership and its household, linked to it. A payment that arrives when the
dues were paid meanwhile (a cheque) stays in the ledger, unlinked, and the team is told in
the activity log.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django_scopes import scope

from essaim.core.audit import audit_log
from essaim.payments import online
from essaim.payments import selectors as payment_selectors
from essaim.payments.models import Payment
from essaim.payments.providers.base import Checkout

from . import services
from .models import DuesPayment, Membership
from .tokens import pay_token

KEY_PREFIX = "dues:"


def dues_key(membership: Membership) -> str:
    return f"{KEY_PREFIX}{membership.uuid}"


def online_provider(association) -> str:
    """The payment service members pay with ("" if none is set up)."""
    offered = payment_selectors.providers_offered(association)
    return offered[0] if offered else ""


def amount_to_pay(membership: Membership) -> int:
    """What the checkout asks: the membership's dues and its household's, if unpaid."""
    group = services._with_household([membership])
    return sum(
        m.amount_due_cents
        for m in group
        if m.paid_on is None and not m.resigned_at and not m.excluded_at
    )


def payable(membership: Membership) -> bool:
    return (
        membership.paid_on is None
        and not membership.resigned_at
        and not membership.excluded_at
        and amount_to_pay(membership) > 0
    )


def pay_path(membership: Membership | None) -> str:
    """The online payment page of an unpaid membership, if its association takes payments
    online ("" otherwise)."""
    if membership is None or not payable(membership):
        return ""
    if not online_provider(membership.association):
        return ""
    return reverse("members_public:pay", kwargs={"token": pay_token(membership)})


def pay_link(membership: Membership | None) -> str:
    """`pay_path` as a full address, for e-mails."""
    path = pay_path(membership)
    return f"{settings.ESSAIM_BASE_URL}{path}" if path else ""


def dues_checkout(*, membership: Membership, return_url: str, cancel_url: str) -> Checkout:
    """Open the checkout for `membership`'s dues; ValidationError if there is nothing to pay
    or no payment service."""
    association = membership.association
    if not payable(membership):
        raise ValidationError(_("There is nothing left to pay for this membership."))
    provider = online_provider(association)
    if not provider:
        raise ValidationError(_("This association does not take payments online."))
    mtype = membership.membership_type
    return online.checkout_start(
        association=association,
        acting_user=None,
        provider=provider,
        amount_cents=amount_to_pay(membership),
        description=_("Membership %(type)s, %(period)s")
        % {"type": mtype.name, "period": membership.period.label()},
        return_url=return_url,
        cancel_url=cancel_url,
        idempotency_key=dues_key(membership),
        payer_email=membership.person.email,
        metadata={"purpose": "dues"},
    )


def dues_paid_online(sender, association, payment: Payment, previous, acting_user=None, **kwargs):
    """payment_status_changed receiver: an online payment of dues succeeded."""
    key = payment.idempotency_key or ""
    if payment.status != Payment.Status.SUCCEEDED or not key.startswith(KEY_PREFIX):
        return
    with scope(association=association):
        membership = (
            Membership.objects.filter(association=association, uuid=key[len(KEY_PREFIX) :])
            .select_related("membership_type", "person")
            .first()
        )
        if membership is None or DuesPayment.objects.filter(payment=payment).exists():
            return
        recorded = services.dues_payment_record(
            association=association,
            acting_user=acting_user,
            memberships=[membership],
            method=DuesPayment.Method.CARD,
            paid_on=payment.paid_on,
            amount_cents=payment.amount_cents,
            reference=payment.provider_reference[:100],
            ledger_payment=payment,
        )
        if recorded is None:
            audit_log(
                association=association,
                actor=acting_user,
                action="membership.paid_twice",
                obj=payment,
                data={"membership": str(membership.uuid)},
            )
