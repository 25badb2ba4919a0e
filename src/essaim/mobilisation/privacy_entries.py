"""Personal data held by petitions.

A signature names its signer (first and last name, e-mail address, postcode, comment) and
keeps hashed traces of the connection it came from (to spot floods; never the address in
clear). Erasing the signer keeps the signature counted but anonymous: names, e-mail, comment
and postcode go, the département stays (the breakdown stays true), the count does not move.

Retention: a signature never confirmed is deleted after PENDING_RETENTION; the connection
traces go after TRACE_RETENTION; once a petition has been closed for CLOSED_RETENTION its
signatures are anonymised as above (the petition was delivered; its count remains).
"""

import datetime as dt

from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from essaim.core.privacy import PrivacyEntry, registry

from .models import Petition, PetitionUpdate, Signature, SignatureInvalidation

PENDING_RETENTION = dt.timedelta(days=30)
TRACE_RETENTION = dt.timedelta(days=90)
CLOSED_RETENTION = dt.timedelta(days=365)


def _anonymise(signatures) -> int:
    return signatures.filter(erased_at__isnull=True).update(
        first_name="",
        last_name="",
        email="",
        email_canonical=Concat(Value("~"), F("uuid")),
        postcode="",
        comment="",
        name_folded="",
        ip_hash="",
        subnet_hash="",
        person=None,
        erased_at=timezone.now(),
    )


def _export(person) -> list[dict]:
    return [
        {
            "petition": s.petition.title,
            "first_name": s.first_name,
            "last_name": s.last_name,
            "email": s.email,
            "postcode": s.postcode,
            "comment": s.comment,
            "agreed_to_news": s.updates,
            "source": s.source,
            "status": s.status,
            "signed_at": s.created_at.isoformat(),
            "confirmed_at": s.confirmed_at.isoformat() if s.confirmed_at else "",
        }
        for s in Signature.objects.filter(
            association_id=person.association_id, person=person
        ).select_related("petition")
    ]


def _erase(person) -> None:
    signatures = Signature.objects.filter(association_id=person.association_id, person=person)
    # Pending signatures of the same address (not linked yet) go too: they never counted.
    if person.email:
        from .canonical import canonical_email

        Signature.objects.filter(
            association_id=person.association_id,
            email_canonical=canonical_email(person.email),
            status=Signature.Status.PENDING,
        ).delete()
    _anonymise(signatures)


def _retention(now: dt.datetime) -> int:
    touched = Signature.objects.filter(
        status=Signature.Status.PENDING, created_at__lt=now - PENDING_RETENTION
    ).delete()[0]
    touched += (
        Signature.objects.filter(created_at__lt=now - TRACE_RETENTION)
        .exclude(ip_hash="", subnet_hash="")
        .update(ip_hash="", subnet_hash="")
    )
    touched += _anonymise(
        Signature.objects.filter(
            petition__status=Petition.Status.CLOSED,
            petition__closed_at__lt=now - CLOSED_RETENTION,
        )
    )
    return touched


registry.register(
    PrivacyEntry(
        key="petition_signatures",
        label=_("Petition signatures"),
        data=_(
            "First and last name, e-mail address, postcode and comment of each signer; whether "
            "they agreed to receive news; the share link they came from; a hashed trace of "
            "their connection (never the address itself)."
        ),
        purpose=_(
            "Counting each person once, confirming signatures by e-mail, delivering the "
            "petition (names and postcodes) to its addressee, spotting floods of fake "
            "signatures, sending news to signers who agreed."
        ),
        legal_basis=_("Consent of the signer (they sign and confirm by e-mail)."),
        retention=_(
            "Signatures never confirmed: 30 days. Connection traces: 90 days. Names and "
            "addresses: one year after the petition closes, then the signature stays counted "
            "without them. After an erasure the signature stays counted, anonymous."
        ),
        models=("mobilisation.Signature",),
        export_person=_export,
        erase_person=_erase,
        apply_retention=_retention,
        order=470,
    )
)


def _team_export(user) -> list[dict]:
    with scopes_disabled():
        rows = [
            {
                "association": p.association.name,
                "petition": p.title,
                "created": p.created_at.isoformat(),
            }
            for p in Petition.objects.filter(created_by=user).select_related("association")
        ]
        rows += [
            {
                "association": u.petition.association.name,
                "petition": u.petition.title,
                "news_sent": u.sent_at.isoformat(),
            }
            for u in PetitionUpdate.objects.filter(sent_by=user).select_related(
                "petition__association"
            )
        ]
        rows += [
            {
                "association": b.petition.association.name,
                "petition": b.petition.title,
                "invalidated": b.created_at.isoformat(),
                "reason": b.reason,
            }
            for b in SignatureInvalidation.objects.filter(created_by=user).select_related(
                "petition__association"
            )
        ]
    return rows


