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
