"""Criteria of audiences about volunteers (people.segments): applications to missions, by
status and by mission. Imported by registrations.py.

An application belongs to an account; the audience reaches the association's contacts linked
to that account (Person.user)."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from essaim.people import segments

from .models import Application, Mission

VOLUNTEERS = _("Volunteers")


def _mission_choices(association):
    return list(
        Mission.objects.filter(association=association)
        .order_by("-created_at")
        .values_list("pk", "title")
    )


def _applied(association, params) -> Q:
    statuses = params.get("statuses") or [Application.Status.ACCEPTED]
    applications = Application.objects.filter(
        association=association, status__in=statuses, user_id__isnull=False
    )
    missions = [int(v) for v in params.get("missions") or [] if str(v).isdigit()]
    if missions:
        applications = applications.filter(mission_id__in=missions)
    return Q(user_id__isnull=False, user_id__in=applications.values("user_id"))


segments.register(
    segments.Criterion(
        key="volunteering.applications",
        label=_("Volunteers"),
        group=VOLUNTEERS,
        help_text=_("Contacts whose account applied to a mission (leave missions empty: any)."),
        params=(
            segments.Param(
                "statuses",
                _("applications"),
                segments.MULTI,
                [
                    (Application.Status.ACCEPTED, _("accepted")),
                    (Application.Status.SUBMITTED, _("submitted")),
                    (Application.Status.IN_REVIEW, _("in review")),
                    (Application.Status.WAITING, _("on the waiting list")),
                ],
                required=False,
            ),
            segments.Param(
                "missions", _("missions"), segments.MULTI, _mission_choices, required=False
            ),
        ),
        build=_applied,
        order=40,
    )
)
