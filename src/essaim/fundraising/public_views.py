"""The donor's space: their tax receipts from every association, in their account area."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django_scopes import scopes_disabled

from .linking import donor_accounts_link_verified
from .models import TaxReceipt
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
