"""Criteria of audiences about mobilisation (people.segments): petition signers, event
registrants. Imported by registrations.py."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from essaim.people import segments

from .events import registrant_persons
from .models import Event, Petition, Signature

MOBILISATION = _("Mobilisation")


def _petition_choices(association):
    return list(
        Petition.objects.filter(association=association)
        .order_by("-created_at")
        .values_list("pk", "title")
    )


def _signed(association, params) -> Q:
    signatures = Signature.objects.filter(
        association=association,
        status=Signature.Status.CONFIRMED,
        person_id__isnull=False,
    )
    petitions = [int(v) for v in params.get("petitions") or [] if str(v).isdigit()]
    if petitions:
        signatures = signatures.filter(petition_id__in=petitions)
    if params.get("updates") == "yes":
        signatures = signatures.filter(updates=True)
    return Q(pk__in=signatures.values("person_id"))


segments.register(
    segments.Criterion(
        key="mobilisation.signed",
        label=_("Signed a petition"),
        group=MOBILISATION,
        help_text=_("Confirmed signatures (leave petitions empty: any petition)."),
        params=(
            segments.Param(
                "petitions", _("petitions"), segments.MULTI, _petition_choices, required=False
            ),
            segments.Param(
                "updates",
                _("news of the petition"),
                segments.CHOICE,
                [("yes", _("only those who agreed to receive news")), ("no", _("all signers"))],
                required=False,
            ),
        ),
        build=_signed,
        order=50,
    )
)


def _event_choices(association):
    return list(
        Event.objects.filter(association=association)
        .order_by("-starts_at")
        .values_list("pk", "title")
    )


def _registered(association, params) -> Q:
    """Through events.registrant_persons: confirmed or waiting registrations."""
    ids = [int(v) for v in params.get("events") or [] if str(v).isdigit()]
    if not ids:
        return Q(pk__in=registrant_persons(association).values("pk"))
    condition = Q(pk__in=[])
    for pk in ids:
        event = Event(pk=pk, association=association)
        condition |= Q(pk__in=registrant_persons(association, event=event).values("pk"))
    return condition


segments.register(
    segments.Criterion(
        key="mobilisation.registered",
        label=_("Registered to an event"),
        group=MOBILISATION,
        help_text=_("Confirmed or on the waiting list (leave events empty: any event)."),
        params=(
            segments.Param("events", _("events"), segments.MULTI, _event_choices, required=False),
        ),
        build=_registered,
        order=51,
    )
)
