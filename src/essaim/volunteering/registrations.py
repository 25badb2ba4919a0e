"""Volunteering in the shell: navigation « Bénévolat », activity log, dashboard."""

from django.utils.translation import gettext_lazy as _

from essaim.core import dashboard, navigation
from essaim.core.selectors import FIELD_LABELS, register_action_labels

from . import segments  # noqa: F401 (criteria of audiences)
from .models import Application

register_action_labels(
    {
        "mission.create": _("Volunteer mission created"),
        "mission.update": _("Volunteer mission changed"),
        "mission.publish": _("Volunteer mission published"),
        "mission.close": _("Volunteer mission closed"),
        "volunteer_skill.create": _("Skill added to the list"),
        "application.submit": _("Application to a mission received"),
        "application.review": _("Application put in review"),
        "application.accept": _("Application accepted"),
        "application.refuse": _("Application refused"),
        "application.withdraw": _("Application withdrawn by the volunteer"),
        "application.promote": _("Application moved up from the waiting list"),
        "shift.create": _("Volunteer shift created"),
        "shift.update": _("Volunteer shift changed"),
        "shift.cancel": _("Volunteer shift cancelled"),
        "shift_signup.create": _("Volunteer signed up for a shift"),
        "shift_signup.add": _("Volunteer added to a shift by the team"),
        "shift_signup.cancel": _("Shift sign-up cancelled by the volunteer"),
        "shift_signup.remove": _("Volunteer removed from a shift by the team"),
        "shift_signup.attended": _("Volunteer marked present at a shift"),
        "shift_signup.no_show": _("Volunteer marked absent from a shift"),
        "hours.declare": _("Volunteer hours declared"),
        "hours.approve": _("Volunteer hours approved"),
        "hours.refuse": _("Volunteer hours refused"),
        "hours.export": _("Volunteer hours exported"),
        "volunteering_settings.update": _("Hourly rate of volunteer hours changed"),
        "volunteer_attestation.issue": _("Volunteer attestation issued"),
        "volunteer_statement.issue": _("Yearly volunteer hours statement issued"),
        "volunteer_passport.issue": _("Volunteer passport downloaded"),
    }
)
for _name, _label in (
    ("description", _("description")),
    ("cause", _("cause")),
    ("skills", _("skills wanted")),
    ("remote", _("remote")),
    ("kind", _("kind")),
    ("time_commitment", _("time commitment")),
    ("places", _("places")),
    ("min_age", _("minimum age")),
    ("documents", _("documents asked")),
    ("questions", _("questions for applicants")),
    ("contact_name", _("contact person")),
    ("contact_email", _("contact e-mail")),
    ("availability", _("when")),
    ("starts_at", _("start")),
    ("ends_at", _("end")),
    ("capacity", _("places")),
    ("qualifications", _("skills required")),
    ("signup_deadline", _("sign-up deadline")),
    ("location", _("place")),
    ("notes", _("notes")),
    ("volunteer_hourly_rate_cents", _("hourly rate (cents)")),
):
    FIELD_LABELS.setdefault(_name, _label)

navigation.register(
    navigation.NavItem(
        key="volunteering",
        label=_("Volunteering"),
        url_name="volunteering:missions",
        capability="can_manage_volunteers",
        order=40,
        active_prefix="volunteering:",
    )
)

navigation.register(
    navigation.NavItem(
        key="volunteering_funnels",
        label=_("Volunteer funnels"),
        url_name="volunteering:funnels",
        capability="can_manage_volunteers",
        order=41,
    )
)
navigation.register(
    navigation.NavItem(
        key="volunteering_recognition",
        label=_("Volunteer attestations"),
        url_name="volunteering:recognition",
        capability="can_manage_volunteers",
        order=42,
    )
)


navigation.register(
    navigation.NavItem(
        key="volunteer_hours",
        label=_("Volunteer hours"),
        url_name="volunteering:hours",
        capability="can_manage_volunteers",
        order=41,
        active_prefix="volunteering:hours",
    )
)


def _hours_to_approve(association) -> int:
    from .models import HoursEntry

    return HoursEntry.objects.filter(association=association, status="declared").count()


dashboard.register_figure(
    dashboard.Figure(
        key="volunteer_hours_to_approve",
        label=_("volunteer hours to approve"),
        value=_hours_to_approve,
        url_name="volunteering:hours",
        capability="can_manage_volunteers",
        order=41,
    )
)


def _applications_waiting(association) -> int:
    return Application.objects.filter(association=association, status="submitted").count()


dashboard.register_figure(
    dashboard.Figure(
        key="volunteer_applications",
        label=_("applications to answer"),
        value=_applications_waiting,
        url_name="volunteering:missions",
        capability="can_manage_volunteers",
        order=40,
    )
)
