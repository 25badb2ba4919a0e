"""Reads of fundraising: gifts, receipts, what an annual run will issue, the yearly figures."""

import datetime as dt

from django.db.models import Count, Q, QuerySet, Sum

from essaim.core.models import Association
from essaim.payments.models import Payment

from .models import Gift, TaxReceipt


def gifts_of(association: Association) -> QuerySet[Gift]:
    return Gift.objects.filter(association=association).select_related("person", "payment")


def receipted_gift_ids(association: Association, gift_ids) -> set[int]:
    """Those of `gift_ids` a valid receipt covers."""
    return set(
        TaxReceipt.gifts.through.objects.filter(
            taxreceipt__association=association,
            taxreceipt__status=TaxReceipt.Status.VALID,
            gift_id__in=list(gift_ids),
        ).values_list("gift_id", flat=True)
    )


def annual_groups(association: Association, year: int) -> list[list[int]]:
    """The gifts of `year` an annual run receipts, as lists of gift ids, one per donor and
    nature (money, in kind and waived expenses get receipts of their own): gifts of money
    not received (pending, failed, refunded), gifts already receipted, anonymous gifts and
    those of erased donors are left out."""
    gifts = (
        Gift.objects.filter(
            association=association,
            received_on__range=(dt.date(year, 1, 1), dt.date(year, 12, 31)),
        )
        .filter(Q(payment__isnull=True) | Q(payment__status=Payment.Status.SUCCEEDED))
        .exclude(receipts__status=TaxReceipt.Status.VALID)
        # Anonymous gifts have nobody to receipt; erased donors asked to be forgotten.
        .exclude(donor_kind=Gift.DonorKind.INDIVIDUAL, person__isnull=True)
        .exclude(person__erased_at__isnull=False)
        .order_by("person__sort_name", "person_id", "company_name", "nature", "received_on", "id")
        .values_list("pk", "person_id", "donor_kind", "company_name", "nature")
    )
    groups: dict[tuple, list[int]] = {}
    for pk, person_id, donor_kind, company_name, nature in gifts:
        key = (person_id, donor_kind, company_name if donor_kind == "company" else "", nature)
        groups.setdefault(key, []).append(pk)
    return list(groups.values())


def receipts_of(association: Association) -> QuerySet[TaxReceipt]:
    return TaxReceipt.objects.filter(association=association).select_related("person", "replaces")


def declaration_222_bis(association: Association, year: int) -> dict:
    """The yearly declaration of CGI art. 222 bis: the total amount of the gifts on the
    receipts issued during `year`, and their number (cancelled receipts left out)."""
    figures = TaxReceipt.objects.filter(
        association=association, year=year, status=TaxReceipt.Status.VALID
    ).aggregate(total=Sum("amount_cents"), count=Count("id"))
    return {"year": year, "amount_cents": figures["total"] or 0, "count": figures["count"] or 0}
