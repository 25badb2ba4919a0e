import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scope

from essaim.core.models import AuditLog
from essaim.people import selectors, services
from essaim.people.models import Consent, Person, Tag


@pytest.fixture
def scoped(association):
    with scope(association=association):
        yield association


def create(association, acting, **fields):
    return services.person_create(association=association, acting_user=acting, **fields)


def test_create_normalises_and_logs(scoped, presidente):
    person = create(
        scoped,
        presidente,
        first_name="  Émilie ",
        last_name="Le   Goff",
        email="emilie@example.org",
        phone="06 12 34 56 78",
        postcode="1000",
        tags=["Bénévole", "bénévole", " jardin "],
    )
    assert person.first_name == "Émilie"
    assert person.last_name == "Le Goff"
    assert person.phone == "+33612345678"
    assert person.phone_display == "06 12 34 56 78"
    assert person.postcode == "01000"  # Excel dropped the leading zero
    assert sorted(t.name for t in person.tags.all()) == ["Bénévole", "jardin"]
    assert person.sort_name == "le goff emilie"
    assert "emilie" in person.search_text and "0612345678" in person.search_text
    assert AuditLog.objects.filter(action="person.create", object_id=str(person.uuid)).exists()


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"last_name": "X", "email": "not-an-email"}, "email"),
        ({"last_name": "X", "postcode": "750"}, "postcode"),
        ({"last_name": "X", "postcode": "99000"}, "postcode"),
        ({"last_name": "X", "phone": "12"}, "phone"),
        ({"last_name": "X", "birth_date": dt.date(2999, 1, 1)}, "birth_date"),
        ({"last_name": "X", "birth_date": dt.date(1850, 1, 1)}, "birth_date"),
        ({"last_name": "X", "country": "France"}, "country"),
        ({"last_name": "Nul\x00"}, "last_name"),
        ({"last_name": "Surrogate\ud800"}, "last_name"),
        ({"last_name": "x" * 151}, "last_name"),
        ({}, "last_name"),
    ],
)
def test_create_rejects_bad_input_and_writes_nothing(scoped, presidente, fields, field):
    with pytest.raises(ValidationError) as error:
        create(scoped, presidente, **fields)
    assert field in error.value.message_dict
    assert not Person.objects.exclude(source="account").exists()
    assert AuditLog.objects.filter(action="person.create").count() == 1  # the présidente's own


def test_foreign_postcode_is_free_form(scoped, presidente):
    person = create(scoped, presidente, last_name="Müller", country="de", postcode="10115")
    assert person.country == "DE"


def test_update_logs_sensitive_fields_only(scoped, presidente):
    person = create(scoped, presidente, last_name="Martin", email="a@example.org", notes="x")
    services.person_update(
        association=scoped,
        acting_user=presidente,
        person=person,
        email="b@example.org",
        notes="secret note",
        tags=["bureau"],
    )
    log = AuditLog.objects.get(action="person.update")
    assert log.changes["email"] == ["a@example.org", "b@example.org"]
    assert log.changes["notes"] is True  # the note itself is not copied into the log
    assert log.changes["tags"] == [[], ["bureau"]]


def test_bulk_tag(scoped, presidente):
    people = [create(scoped, presidente, last_name=f"P{i}") for i in range(3)]
    assert (
        services.persons_tag(
            association=scoped, acting_user=presidente, persons=people, tag_name="AG 2026"
        )
        == 3
    )
    assert (
        services.persons_tag(
            association=scoped, acting_user=presidente, persons=people, tag_name="ag 2026"
        )
        == 0
    )
    assert Tag.objects.get().persons.count() == 3


def test_consent_history_and_current(scoped, presidente):
    person = create(scoped, presidente, last_name="Martin")
    services.consent_record(
        association=scoped,
        acting_user=presidente,
        person=person,
        topic="newsletter",
        granted=True,
        source="paper",
    )
    services.consent_record(
        association=scoped,
        acting_user=presidente,
        person=person,
        topic="newsletter",
        granted=False,
        source="email",
    )
    current = services.current_consents(person)
    assert current["newsletter"].granted is False
    assert Consent.objects.filter(person=person).count() == 2
    with pytest.raises(ValidationError):
        services.consent_record(
            association=scoped,
            acting_user=presidente,
            person=person,
            topic="telepathy",
            granted=True,
            source="paper",
        )
    with pytest.raises(ValidationError):
        services.consent_record(
            association=scoped,
            acting_user=presidente,
            person=person,
            topic="photos",
            granted=True,
            source="paper",
            recorded_at=timezone.now() + dt.timedelta(days=2),
        )


def test_merge_moves_everything_and_fills_gaps(scoped, presidente, citizen):
    keep = create(
        scoped,
        presidente,
        first_name="Benoît",
        last_name="Lévêque",
        email="b@example.org",
        tags=["a"],
    )
    dup = create(
        scoped,
        presidente,
        first_name="Benoit",
        last_name="LEVEQUE",
        email="b@example.org",
        phone="0612345678",
        notes="vu à l'AG",
        tags=["b"],
        user=citizen,
    )
    services.consent_record(
        association=scoped,
        acting_user=presidente,
        person=dup,
        topic="photos",
        granted=True,
        source="paper",
    )
    kept = services.person_merge(
        association=scoped,
        acting_user=presidente,
        keep=keep,
        remove=dup,
        take_from_removed=["first_name"],
    )
    assert kept.first_name == "Benoit"  # chosen from the duplicate
    assert kept.last_name == "Lévêque"  # kept
    assert kept.phone == "+33612345678"  # gap filled
    assert kept.user == citizen
    assert "vu à l'AG" in kept.notes
    assert sorted(t.name for t in kept.tags.all()) == ["a", "b"]
    assert Consent.objects.get().person == kept
    assert not Person.objects.filter(pk=dup.pk).exists()
    assert AuditLog.objects.filter(action="person.merge", object_id=str(kept.uuid)).exists()


