"""Public pages of members: a member renews from the link in a reminder, without an account."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from . import periods, services
from .models import Membership
from .reminders import next_amount
from .tokens import renewal_uuid


def renew(request, token: str):
    """GET shows what renewing means; POST renews (a link scanner's GET changes nothing)."""
    membership_uuid = renewal_uuid(token)
    if membership_uuid is None:
        return render(request, "members/public/renew_invalid.html", status=404)
    with scopes_disabled():
        membership = (
            Membership.objects.select_related("association", "person", "membership_type")
            .filter(uuid=membership_uuid, person__erased_at__isnull=True)
            .first()
        )
    if membership is None:
        raise Http404
    association = membership.association
    with scope(association=association):
        member_settings = services.settings_for(association)
        mtype = membership.membership_type
        following = periods.next_period(
            mtype.period_kind, membership.period, timezone.localdate(), mtype.season_start_month
        )
        renewal = Membership.objects.filter(renewal_of=membership).first()
        error = ""
        if request.method == "POST" and renewal is None:
            try:
                renewal = services.membership_renew(
                    association=association, acting_user=None, membership=membership
                )
            except ValidationError as exc:
                error = " ".join(exc.messages)
        return render(
            request,
            "members/public/renew.html",
            {
                "public_association": association,
                "membership": membership,
                "next_period": following.label() if following else "",
                "amount": services.format_euros(next_amount(membership)),
                "renewal": renewal,
                "renewal_amount": services.format_euros(renewal.amount_due_cents)
                if renewal
                else "",
                "error": error,
                "payment_instructions": member_settings.payment_instructions,
            },
        )