registry.register(
    PrivacyEntry(
        key="petition_team",
        label=_("Petitions (team)"),
        data=_(
            "Which team member created a petition, sent news to its signers or invalidated "
            "signatures."
        ),
        purpose=_("Knowing who in the team answers for a petition and its count."),
        legal_basis=_("Legitimate interest of the association (running its organisation)."),
        retention=_(
            "As long as the petition; the link to the account goes when the account is deleted."
        ),
        models=(
            "mobilisation.Petition",
            "mobilisation.PetitionUpdate",
            "mobilisation.SignatureInvalidation",
        ),
        export_user=_team_export,
        order=471,
    )
)


# --- Event registrations and check-in -----------------------------------------------------

REGISTRATION_PENDING_RETENTION = dt.timedelta(days=30)
REGISTRATION_RETENTION = dt.timedelta(days=365)  # after the event ends
COMPLETION_RETENTION = dt.timedelta(days=730)


def _registrations_of(person):
    from .canonical import canonical_email
    from .models import Registration

    rows = Registration.objects.filter(association_id=person.association_id, person=person)
    if person.email:
        rows = rows | Registration.objects.filter(
            association_id=person.association_id, email_canonical=canonical_email(person.email)
        )
    return rows


def _anonymise_registrations(rows) -> int:
    return rows.filter(erased_at__isnull=True).update(
        first_name="",
        last_name="",
        email="",
        email_canonical=Concat(Value("~"), F("uuid")),
        user=None,
        person=None,
        source="",
        erased_at=timezone.now(),
    )


def _export_registrations(person) -> list[dict]:
    return [
        {
            "event": r.event.title,
            "starts_at": r.event.starts_at.isoformat(),
            "first_name": r.first_name,
            "last_name": r.last_name,
            "email": r.email,
            "guests": r.guests,
            "agreed_to_news": r.news,
            "source": r.source,
            "status": r.status,
            "registered_at": r.created_at.isoformat(),
            "checked_in_at": r.checked_in_at.isoformat() if r.checked_in_at else "",
        }
        for r in _registrations_of(person).select_related("event")
    ]


def _erase_registrations(person) -> None:
    from .models import Registration

    rows = _registrations_of(person)
    rows.filter(status=Registration.Status.PENDING).delete()
    # Kept, anonymous: the places stay counted and the attendance figures stay true.
    _anonymise_registrations(_registrations_of(person))


def _registrations_retention(now: dt.datetime) -> int:
    from .models import Registration

    touched = Registration.objects.filter(
        status=Registration.Status.PENDING,
        created_at__lt=now - REGISTRATION_PENDING_RETENTION,
    ).delete()[0]
    touched += _anonymise_registrations(
        Registration.objects.filter(event__ends_at__lt=now - REGISTRATION_RETENTION)
    )
    return touched


registry.register(
    PrivacyEntry(
        key="event_registrations",
        label=_("Event registrations and check-in"),
        data=_(
            "First and last name, e-mail address, number of guests of each registrant; whether "
            "they agreed to receive news; the share link they came from; their place or rank "
            "on the waiting list; the time the team checked them in at the door."
        ),
        purpose=_(
            "Managing places and the waiting list, confirming registrations by e-mail, sending "
            "the reminder and the online link, checking people in, counting attendance."
        ),
        legal_basis=_("Consent of the registrant (they register and confirm by e-mail)."),
        retention=_(
            "Registrations never confirmed: 30 days. Others: one year after the event, then "
            "they stay counted without name or address."
        ),
        models=("mobilisation.Registration",),
        export_person=_export_registrations,
        erase_person=_erase_registrations,
        apply_retention=_registrations_retention,
        order=472,
    )
)


def _completions_of(person):
    from .canonical import canonical_email
    from .models import ActionCompletion

    rows = ActionCompletion.objects.filter(association_id=person.association_id, person=person)
    if person.email:
        rows = rows | ActionCompletion.objects.filter(
            association_id=person.association_id, email_canonical=canonical_email(person.email)
        )
    return rows


def _anonymise_completions(rows) -> int:
    return rows.exclude(name="", email="", person=None).update(
        name="", email="", email_canonical="", person=None
    )


def _export_completions(person) -> list[dict]:
    return [
        {
            "action": c.action.title,
            "name": c.name,
            "email": c.email,
            "source": c.source,
            "done_at": c.created_at.isoformat(),
        }
        for c in _completions_of(person).select_related("action")
    ]


def _completions_retention(now: dt.datetime) -> int:
    from .models import ActionCompletion

    return _anonymise_completions(
        ActionCompletion.objects.filter(created_at__lt=now - COMPLETION_RETENTION)
    )


registry.register(
    PrivacyEntry(
        key="action_completions",
        label=_("Calls to action completed"),
        data=_(
            "The name and e-mail address a person gives (both optional) when they say they did "
            "an action (shared a page, wrote to an addressee, registered to an event), and the "
            "share link they came from."
        ),
        purpose=_("Counting who took part, once per person, and thanking them."),
        legal_basis=_("Consent of the person (they fill the form)."),
        retention=_("Two years, then the completion stays counted without name or address."),
        models=("mobilisation.ActionCompletion",),
        export_person=_export_completions,
        erase_person=lambda person: _anonymise_completions(_completions_of(person)),
        apply_retention=_completions_retention,
        order=473,
    )
)
