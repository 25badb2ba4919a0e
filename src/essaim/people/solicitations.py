"""Solicitations: asking contacts for money, and stopping after two unanswered ones.

The CNIL's rule for donor files: a donor who did not answer two solicitations in a row is no
longer solicited, and their data is not kept for prospection. Here a solicitation is one
appeal sent to one contact (an e-mail appeal of a campaign, a letter, a call the team
notes); any gift of the contact answers all their open solicitations. A contact with two
open ones is "not to solicit": left out of appeals and mailings (`persons_solicitable`), and
erased by the daily retention run once the second one is older than `ERASE_AFTER_DAYS`
(unless another app holds the record: a current member, a receipt's minimal copy stays).
"""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from essaim.core.audit import audit_log
from essaim.core.models import Association
from essaim.lib.text import has_forbidden_characters

from .models import Person, Solicitation

LIMIT = 2  # unanswered solicitations in a row after which a contact is not solicited
ERASE_AFTER_DAYS = 90  # time left to answer the second one before the record goes


def _actor(acting_user):
    return acting_user if getattr(acting_user, "is_authenticated", False) else None


@transaction.atomic
def solicitations_record(
    *,
    association: Association,
    acting_user,
    persons: Iterable[Person],
    channel: str,
    subject: str,
    sent_at: dt.datetime | None = None,
) -> int:
    """Note that `persons` were asked for money about `subject`. Contacts not to solicit and
    anonymised ones are skipped (the caller should have left them out). Returns the count."""
    subject = " ".join(str(subject or "").split())
    errors = {}
    if channel not in Solicitation.Channel.values:
        errors["channel"] = _("Unknown channel.")
    if not subject or len(subject) > 200 or has_forbidden_characters(subject):
        errors["subject"] = _("Say in a few words what the appeal was about.")
    if errors:
        raise ValidationError(errors)
    ids = {p.pk for p in persons if p.association_id == association.pk and not p.is_erased}
    flagged = not_to_solicit(association).filter(person_id__in=ids)
    ids -= set(flagged.values_list("person_id", flat=True))
    when = sent_at or timezone.now()
    Solicitation.objects.bulk_create(
        [
            Solicitation(
                association=association,
                person_id=pk,
                channel=channel,
                subject=subject,
                sent_at=when,
                recorded_by=_actor(acting_user),
            )
            for pk in sorted(ids)
        ],
        batch_size=1000,
    )
    if ids:
        audit_log(
            association=association,
            actor=acting_user,
            action="solicitation.record",
            object_type="solicitation",
            object_repr=subject,
            data={"count": len(ids), "channel": channel},
        )
    return len(ids)


def solicitations_answer(
    *, person: Person, answered_at: dt.datetime | None = None, acting_user=None, note: bool = False
) -> int:
    """The contact answered (gave, or told the team): their open solicitations are closed and
    they may be solicited again. `note`: the team did it by hand (audit-logged)."""
    answered = Solicitation.objects.filter(
        association_id=person.association_id, person=person, answered_at__isnull=True
    ).update(answered_at=answered_at or timezone.now())
    if answered and note:
        audit_log(
            association=person.association,
            actor=acting_user,
            action="solicitation.answered",
            obj=person,
            data={"count": answered},
        )
    return answered


def not_to_solicit(association: Association) -> QuerySet:
    """Rows (person_id, open, last_sent_at) of the contacts with LIMIT or more open
    solicitations: usable as a subquery (`.values("person_id")`)."""
    return (
        Solicitation.objects.filter(association=association, answered_at__isnull=True)
        .values("person_id")
        .annotate(open=Count("id"), last_sent_at=Max("sent_at"))
        .filter(open__gte=LIMIT)
    )


def persons_solicitable(association: Association, persons: QuerySet) -> QuerySet:
    """`persons` without the contacts not to solicit (appeals, mailings asking for money)."""
    return persons.exclude(pk__in=not_to_solicit(association).values("person_id"))


def solicitation_state(person: Person) -> dict:
    """What the contact page shows: open solicitations, the last ones, the flag."""
    recent = list(
        Solicitation.objects.filter(association_id=person.association_id, person=person)[:5]
    )
    open_count = Solicitation.objects.filter(
        association_id=person.association_id, person=person, answered_at__isnull=True
    ).count()
    return {"open": open_count, "recent": recent, "flagged": open_count >= LIMIT, "limit": LIMIT}


def persons_due_for_erasure(association: Association, now: dt.datetime) -> QuerySet:
    """Ids of the contacts not to solicit whose last open solicitation is older than
    ERASE_AFTER_DAYS and who did nothing since (as a subquery)."""
    cutoff = now - dt.timedelta(days=ERASE_AFTER_DAYS)
    return not_to_solicit(association).filter(last_sent_at__lt=cutoff).values("person_id")
