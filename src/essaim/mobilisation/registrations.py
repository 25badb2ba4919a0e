"""The mobilisation app in the shell: navigation, activity log, dashboard."""

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from essaim.core import dashboard, navigation
from essaim.core.selectors import FIELD_LABELS, register_action_labels

from . import segments  # noqa: F401 (criteria of audiences)
from .models import Event, Petition, PetitionCounter, Registration

register_action_labels(
    {
        "petition.create": _("Petition created"),
        "petition.update": _("Petition changed"),
        "petition.open": _("Petition opened"),
        "petition.close": _("Petition closed"),
        "petition.news": _("News of a petition sent to its signers"),
        "petition.export": _("Petition signatures exported"),
        "petition.reconcile": _("Petition count corrected from its signatures"),
        "signature.invalidate": _("Petition signatures invalidated"),
    }
)
for _name in ("title", "text", "addressee", "goal", "ends_on"):
    FIELD_LABELS.setdefault(_name, Petition._meta.get_field(_name).verbose_name)

navigation.register(
    navigation.NavItem(
        key="petitions",
        label=_("Petitions"),
        url_name="mobilisation:petitions",
        capability="can_send_mailings",
        order=55,
        active_prefix="mobilisation:",
    )
)


def _signatures(association) -> int:
    return (
        PetitionCounter.objects.filter(
            association=association, petition__status=Petition.Status.OPEN
        ).aggregate(total=Sum("count"))["total"]
        or 0
    )


dashboard.register_figure(
    dashboard.Figure(
        key="petition_signatures",
        label=_("signatures on open petitions"),
        value=_signatures,
        url_name="mobilisation:petitions",
        capability="can_send_mailings",
        order=50,
    )
)


# --- Events and calls to action -------------------------------------------------------------

register_action_labels(
    {
        "event.create": _("Event created"),
        "event.update": _("Event changed"),
        "event.publish": _("Event published"),
        "event.cancel": _("Event cancelled"),
        "event.register": _("Registration to an event"),
        "event.wait": _("Registration to an event on the waiting list"),
        "event.promote": _("Place given from the waiting list"),
        "event.unregister": _("Registration to an event cancelled"),
        "event.check_in": _("Registrant checked in"),
        "event.check_in_undo": _("Check-in undone"),
        "event.export": _("Attendance exported"),
        "action.create": _("Call to action created"),
        "action.update": _("Call to action changed"),
        "action.publish": _("Call to action published"),
        "action.close": _("Call to action closed"),
        "action.export": _("Completions of a call to action exported"),
    }
)
for _name in ("starts_at", "ends_at", "place", "capacity", "online_url", "registration_deadline"):
    FIELD_LABELS.setdefault(_name, Event._meta.get_field(_name).verbose_name)

navigation.register(
    navigation.NavItem(
        key="events",
        label=_("Events"),
        url_name="mobilisation:events",
        capability="can_send_mailings",
        order=56,
        active_prefix="mobilisation:event",
    )
)
navigation.register(
    navigation.NavItem(
        key="actions",
        label=_("Calls to action"),
        url_name="mobilisation:actions",
        capability="can_send_mailings",
        order=57,
        active_prefix="mobilisation:action",
    )
)


def _upcoming_registrations(association) -> int:
    from django.utils import timezone

    return Registration.objects.filter(
        association=association,
        status=Registration.Status.CONFIRMED,
        event__status=Event.Status.PUBLISHED,
        event__ends_at__gte=timezone.now(),
    ).count()


def _upcoming_events(association) -> int:
    from django.utils import timezone

    return Event.objects.filter(
        association=association, status=Event.Status.PUBLISHED, ends_at__gte=timezone.now()
    ).count()


dashboard.register_figure(
    dashboard.Figure(
        key="upcoming_events",
        label=_("upcoming events"),
        value=_upcoming_events,
        url_name="mobilisation:events",
        capability="can_send_mailings",
        order=51,
    )
)
dashboard.register_figure(
    dashboard.Figure(
        key="event_registrations",
        label=_("registrations to upcoming events"),
        value=_upcoming_registrations,
        url_name="mobilisation:events",
        capability="can_send_mailings",
        order=52,
    )
)
