"""Mailings: write, preview, test, schedule, pause, cancel; who receives them.

Recipients = the audience (every live contact when none) ∩ those who agreed (subscribed to
the list, or whose latest answer for the consent topic is yes) − contacts without an e-mail
− suppressed addresses (bounces, complaints, the team's list) − for an appeal for money, the
contacts with two unanswered solicitations (CNIL, people.solicitations). Two contacts with
the same mailbox (canonical address) get one message.

They are counted live before sending and frozen into Delivery rows when sending starts
(`mailing_start`): from then on the mailing goes to exactly those rows, once each.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from essaim.core.audit import apply_changes, audit_log
from essaim.core.emails import outbox_add
from essaim.core.models import Association
from essaim.lib.text import has_forbidden_characters
from essaim.mobilisation.canonical import canonical_email
from essaim.people.models import Consent, Person
from essaim.people.solicitations import persons_solicitable, solicitations_record

from . import personalise
from .models import (
    Audience,
    Delivery,
    Mailing,
    MailingLink,
    MailingSettings,
    NewsletterList,
    Subscription,
    Suppression,
)

SUBJECT_MAX = 150
BODY_MAX = 50_000


def settings_for(association: Association) -> MailingSettings:
    found = MailingSettings.objects.filter(association=association).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return MailingSettings.objects.create(association=association)
    except IntegrityError:
        return MailingSettings.objects.get(association=association)


@transaction.atomic
def mailing_settings_update(
    *,
    association: Association,
    acting_user,
    messages_per_minute: int,
    track_opens: bool,
    signing_key: str = "",
) -> MailingSettings:
    """The throttle and the open tracking of the association's mailings; `signing_key`
    (optional) replaces the key the bounce webhooks are signed with (Mailgun's
    "HTTP webhook signing key", or one of your own for the generic format)."""
    current = settings_for(association)
    try:
        rate = int(messages_per_minute)
        if not 1 <= rate <= 100_000:
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationError(
            {"messages_per_minute": _("Give a number of messages per minute (1 to 100,000).")}
        ) from None
    signing_key = str(signing_key or "").strip()
    if signing_key and (len(signing_key) < 16 or len(signing_key) > 100 or " " in signing_key):
        raise ValidationError(
            {"signing_key": _("Paste the whole signing key (16 to 100 characters, no spaces).")}
        )
    changes = {}
    if signing_key and signing_key != current.webhook_secret:
        changes["signing_key"] = [None, None]
        current.webhook_secret = signing_key
    if current.messages_per_minute != rate:
        changes["messages_per_minute"] = [current.messages_per_minute, rate]
    if current.track_opens != bool(track_opens):
        changes["track_opens"] = [current.track_opens, bool(track_opens)]
    current.messages_per_minute = rate
    current.track_opens = bool(track_opens)
    current.save(update_fields=["messages_per_minute", "track_opens", "webhook_secret"])
    if changes:
        audit_log(
            association=association,
            actor=acting_user,
            action="mailing.settings",
            object_type="mailingsettings",
            object_repr=str(association),
            changes=changes,
        )
    return current


# --- Writing ------------------------------------------------------------------------------


def _clean(association: Association, data: dict) -> dict:
    errors = {}
    subject = " ".join(str(data.get("subject") or "").split())
    from_name = " ".join(str(data.get("from_name") or "").split()) or association.name[:100]
    reply_to = str(data.get("reply_to") or "").strip()
    body = str(data.get("body") or "").replace("\r\n", "\n").strip()
    audience = data.get("audience")
    newsletter = data.get("newsletter")
    topic = str(data.get("topic") or "")
    if not subject or len(subject) > SUBJECT_MAX or has_forbidden_characters(subject):
        errors["subject"] = _("Give the e-mail a subject (at most %(limit)d characters).") % {
            "limit": SUBJECT_MAX
        }
    if not body or len(body) > BODY_MAX or has_forbidden_characters(body):
        errors["body"] = _("Write the message (at most %(limit)d characters).") % {
            "limit": BODY_MAX
        }
    if len(from_name) > 100 or has_forbidden_characters(from_name) or '"' in from_name:
        errors["from_name"] = _("The sender's name is at most 100 characters, without quotes.")
    if reply_to:
        try:
            validate_email(reply_to)
        except ValidationError:
            errors["reply_to"] = _("Give a valid e-mail address, e.g. contact@example.fr.")
    if audience is not None and (
        not isinstance(audience, Audience) or audience.association_id != association.pk
    ):
        errors["audience"] = _("Unknown audience.")
    if newsletter is not None and (
        not isinstance(newsletter, NewsletterList) or newsletter.association_id != association.pk
    ):
        errors["newsletter"] = _("Unknown list.")
    if topic and topic not in Mailing.Topic.values:
        errors["topic"] = _("Unknown consent.")
    if newsletter is not None and topic:
        errors["topic"] = _("Choose a list or a consent, not both.")
    elif newsletter is None and not topic and "topic" not in errors:
        errors["newsletter"] = _(
            "Choose who agreed to receive this mailing: the subscribers of a list, or the "
            "contacts who agreed to receive the newsletter or the association's news."
        )
    errors.update(personalise.check_fields(subject=subject, body=body))
    if errors:
        raise ValidationError(errors)
    return {
        "subject": subject,
        "from_name": from_name,
        "reply_to": reply_to,
        "body": body,
        "audience": audience,
        "newsletter": newsletter,
        "topic": topic,
        "is_appeal": bool(data.get("is_appeal")),
    }


@transaction.atomic
def mailing_create(*, association: Association, acting_user, **fields) -> Mailing:
    """A draft mailing (nothing is sent until it is scheduled)."""
    data = _clean(association, fields)
    mailing = Mailing.objects.create(
        association=association,
        created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
        **data,
    )
    audit_log(association=association, actor=acting_user, action="mailing.create", obj=mailing)
    return mailing


@transaction.atomic
def mailing_update(*, association: Association, acting_user, mailing: Mailing, **fields) -> Mailing:
    """Change a draft (a scheduled mailing goes back to draft first)."""
    mailing = Mailing.objects.select_for_update().get(pk=mailing.pk, association=association)
    if mailing.status != Mailing.Status.DRAFT:
        raise ValidationError(_("Only a draft can be changed: unschedule the mailing first."))
    data = _clean(association, fields)
    changes = apply_changes(mailing, data, values=False)
    if changes:
        mailing.save()
        audit_log(
            association=association,
            actor=acting_user,
            action="mailing.update",
            obj=mailing,
            changes=changes,
        )
    return mailing


# --- Recipients ---------------------------------------------------------------------------


def _consented(mailing: Mailing, persons):
    if mailing.newsletter_id:
        return persons.filter(
            pk__in=Subscription.objects.filter(
                newsletter_id=mailing.newsletter_id, status=Subscription.Status.SUBSCRIBED
            ).values("person_id")
        )
    # The base manager, not the scoped one: the scope would add "association = …" to the
    # subquery, and PostgreSQL, its statistics not yet aware of a fresh import, then scanned
    # every consent of the association for each contact. `persons` is already scoped.
    latest = (
        Consent._base_manager.filter(person=OuterRef("pk"), topic=mailing.topic)
        .order_by("-recorded_at", "-id")
        .values("granted")[:1]
    )
    return persons.annotate(_agreed=Subquery(latest)).filter(_agreed=True)


def candidate_persons(mailing: Mailing):
    """The contacts the mailing may reach (before e-mail de-duplication and suppressions)."""
    association = mailing.association
    if mailing.audience_id:
        from .audiences import audience_persons

        persons = audience_persons(mailing.audience)
    else:
        persons = Person.objects.filter(association=association, erased_at__isnull=True)
    persons = _consented(mailing, persons).exclude(email="")
    if mailing.is_appeal:
        persons = persons_solicitable(association, persons)
    return persons


def recipient_rows(mailing: Mailing) -> list[tuple[int, str, str]]:
    """[(person id, e-mail, canonical e-mail)]: one per mailbox, suppressed ones left out."""
    suppressed = set(
        Suppression.objects.filter(association_id=mailing.association_id).values_list(
            "email_canonical", flat=True
        )
    )
    rows, seen = [], set()
    persons = candidate_persons(mailing).order_by("id").values_list("id", "email")
    # One plain query, not .iterator(): PostgreSQL plans a server-side cursor for the first
    # rows (cursor_tuple_fraction) and walks the whole person table in id order, which took
    # minutes for 100,000 contacts where the plain query takes one second.
    for pk, email in list(persons):
        key = canonical_email(email)
        if key in seen or key in suppressed:
            continue
        seen.add(key)
        rows.append((pk, email, key))
    return rows


def recipient_count(mailing: Mailing) -> int:
    if mailing.status in (Mailing.Status.DRAFT, Mailing.Status.SCHEDULED):
        return len(recipient_rows(mailing))
    return mailing.recipients


# --- Rendering ----------------------------------------------------------------------------


def preview(mailing: Mailing, person: Person | None) -> dict:
    """What `person` would receive (links not rewritten, unsubscribe links as examples)."""
    from .sending import MessageTemplate

    template = MessageTemplate(mailing)
    values = personalise.person_values(
        person,
        mailing.association,
        unsubscribe_url="#unsubscribe",
        preferences_url="#preferences",
    )
    return template.render(values, link=None)


@transaction.atomic
def mailing_test_send(*, association: Association, acting_user, mailing: Mailing) -> str:
    """The message as the author would receive it, sent to the author (through the outbox),
    with « [Test] » before the subject. Returns the address."""
    email = getattr(acting_user, "email", "")
    if not email:
        raise ValidationError(_("Your account has no e-mail address."))
    person = Person.objects.filter(association=association, user=acting_user).first() or Person(
        first_name=acting_user.first_name, last_name=acting_user.last_name, email=email
    )
    rendered = preview(mailing, person)
    outbox_add(
        to=email,
        subject=("[Test] " + rendered["subject"])[:255],
        body_text=rendered["text"],
        body_html=rendered["html"],
        association=association,
        reply_to=mailing.reply_to or association.email,
        kind="mailing_test",
    )
    audit_log(association=association, actor=acting_user, action="mailing.test", obj=mailing)
    return email


# --- Life cycle ---------------------------------------------------------------------------


def _locked(association: Association, mailing: Mailing) -> Mailing:
    return Mailing.objects.select_for_update().get(pk=mailing.pk, association=association)


@transaction.atomic
def mailing_schedule(
    *, association: Association, acting_user, mailing: Mailing, send_at: dt.datetime | None = None
) -> Mailing:
    """Send now (`send_at` None) or at a date; refused when nobody would receive it."""
    mailing = _locked(association, mailing)
    if mailing.status != Mailing.Status.DRAFT:
        raise ValidationError(_("This mailing is not a draft any more."))
    now = timezone.now()
    if send_at is not None and send_at < now - dt.timedelta(minutes=5):
        raise ValidationError({"send_at": _("Choose a date and time in the future.")})
    if send_at is not None and send_at > now + dt.timedelta(days=366):
        raise ValidationError({"send_at": _("Choose a date within a year.")})
    if not recipient_rows(mailing):
        raise ValidationError(
            _(
                "Nobody would receive this mailing: the audience holds no contact who agreed "
                "to receive it and has a working e-mail address."
            )
        )
    mailing.status = Mailing.Status.SCHEDULED
    mailing.scheduled_at = send_at or now
    mailing.save(update_fields=["status", "scheduled_at", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action="mailing.schedule",
        obj=mailing,
        data={"send_at": mailing.scheduled_at.isoformat()},
    )
    if send_at is None or send_at <= now:
        mailing_id = mailing.pk

        def _go():
            from .tasks import mailing_run

            mailing_run.enqueue(mailing_id=mailing_id)

        transaction.on_commit(_go)
    return mailing


@transaction.atomic
def mailing_unschedule(*, association: Association, acting_user, mailing: Mailing) -> Mailing:
    mailing = _locked(association, mailing)
    if mailing.status != Mailing.Status.SCHEDULED:
        raise ValidationError(_("This mailing is not scheduled."))
    mailing.status = Mailing.Status.DRAFT
    mailing.scheduled_at = None
    mailing.save(update_fields=["status", "scheduled_at", "updated_at"])
    audit_log(association=association, actor=acting_user, action="mailing.unschedule", obj=mailing)
    return mailing


@transaction.atomic
def mailing_pause(*, association: Association, acting_user, mailing: Mailing) -> Mailing:
    """Stop handing messages over; those already sent stay sent. Resume continues."""
    mailing = _locked(association, mailing)
    if mailing.status != Mailing.Status.SENDING:
        raise ValidationError(_("Only a mailing being sent can be paused."))
    mailing.status = Mailing.Status.PAUSED
    mailing.save(update_fields=["status", "updated_at"])
    audit_log(association=association, actor=acting_user, action="mailing.pause", obj=mailing)
    return mailing


@transaction.atomic
def mailing_resume(*, association: Association, acting_user, mailing: Mailing) -> Mailing:
    mailing = _locked(association, mailing)
    if mailing.status != Mailing.Status.PAUSED:
        raise ValidationError(_("This mailing is not paused."))
    mailing.status = Mailing.Status.SENDING
    mailing.save(update_fields=["status", "updated_at"])
    audit_log(association=association, actor=acting_user, action="mailing.resume", obj=mailing)
    mailing_id = mailing.pk

    def _go():
        from .tasks import mailing_run

        mailing_run.enqueue(mailing_id=mailing_id)

    transaction.on_commit(_go)
    return mailing


@transaction.atomic
def mailing_cancel(*, association: Association, acting_user, mailing: Mailing) -> Mailing:
    """Cancel a scheduled, sending or paused mailing: what is not sent yet never will be."""
    mailing = _locked(association, mailing)
    if mailing.status not in (
        Mailing.Status.SCHEDULED,
        Mailing.Status.SENDING,
        Mailing.Status.PAUSED,
    ):
        raise ValidationError(_("This mailing can no longer be cancelled."))
    Delivery.objects.filter(
        mailing=mailing, status__in=[Delivery.Status.QUEUED, Delivery.Status.CLAIMED]
    ).update(status=Delivery.Status.CANCELLED)
    mailing.status = Mailing.Status.CANCELLED
    mailing.finished_at = timezone.now()
    mailing.save(update_fields=["status", "finished_at", "updated_at"])
    audit_log(association=association, actor=acting_user, action="mailing.cancel", obj=mailing)
    return mailing


@transaction.atomic
def deliveries_retry_unknown(*, association: Association, acting_user, mailing: Mailing) -> int:
    """The team decides to send again the messages whose fate is unknown (the sender stopped
    while handing them to the mail server). They keep their Message-ID: a recipient who got
    the first one too sees the same message twice, which mail apps often show as one."""
    mailing = _locked(association, mailing)
    count = Delivery.objects.filter(mailing=mailing, status=Delivery.Status.UNKNOWN).update(
        status=Delivery.Status.QUEUED, claim_token="", claimed_at=None
    )
    if count and mailing.status == Mailing.Status.SENT:
        mailing.status = Mailing.Status.SENDING
        mailing.finished_at = None
        mailing.save(update_fields=["status", "finished_at", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action="mailing.retry_unknown",
        obj=mailing,
        data={"count": count},
    )
    if count:
        mailing_id = mailing.pk

        def _go():
            from .tasks import mailing_run

            mailing_run.enqueue(mailing_id=mailing_id)

        transaction.on_commit(_go)
    return count


def mailing_start(mailing_id: int, now: dt.datetime | None = None) -> bool:
    """Freeze the recipients of a due scheduled mailing into Delivery rows and mark it
    sending. Idempotent: only the caller that flips scheduled → sending freezes; the unique
    keys make a second freeze impossible anyway. Returns True when this call started it.
    Called from tasks: enters the mailing's association's scope itself."""
    with scopes_disabled():
        association = Association.objects.filter(
            pk=Mailing.objects.filter(pk=mailing_id).values("association_id")[:1]
        ).first()
    if association is None:
        return False
    with scope(association=association):
        return _start(mailing_id, now or timezone.now())


def _start(mailing_id: int, now: dt.datetime) -> bool:
    with transaction.atomic():
        flipped = Mailing.objects.filter(
            pk=mailing_id, status=Mailing.Status.SCHEDULED, scheduled_at__lte=now
        ).update(status=Mailing.Status.SENDING, started_at=now, updated_at=now)
        if not flipped:
            return False
        mailing = Mailing.objects.select_related("association", "audience").get(pk=mailing_id)
        association = mailing.association
        rows = recipient_rows(mailing)
        Delivery.objects.bulk_create(
            [
                Delivery(
                    association=association,
                    mailing=mailing,
                    person_id=pk,
                    email=email,
                    email_canonical=key,
                )
                for pk, email, key in rows
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )
        html = personalise.markdown_to_html(mailing.body)
        urls = []
        for url in personalise.HREF_ANY.findall(html):
            if url not in urls and "{{" not in url:
                urls.append(url)
        MailingLink.objects.bulk_create(
            [
                MailingLink(mailing=mailing, position=i, url=url.replace("&amp;", "&")[:2000])
                for i, url in enumerate(urls)
            ],
            ignore_conflicts=True,
        )
        settings = settings_for(association)
        Mailing.objects.filter(pk=mailing_id).update(
            recipients=Delivery.objects.filter(mailing_id=mailing_id).count(),
            track_opens=settings.track_opens,
        )
        if mailing.is_appeal:
            # CNIL rule of two unanswered solicitations: this appeal counts as one.
            solicitations_record(
                association=association,
                acting_user=None,
                persons=Person.objects.filter(
                    pk__in=Delivery.objects.filter(mailing_id=mailing_id).values("person_id")
                ),
                channel="email",
                subject=mailing.subject[:200],
            )
        audit_log(
            association=association,
            actor=None,
            action="mailing.start",
            obj=mailing,
            data={"recipients": len(rows)},
        )
    return True


def mailing_stats(mailing: Mailing) -> dict:
    """Figures of the report page (and the API)."""
    counts = Delivery.objects.filter(mailing=mailing).aggregate(
        total=Count("id"),
        sent=Count("id", filter=Q(status=Delivery.Status.SENT)),
        waiting=Count(
            "id",
            filter=Q(
                status__in=[
                    Delivery.Status.QUEUED,
                    Delivery.Status.CLAIMED,
                    Delivery.Status.SENDING,
                ]
            ),
        ),
        unknown=Count("id", filter=Q(status=Delivery.Status.UNKNOWN)),
        failed=Count("id", filter=Q(status=Delivery.Status.FAILED)),
        cancelled=Count("id", filter=Q(status=Delivery.Status.CANCELLED)),
        bounced=Count("id", filter=Q(bounced_at__isnull=False)),
        complained=Count("id", filter=Q(complained_at__isnull=False)),
        unsubscribed=Count("id", filter=Q(unsubscribed_at__isnull=False)),
        clicked=Count("id", filter=Q(clicked_at__isnull=False)),
        opened=Count("id", filter=Q(opened_at__isnull=False)),
    )
    links = list(
        MailingLink.objects.filter(mailing=mailing)
        .annotate(unique=Count("click_rows__delivery", distinct=True))
        .order_by("position")
    )
    counts["links"] = links
    counts["percent"] = round(100 * counts["sent"] / counts["total"]) if counts["total"] else 0
    return counts
