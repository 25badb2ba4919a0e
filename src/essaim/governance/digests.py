"""Summary e-mails (digests) of consultations and decisions, instead of one e-mail per event.

Each member gets at most one e-mail per day, or per week if they chose so (DigestPreference;
"never" stops them). It lists, in the consultations and decisions they are asked to: new
proposals and comments, decisions opened, closing within CLOSING_SOON, and closed.

Never twice for the same period: a `DigestSent` row unique per (person, period) is created
in the same transaction as the outbox e-mail, one member per transaction; a run interrupted
and run again only sends to the members not served yet. Period: "2026-11-27" (daily) or
"2026-W48" (weekly). Members without e-mail, erased, or whose latest answer about news of
the association is "no" receive nothing; every digest carries a link to stop them.
"""

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.core.audit import audit_log
from essaim.core.emails import email_enqueue
from essaim.core.models import Association
from essaim.people.models import Consent, Person
from essaim.people.selectors import person_from_link_token, person_link_token

from . import selectors
from .consultations import visible_to
from .models import (
    BodySeat,
    Consultation,
    ConsultationProposal,
    Decision,
    DigestPreference,
    DigestSent,
    ProposalComment,
)

CLOSING_SOON = dt.timedelta(hours=48)
STOP_SALT = "essaim.governance.digests.stop"
Frequency = DigestPreference.Frequency


def member_space_url(name: str, object_uuid) -> str:
    return settings.ESSAIM_BASE_URL + reverse(name, args=[object_uuid])


def period_of(frequency: str, day: dt.date) -> str:
    if frequency == Frequency.WEEKLY:
        year, week, _weekday = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.isoformat()


def frequency_of(person: Person) -> str:
    pref = DigestPreference.objects.filter(person=person).first()
    return pref.frequency if pref else Frequency.DAILY


def preference_set(*, association: Association, acting_user, person: Person, frequency: str):
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    if frequency not in Frequency.values:
        raise ValidationError({"frequency": _("Choose how often.")})
    with transaction.atomic():
        pref, _created = DigestPreference.objects.select_for_update().get_or_create(
            person=person, defaults={"association": association, "frequency": frequency}
        )
        before = pref.frequency
        if pref.frequency != frequency:
            pref.frequency = frequency
            pref.save(update_fields=["frequency", "updated_at"])
        audit_log(
            association=association,
            actor=acting_user,
            action="digest.preference",
            obj=person,
            changes={"frequency": [before, frequency]},
        )
    return pref


def stop_token(person: Person) -> str:
    """The link in every e-mail of this kind to stop them (no expiry)."""
    return person_link_token(person, salt=STOP_SALT)


def stop_person(token: str) -> Person | None:
    return person_from_link_token(token, salt=STOP_SALT)


def recipients(association: Association):
    """Members asked to something: members with voting rights and members of a body."""
    seated = BodySeat.objects.filter(association=association).values("person_id")
    voting = selectors.voting_members(association).values("pk")
    refused = Consent.objects.filter(topic=Consent.Topic.ASSOCIATION_NEWS).order_by(
        "-recorded_at", "-id"
    )
    from django.db.models import Exists, OuterRef, Subquery

    preference = DigestPreference.objects.filter(person=OuterRef("pk")).values("frequency")[:1]
    return (
        Person.objects.filter(association=association, erased_at__isnull=True, email__gt="")
        .filter(Q(pk__in=seated) | Q(pk__in=voting))
        .annotate(news=Subquery(refused.filter(person=OuterRef("pk")).values("granted")[:1]))
        .filter(Q(news__isnull=True) | Q(news=True))  # never asked, or said yes
        .exclude(digest_preference__frequency=Frequency.NEVER)
        # Read with the person, not once each: their choice and whether they may vote.
        .annotate(
            digest_frequency=Subquery(preference),
            has_voting_rights=Exists(voting.filter(pk=OuterRef("pk"))),
        )
    )


