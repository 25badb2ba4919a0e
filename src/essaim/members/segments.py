"""Criteria of audiences about members (people.segments): status today, membership type,
joined between two dates. Imported by registrations.py."""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from essaim.people import segments

from .models import MEMBER_STATUSES, Membership, MembershipSettings, MembershipType
from .selectors import status_filter

S = Membership.Status
MEMBERS = _("Members")

CURRENT = "current"
PENDING = "pending"
LAPSED = "lapsed"
NEVER = "never"
STATUS_CHOICES = [
    (CURRENT, _("members today (active or in grace period)")),
    (PENDING, _("waiting for payment or approval")),
    (LAPSED, _("former members (no current membership)")),
    (NEVER, _("never members")),
]


def _approval_required(association) -> bool:
    found = (
        MembershipSettings.objects.filter(association=association)
        .values_list("approval_required", flat=True)
        .first()
    )
    return bool(found)


def _status(association, params) -> Q:
    today = timezone.localdate()
    approval = _approval_required(association)
    memberships = Membership.objects.filter(association=association)
    current = Q()
    for status in MEMBER_STATUSES:
        current |= status_filter(status, today, approval)
    pending = status_filter(S.PENDING_PAYMENT, today, approval) | status_filter(
        S.PENDING_APPROVAL, today, approval
    )
    current_ids = memberships.filter(current).values("person_id")
    any_ids = memberships.values("person_id")
    condition = Q(pk__in=[])
    for choice in params["statuses"]:
        if choice == CURRENT:
            condition |= Q(pk__in=current_ids)
        elif choice == PENDING:
            condition |= Q(pk__in=memberships.filter(pending).values("person_id"))
        elif choice == LAPSED:
            condition |= (
                Q(pk__in=any_ids)
                & ~Q(pk__in=current_ids)
                & ~Q(pk__in=memberships.filter(pending).values("person_id"))
            )
        elif choice == NEVER:
            condition |= ~Q(pk__in=any_ids)
    return condition


def _type_choices(association):
    return list(
        MembershipType.objects.filter(association=association)
        .order_by("name")
        .values_list("pk", "name")
    )


def _by_type(association, params) -> Q:
    ids = [int(v) for v in params["types"] if str(v).isdigit()]
    memberships = Membership.objects.filter(association=association, membership_type_id__in=ids)
    if params.get("current_only") == "yes":
        today = timezone.localdate()
        approval = _approval_required(association)
        current = Q()
        for status in MEMBER_STATUSES:
            current |= status_filter(status, today, approval)
        memberships = memberships.filter(current)
    return Q(pk__in=memberships.values("person_id"))


def _joined(association, params) -> Q:
    """Persons whose first membership started between the two dates."""
    from django.db.models import Min

    firsts = (
        Membership.objects.filter(association=association)
        .values("person_id")
        .annotate(first_start=Min("period_start"))
    )
    if params.get("since"):
        firsts = firsts.filter(first_start__gte=params["since"])
    if params.get("until"):
        firsts = firsts.filter(first_start__lte=params["until"])
    return Q(pk__in=firsts.values("person_id"))


segments.register(
    segments.Criterion(
        key="members.status",
        label=_("Membership"),
        group=MEMBERS,
        help_text=_("Today's situation; several choices mean any of them."),
        params=(
            segments.Param("statuses", _("membership status"), segments.MULTI, STATUS_CHOICES),
        ),
        build=_status,
        order=20,
    )
)
segments.register(
    segments.Criterion(
        key="members.type",
        label=_("Membership type"),
        group=MEMBERS,
        params=(
            segments.Param("types", _("membership types"), segments.MULTI, _type_choices),
            segments.Param(
                "current_only",
                _("which memberships"),
                segments.CHOICE,
                [("yes", _("current memberships only")), ("no", _("any year"))],
                required=False,
            ),
        ),
        build=_by_type,
        order=21,
    )
)
segments.register(
    segments.Criterion(
        key="members.joined",
        label=_("Joined between"),
        group=MEMBERS,
        help_text=_("The start of their first membership."),
        params=(
            segments.Param("since", _("from"), segments.DATE, required=False),
            segments.Param("until", _("to"), segments.DATE, required=False),
        ),
        build=_joined,
        order=22,
    )
)
