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
