"""Each app's audience criteria (people.segments): what they match, in SQL, and their
parameters' validation."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scopes_disabled

from essaim.communication.audiences import clean_definition, definition_persons
from essaim.people import segments
from essaim.people.models import Consent, Person, Tag
from tests.factories import PersonFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


@pytest.fixture(autouse=True)
def _no_scopes():
    with scopes_disabled():
        yield


def persons(association, *include, exclude=()):
    definition = {
        "version": 1,
        "include": [{"criterion": k, "params": p} for k, p in include],
        "exclude": [{"criterion": k, "params": p} for k, p in exclude],
    }
    definition = clean_definition(association, definition)
    found = definition_persons(association, definition)
    # The count and the list agree.
    assert found.count() == len(list(found))
    # The présidente's own contact record is left aside: tests create their persons.
    return {p for p in found if p.email != "presidente@example.org"}


def test_every_app_registers_its_criteria():
    keys = {c.key for c in segments.all_criteria()}
    assert {
        "people.tags",
        "people.consent",
        "people.has_email",
        "people.postcode",
        "people.created",
        "members.status",
        "members.type",
        "members.joined",
        "fundraising.gave",
        "fundraising.total",
        "fundraising.monthly",
        "volunteering.applications",
        "mobilisation.signed",
    } <= keys


def test_people_criteria(association):
    a = PersonFactory(association=association, postcode="75011")
    b = PersonFactory(association=association, postcode="93100", email="")
    c = PersonFactory(association=association, postcode="20090")
    erased = PersonFactory(association=association, postcode="75011", erased_at=timezone.now())
    voisins = Tag.objects.create(association=association, name="voisins")
    jardin = Tag.objects.create(association=association, name="jardin")
    a.tags.add(voisins)
    b.tags.add(jardin)
    erased.tags.add(voisins)

    assert persons(association, ("people.tags", {"tags": [str(voisins.pk)]})) == {a}
    # OR within a criterion's choices.
    both = {"tags": [str(voisins.pk), str(jardin.pk)]}
    assert persons(association, ("people.tags", both)) == {a, b}
    # Exclude: "not tagged jardin".
    assert persons(association, exclude=[("people.tags", {"tags": [str(jardin.pk)]})]) == {a, c}
    assert persons(association, ("people.has_email", {})) == {a, c}
    assert persons(association, ("people.postcode", {"prefixes": "75, 93"})) == {a, b}
    assert persons(association, ("people.postcode", {"prefixes": "2A"})) == {c}
    # AND between criteria.
    assert (
        persons(association, ("people.has_email", {}), ("people.postcode", {"prefixes": "93"}))
        == set()
    )
    today = timezone.localdate().isoformat()
    assert persons(association, ("people.created", {"since": today})) == {a, b, c}
    assert persons(association, ("people.created", {"until": "2000-01-01"})) == set()


def test_consent_reads_the_latest_answer(association):
    a = PersonFactory(association=association)
    b = PersonFactory(association=association)
    old = timezone.now() - dt.timedelta(days=3)
    Consent.objects.create(
        association=association,
        person=a,
        topic="newsletter",
        granted=True,
        source="online",
        recorded_at=old,
    )
    Consent.objects.create(
        association=association,
        person=b,
        topic="newsletter",
        granted=True,
        source="online",
        recorded_at=old,
    )
    # b changed their mind.
    Consent.objects.create(
        association=association, person=b, topic="newsletter", granted=False, source="email"
    )
    assert persons(association, ("people.consent", {"topics": ["newsletter"]})) == {a}
    assert persons(association, ("people.consent", {"topics": ["sms"]})) == set()


def test_members_criteria(association):
    from essaim.members.models import Membership, MembershipType

    today = timezone.localdate()
    annual = MembershipType.objects.create(association=association, name="Annuelle")
    family = MembershipType.objects.create(association=association, name="Famille")
    current = PersonFactory(association=association)
    lapsed = PersonFactory(association=association)
    pending = PersonFactory(association=association)
    never = PersonFactory(association=association)

    def member(person, mtype, start, end, paid=True):
        Membership.objects.create(
            association=association,
            person=person,
            membership_type=mtype,
            period_start=start,
            period_end=end,
            grace_until=end,
            paid_on=start if paid else None,
        )

    member(current, annual, today - dt.timedelta(days=30), today + dt.timedelta(days=300))
    member(current, family, dt.date(2020, 1, 1), dt.date(2020, 12, 31))
    member(lapsed, family, dt.date(2021, 1, 1), dt.date(2021, 12, 31))
    member(pending, annual, today, today + dt.timedelta(days=365), paid=False)

    def status(*choices):
        return persons(association, ("members.status", {"statuses": list(choices)}))

    assert status("current") == {current}
    assert status("lapsed") == {lapsed}
    assert status("pending") == {pending}
    assert status("never") == {never}
    assert status("current", "never") == {current, never}
    assert persons(association, ("members.type", {"types": [str(family.pk)]})) == {
        current,
        lapsed,
    }
    assert (
        persons(association, ("members.type", {"types": [str(family.pk)], "current_only": "yes"}))
        == set()
    )
    # Joined: the first membership's start.
    assert persons(
        association, ("members.joined", {"since": "2020-01-01", "until": "2020-12-31"})
    ) == {current}


def test_fundraising_criteria(association):
    from essaim.fundraising.models import Gift, RecurringGift

    big = PersonFactory(association=association)
    small = PersonFactory(association=association)
    monthly = PersonFactory(association=association)
    Gift.objects.create(
        association=association, person=big, amount_cents=8000, received_on=dt.date(2025, 3, 1)
    )
    Gift.objects.create(
        association=association, person=big, amount_cents=4000, received_on=dt.date(2026, 3, 1)
    )
    Gift.objects.create(
        association=association, person=small, amount_cents=1000, received_on=dt.date(2026, 5, 1)
    )
    # An anonymous gift (no person) must not empty an exclude (NULL in NOT IN).
    Gift.objects.create(association=association, amount_cents=500, received_on=dt.date(2026, 5, 1))
    RecurringGift.objects.create(
        association=association, person=monthly, amount_cents=1000, started_on=dt.date(2026, 1, 1)
    )
    assert persons(association, ("fundraising.gave", {"since": "2026-01-01"})) == {big, small}
    assert persons(association, ("fundraising.total", {"amount": "100"})) == {big}
    assert (
        persons(association, ("fundraising.total", {"amount": "100", "since": "2026-01-01"}))
        == set()
    )
    assert persons(association, ("fundraising.monthly", {})) == {monthly}
    assert persons(association, exclude=[("fundraising.gave", {})]) == {monthly}


def test_volunteering_criteria(association, presidente):
    from essaim.volunteering.models import Application, Mission

    mission = Mission.objects.create(association=association, title="Aide aux devoirs")
    other = Mission.objects.create(association=association, title="Maraude")
    accepted_user = UserFactory()
    submitted_user = UserFactory()
    accepted = PersonFactory(association=association, user=accepted_user)
    submitted = PersonFactory(association=association, user=submitted_user)
    PersonFactory(association=association)  # no account
    Application.objects.create(
        association=association, mission=mission, user=accepted_user, status="accepted"
    )
    Application.objects.create(
        association=association, mission=other, user=submitted_user, status="submitted"
    )
    assert persons(association, ("volunteering.applications", {})) == {accepted}
    assert persons(
        association,
        (
            "volunteering.applications",
            {"statuses": ["accepted", "submitted"], "missions": [str(other.pk)]},
        ),
    ) == {submitted}


def test_mobilisation_criteria(association):
    from essaim.mobilisation.models import Petition, Signature

    square = Petition.objects.create(
        association=association, slug="square", title="Square", text="t", addressee="Maire"
    )
    ecole = Petition.objects.create(
        association=association, slug="ecole", title="École", text="t", addressee="Maire"
    )
    a = PersonFactory(association=association)
    b = PersonFactory(association=association)
    c = PersonFactory(association=association)

    def sign(petition, person, status="confirmed", updates=False):
        Signature.objects.create(
            association=association,
            petition=petition,
            person=person,
            status=status,
            first_name="x",
            last_name="y",
            email_canonical=person.email,
            updates=updates,
        )

    sign(square, a, updates=True)
    sign(ecole, b)
    sign(square, c, status="pending")
    assert persons(association, ("mobilisation.signed", {})) == {a, b}
    assert persons(association, ("mobilisation.signed", {"petitions": [str(ecole.pk)]})) == {b}
    assert persons(association, ("mobilisation.signed", {"updates": "yes"})) == {a}


def test_parameters_are_validated(association):
    with pytest.raises(ValidationError, match="Unknown criterion"):
        clean_definition(association, {"include": [{"criterion": "nope", "params": {}}]})
    with pytest.raises(ValidationError, match="no parameter"):
        clean_definition(
            association, {"include": [{"criterion": "people.has_email", "params": {"x": 1}}]}
        )
    with pytest.raises(ValidationError, match="amount in euros"):
        clean_definition(
            association,
            {"include": [{"criterion": "fundraising.total", "params": {"amount": "lots"}}]},
        )
    with pytest.raises(ValidationError, match="from"):
        clean_definition(
            association,
            {"include": [{"criterion": "people.created", "params": {"since": "31/02/2026"}}]},
        )
    with pytest.raises(ValidationError, match=r"no longer exists"):
        clean_definition(
            association, {"include": [{"criterion": "people.tags", "params": {"tags": ["999"]}}]}
        )
    with pytest.raises(ValidationError):
        clean_definition(association, {"include": "people.tags"})
    with pytest.raises(ValidationError, match="unknown format"):
        clean_definition(association, {"version": 7})
    with pytest.raises(ValidationError):
        clean_definition(association, ["people.tags"])


def test_another_associations_tag_matches_nobody(association, other_association):
    theirs = Tag.objects.create(association=other_association, name="leurs")
    p = PersonFactory(association=association)
    p.tags.add(theirs)  # impossible through the services; the criterion still guards it
    definition = {
        "version": 1,
        "include": [{"criterion": "people.tags", "params": {"tags": [str(theirs.pk)]}}],
    }
    assert list(definition_persons(association, definition)) == []
    assert p in Person.objects.filter(association=association)


def test_event_registrants(association):
    from essaim.mobilisation.models import Event, Registration

    now = timezone.now()
    fete = Event.objects.create(
        association=association, slug="fete", title="Fête", starts_at=now, ends_at=now
    )
    ag = Event.objects.create(
        association=association, slug="ag", title="AG", starts_at=now, ends_at=now
    )
    a = PersonFactory(association=association)
    b = PersonFactory(association=association)
    c = PersonFactory(association=association)

    def register(event, person, status):
        Registration.objects.create(
            association=association,
            event=event,
            person=person,
            status=status,
            first_name="x",
            last_name="y",
            email_canonical=person.email,
        )

    register(fete, a, "confirmed")
    register(ag, b, "waiting")
    register(ag, c, "pending")
    assert persons(association, ("mobilisation.registered", {})) == {a, b}
    assert persons(association, ("mobilisation.registered", {"events": [str(ag.pk)]})) == {b}