def test_merge_refuses_two_accounts(scoped, presidente, citizen, tresorier):
    a = create(scoped, presidente, last_name="A", user=citizen)
    b = create(scoped, presidente, last_name="A", user=tresorier)
    with pytest.raises(ValidationError):
        services.person_merge(association=scoped, acting_user=presidente, keep=a, remove=b)
    with pytest.raises(ValidationError):
        services.person_merge(association=scoped, acting_user=presidente, keep=a, remove=a)


def test_search_is_accent_and_case_insensitive(scoped, presidente):
    emilie = create(
        scoped, presidente, first_name="Émilie", last_name="Lefèvre", city="Saint-Étienne"
    )
    create(scoped, presidente, first_name="Emile", last_name="Zola", email="zola@example.org")
    create(scoped, presidente, first_name="Œdipe", last_name="Roi", phone="0612345678")

    def names(query, **kw):
        qs = selectors.person_search(association=scoped, query=query, **kw)
        return sorted(p.first_name for p in qs.exclude(source="account"))

    assert names("emilie") == ["Émilie"]
    assert names("EMILIE lefevre") == ["Émilie"]
    assert names("étienne") == ["Émilie"]
    assert names("emil") == ["Emile", "Émilie"]
    assert names("oedipe") == ["Œdipe"]
    assert names("06 12") == ["Œdipe"]  # each word is found in the folded phone
    assert names("0612345678") == ["Œdipe"]
    assert names("+33612345678") == ["Œdipe"]
    assert names("nobody") == []
    assert names("\x00") == ["Emile", "Émilie", "Œdipe"]  # control characters are ignored
    assert names("", has_email="yes") == ["Emile"]
    recent = selectors.person_search(association=scoped, order="recent").exclude(source="account")
    assert recent[0].pk != emilie.pk


def test_duplicate_groups(scoped, presidente):
    create(scoped, presidente, first_name="Anne", last_name="Roux", email="anne@example.org")
    create(scoped, presidente, first_name="Anne", last_name="ROUX", email="Anne@Example.org")
    create(scoped, presidente, first_name="Paul", last_name="Petit", birth_date=dt.date(1980, 1, 2))
    create(scoped, presidente, first_name="Paul", last_name="Petit", birth_date=dt.date(1980, 1, 2))
    create(scoped, presidente, first_name="Lou", last_name="Seul")
    groups = selectors.duplicate_groups(scoped)
    reasons = [g["reason"] for g in groups]
    assert reasons == ["email", "name_birth"]


def test_erase_anonymises_and_keeps_shell(scoped, presidente, citizen):
    person = create(
        scoped,
        presidente,
        first_name="Émilie",
        last_name="Le Goff",
        email="emilie@example.org",
        notes="allergique",
        tags=["bureau"],
        user=citizen,
    )
    services.consent_record(
        association=scoped,
        acting_user=presidente,
        person=person,
        topic="photos",
        granted=True,
        source="paper",
    )
    services.person_update(
        association=scoped, acting_user=presidente, person=person, email="e2@example.org"
    )
    services.person_erase(
        association=scoped, acting_user=presidente, person=person, reason="demande RGPD"
    )
    person.refresh_from_db()
    assert person.is_erased
    assert (person.first_name, person.last_name, person.email, person.notes) == ("", "", "", "")
    assert person.user is None and person.search_text == ""
    assert not person.tags.exists()
    assert not Consent.objects.filter(person=person).exists()
    for row in AuditLog.objects.filter(object_id=str(person.uuid)):
        text = f"{row.object_repr} {row.changes} {row.data}"
        assert "Émilie" not in text and "emilie@example.org" not in text and "e2@" not in text
    with pytest.raises(ValidationError):
        services.person_update(
            association=scoped, acting_user=presidente, person=person, last_name="Back"
        )


def test_team_members_get_a_linked_contact_record(association, presidente):
    from essaim.core import services as core_services
    from essaim.core.models import Role
    from tests.factories import UserFactory

    with scope(association=association):
        assert Person.objects.get(user=presidente).email == presidente.email
        known = create(association, presidente, last_name="Benali", email="karim@example.org")
        role = Role.objects.get(association=association, preset="tresorerie")
        _inv, token = core_services.invitation_create(
            association=association, acting_user=presidente, email="karim@example.org", role=role
        )
        _inv2, token2 = core_services.invitation_create(
            association=association, acting_user=presidente, email="new@example.org", role=role
        )
    karim = UserFactory(email="Karim@example.org")
    core_services.invitation_accept(token=token, acting_user=karim)
    newcomer = UserFactory(email="new@example.org", first_name="Noé", last_name="Neuf")
    core_services.invitation_accept(token=token2, acting_user=newcomer)
    with scope(association=association):
        known.refresh_from_db()
        assert known.user == karim  # the contact the association already had
        created = Person.objects.get(user=newcomer)
        assert (created.first_name, created.source) == ("Noé", "account")
