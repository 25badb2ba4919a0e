"""Personal data held by people: contact records, tags and consents."""

from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from essaim.core.privacy import PrivacyEntry, Subject, registry

from .models import Consent, Person, Solicitation
from .services import anonymise_person_row, person_erase, persons_due_for_retention


def _contact_export(person) -> list[dict]:
    return [
        {
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": person.email,
            "phone": person.phone,
            "address_line1": person.address_line1,
            "address_line2": person.address_line2,
            "postcode": person.postcode,
            "city": person.city,
            "country": person.country,
            "birth_date": person.birth_date.isoformat() if person.birth_date else "",
            "notes": person.notes,
            "tags": ", ".join(sorted(t.name for t in person.tags.all())),
            "created_at": person.created_at.isoformat(),
            "last_activity_at": person.last_activity_at.isoformat(),
        }
    ]


def _contact_retention(now) -> int:
    erased = 0
    for association, due in persons_due_for_retention(now):
        for person in due.iterator():
            person_erase(
                association=association,
                acting_user=None,
                person=person,
                reason="retention",
            )
            erased += 1
    return erased


registry.register(
    PrivacyEntry(
        key="contacts",
        label=_("Contact record"),
        data=_("Name, e-mail, phone, postal address, date of birth, notes, tags."),
        purpose=_("Keeping in touch with members, donors, volunteers and supporters."),
        legal_basis=_("Legitimate interest of the association; membership contract."),
        retention=_(
            "While you are active in the association, then as long as the association has "
            "set (three years by default), after which the record is anonymised."
        ),
        models=("people.Person", "people.Tag"),
        export_person=_contact_export,
        erase_person=anonymise_person_row,
        apply_retention=_contact_retention,
        order=1000,
    )
)


def _consent_export(person) -> list[dict]:
    return [
        {
            "subject": c.get_topic_display(),
            "agreed": c.granted,
            "date": c.recorded_at.isoformat(),
            "how": c.get_source_display(),
            "note": c.note,
        }
        for c in Consent.objects.filter(person=person)
    ]


registry.register(
    PrivacyEntry(
        key="consents",
        label=_("Consents"),
        data=_("Your answers to consent questions, with their date and how they were given."),
        purpose=_("Proving consent (RGPD art. 7) and respecting your choices."),
        legal_basis=_("Legal obligation to prove consent."),
        retention=_("As long as the contact record."),
        models=("people.Consent",),
        export_person=_consent_export,
        order=900,
    )
)


def _solicitation_export(person) -> list[dict]:
    return [
        {
            "about": s.subject,
            "channel": s.get_channel_display(),
            "sent_at": s.sent_at.isoformat(),
            "answered_at": s.answered_at.isoformat() if s.answered_at else "",
        }
        for s in Solicitation.objects.filter(person=person)
    ]


def _solicitation_erase(person) -> None:
    Solicitation.objects.filter(person=person).delete()


registry.register(
    PrivacyEntry(
        key="solicitations",
        label=_("Appeals for gifts"),
        data=_("When the association asked you for a gift, how, and whether you answered."),
        purpose=_(
            "Not asking again someone who did not answer two appeals in a row (CNIL rule for "
            "donor files)."
        ),
        legal_basis=_("Legitimate interest of the association."),
        retention=_(
            "As long as the contact record; after two appeals without an answer, the record is "
            "anonymised three months after the last one unless you are a member or gave since."
        ),
        models=("people.Solicitation",),
        export_person=_solicitation_export,
        erase_person=_solicitation_erase,
        order=850,
    )
)


def _contacts_of(user) -> list[Subject]:
    with scopes_disabled():
        persons = (
            Person.objects.filter(user=user, erased_at__isnull=True)
            .select_related("association")
            .prefetch_related("tags")
        )
        return [
            Subject(folder=p.association.slug, label=p.association.name, record=p) for p in persons
        ]


registry.register_subject_finder(_contacts_of)