def items_for(person: Person, since: dt.datetime, now: dt.datetime) -> dict:
    """What happened since `since` in what `person` is asked to (their own writings left out)."""
    association = person.association
    voting = getattr(person, "has_voting_rights", None)
    if voting is None:
        voting = selectors.is_voting_member(person)
    visible = visible_to(person, voting)
    consultations = Consultation.objects.filter(association=association).filter(visible)
    proposals = list(
        ConsultationProposal.objects.filter(
            consultation__in=consultations, created_at__gte=since, created_at__lt=now
        )
        .exclude(status=ConsultationProposal.Status.HIDDEN)
        .exclude(author=person)
        .select_related("consultation")
        .order_by("created_at")[:20]
    )
    comments = (
        ProposalComment.objects.filter(
            proposal__consultation__in=consultations,
            created_at__gte=since,
            created_at__lt=now,
            hidden_at__isnull=True,
        )
        .exclude(author=person)
        .count()
    )
    decisions = Decision.objects.filter(association=association).filter(visible)
    opened = list(decisions.filter(created_at__gte=since, created_at__lt=now, status="open"))
    closing = list(
        decisions.filter(status="open", deadline__gt=now, deadline__lte=now + CLOSING_SOON)
        .exclude(answers__person=person)
        .exclude(pk__in=[d.pk for d in opened])
    )
    closed = list(decisions.filter(closed_at__gte=since, closed_at__lt=now))
    for decision in opened + closing + closed:
        decision.url = member_space_url("governance_public:decision", decision.uuid)
        decision.local_deadline = timezone.localtime(decision.deadline)
    for proposal in proposals:
        proposal.url = member_space_url("governance_public:proposal", proposal.uuid)
    count = len(proposals) + comments + len(opened) + len(closing) + len(closed)
    return {
        "proposals": proposals,
        "comments": comments,
        "opened": opened,
        "closing": closing,
        "closed": closed,
        "count": count,
    }


def digest_send_one(person: Person, now: dt.datetime, day: dt.date) -> bool:
    """The person's digest for the period of `day`, if there is news and none was sent."""
    if hasattr(person, "digest_frequency"):
        frequency = person.digest_frequency or Frequency.DAILY
    else:
        frequency = frequency_of(person)
    if frequency == Frequency.NEVER:
        return False
    period = period_of(frequency, day)
    if DigestSent.objects.filter(person=person, period=period).exists():
        return False
    since = now - (dt.timedelta(days=7) if frequency == Frequency.WEEKLY else dt.timedelta(days=1))
    items = items_for(person, since, now)
    if not items["count"]:
        return False
    try:
        with transaction.atomic():
            record = DigestSent.objects.create(
                association=person.association, person=person, period=period, items=items["count"]
            )
            record.outbox_email = email_enqueue(
                to=person.email,
                template="governance_digest",
                context={
                    **items,
                    "person": person,
                    "weekly": frequency == Frequency.WEEKLY,
                    "stop_url": settings.ESSAIM_BASE_URL
                    + reverse("governance_public:digest_stop", args=[stop_token(person)]),
                    "space_url": settings.ESSAIM_BASE_URL
                    + reverse("governance_public:participation"),
                },
                association=person.association,
            )
            record.save(update_fields=["outbox_email"])
    except IntegrityError:  # sent meanwhile by another run
        return False
    return True


def digests_send(now: dt.datetime | None = None) -> int:
    """Every association's digests for today (or this week). Returns the e-mails queued."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    with scopes_disabled():
        active = set(
            Consultation.objects.exclude(phase=Consultation.Phase.CLOSED).values_list(
                "association_id", flat=True
            )
        ) | set(
            Decision.objects.filter(
                Q(status=Decision.Status.OPEN) | Q(closed_at__gte=now - dt.timedelta(days=7))
            ).values_list("association_id", flat=True)
        )
        associations = list(Association.objects.filter(pk__in=active))
    sent = 0
    for association in associations:
        with scope(association=association):
            for person in (
                recipients(association).select_related("association").iterator(chunk_size=500)
            ):
                sent += digest_send_one(person, now, day)
    return sent
