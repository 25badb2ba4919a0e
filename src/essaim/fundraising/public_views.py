"""The donor's space, in their account area: their tax receipts and their gifts from every
association; they pause, resume, change or stop their monthly gifts there."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_scopes import scope, scopes_disabled

from . import recurring
from .campaign_forms import MonthlyAmountForm
from .linking import donor_accounts_link_verified
from .models import Gift, RecurringGift, TaxReceipt
from .views import pdf_response


def _own_receipts(user):
    """Receipts of the contacts linked to `user` (never anyone else's)."""
    return TaxReceipt.objects.filter(
        person__user=user, person__erased_at__isnull=True
    ).select_related("association", "replaces")


@login_required
def receipts(request):
    donor_accounts_link_verified(request.user)
    with scopes_disabled():
        rows = list(_own_receipts(request.user).order_by("association__name", "-issued_at", "-id"))
    groups: list[dict] = []
    for receipt in rows:
        if not groups or groups[-1]["association"].pk != receipt.association_id:
            groups.append({"association": receipt.association, "receipts": []})
        groups[-1]["receipts"].append(receipt)
    return render(request, "fundraising/public/receipts.html", {"groups": groups})


@login_required
def receipt_pdf(request, receipt_uuid):
    """One of the signed-in donor's valid receipts; 404 for anyone else's or a cancelled one."""
    with scopes_disabled():
        receipt = (
            _own_receipts(request.user)
            .filter(uuid=receipt_uuid, status=TaxReceipt.Status.VALID)
            .first()
        )
    if receipt is None:
        raise Http404
    return pdf_response(receipt)


# --- Monthly gifts, managed by the donor ------------------------------------------------


def _own_recurring(user):
    """Monthly gifts of the contacts linked to `user` (never anyone else's)."""
    return RecurringGift.objects.filter(
        person__user=user, person__erased_at__isnull=True
    ).select_related("association", "campaign", "mandate", "person")


@login_required
def gifts(request):
    """The signed-in donor's monthly gifts and gifts, association by association."""
    donor_accounts_link_verified(request.user)
    with scopes_disabled():
        monthly = list(_own_recurring(request.user).order_by("association__name", "-started_on"))
        given = list(
            Gift.objects.filter(person__user=request.user, person__erased_at__isnull=True)
            .select_related("association", "campaign")
            .order_by("association__name", "-received_on", "-id")[:200]
        )
    groups: dict[int, dict] = {}
    for gift in monthly:
        group = groups.setdefault(
            gift.association_id, {"association": gift.association, "monthly": [], "gifts": []}
        )
        prefix = str(gift.uuid)[:8]
        group["monthly"].append(
            {
                "gift": gift,
                "status": recurring.effective_status(gift),
                "prefix": prefix,
                "form": MonthlyAmountForm(
                    initial={"amount_cents": gift.amount_cents}, prefix=prefix
                ),
                "urls": {
                    action: reverse(
                        "fundraising_public:gift_action",
                        kwargs={"recurring_uuid": gift.uuid, "action": action},
                    )
                    for action in recurring.DONOR_ACTIONS
                },
            }
        )
    for gift in given:
        group = groups.setdefault(
            gift.association_id, {"association": gift.association, "monthly": [], "gifts": []}
        )
        group["gifts"].append(gift)
    ordered = sorted(groups.values(), key=lambda g: g["association"].name)
    return render(request, "fundraising/public/gifts.html", {"groups": ordered})


@login_required
@require_POST
def gift_action(request, recurring_uuid, action: str):
    """Pause, resume, change the amount of or cancel one of the donor's monthly gifts."""
    with scopes_disabled():
        gift = _own_recurring(request.user).filter(uuid=recurring_uuid).first()
    if gift is None or action not in recurring.DONOR_ACTIONS:
        raise Http404
    association = gift.association
    with scope(association=association):
        error = recurring.perform(
            action,
            association=association,
            acting_user=request.user,
            recurring=gift,
            data=request.POST,
            prefix=str(gift.uuid)[:8],
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, recurring.done_message(action, gift))
    return redirect("fundraising_public:gifts")
