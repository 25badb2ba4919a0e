"""Appeals for gifts: two unanswered in a row and the contact is left alone, then erased."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from essaim.core.audit import AuditLog
from essaim.core.retention import apply_all
from essaim.people import solicitations
from essaim.people.models import Person, Solicitation
from tests.factories import PersonFactory

pytestmark = pytest.mark.usefixtures("english_ui")


def _appeal(association, persons, subject="Appel de Noël", days_ago=0):
    with scope(association=association):
        return solicitations.solicitations_record(
            association=association,
            acting_user=None,
            persons=persons,
            channel=Solicitation.Channel.EMAIL,
            subject=subject,
            sent_at=timezone.now() - dt.timedelta(days=days_ago),
        )


def _solicitable(association):
    with scope(association=association):
        return set(
            solicitations.persons_solicitable(
                association, Person.objects.filter(association=association)
            ).values_list("pk", flat=True)
        )


def test_two_unanswered_appeals_stop_the_appeals(association, person):
    assert _appeal(association, [person]) == 1
    assert person.pk in _solicitable(association)
    assert _appeal(association, [person], "Appel de printemps") == 1
    assert person.pk not in _solicitable(association)
    # A third appeal leaves the contact out.
    assert _appeal(association, [person], "Appel d'été") == 0
    with scope(association=association):
        state = solicitations.solicitation_state(person)
    assert state["flagged"] and state["open"] == 2


def test_an_answer_closes_the_open_appeals(association, person, presidente):
    _appeal(association, [person])
    _appeal(association, [person], "Relance")
    with scope(association=association):
        assert solicitations.solicitations_answer(person=person) == 2
        assert solicitations.solicitation_state(person)["open"] == 0
    assert person.pk in _solicitable(association)
    _appeal(association, [person], "Nouvel appel")
    assert person.pk in _solicitable(association)  # one open: still asked


def test_bad_appeals_are_refused(association, person):
    with scope(association=association), pytest.raises(ValidationError) as error:
        solicitations.solicitations_record(
            association=association,
            acting_user=None,
            persons=[person],
            channel="pigeon",
            subject="",
        )
    assert set(error.value.message_dict) == {"channel", "subject"}
    with scope(association=association):
        assert not Solicitation.objects.exists()


def test_other_associations_contacts_are_not_recorded(association, other_person):
    assert _appeal(association, [other_person]) == 0


def test_retention_erases_donors_left_alone_long_enough(association):
    now = timezone.now()
    with scope(association=association):
        quiet = PersonFactory(
            association=association, last_activity_at=now - dt.timedelta(days=200)
        )
        active = PersonFactory(association=association, last_activity_at=now)
        recent = PersonFactory(
            association=association, last_activity_at=now - dt.timedelta(days=200)
        )
    for days in (150, 100):
        _appeal(association, [quiet, active], f"Appel {days}", days_ago=days)
    _appeal(association, [recent], "Appel A", days_ago=30)
    _appeal(association, [recent], "Appel B", days_ago=10)
    apply_all()
    with scope(association=association):
        assert Person.objects.get(pk=quiet.pk).is_erased
        assert not Solicitation.objects.filter(person_id=quiet.pk).exists()
        assert not Person.objects.get(pk=active.pk).is_erased  # did something since
        assert not Person.objects.get(pk=recent.pk).is_erased  # still time to answer


def _detail(association, person):
    return reverse(
        "people:detail", kwargs={"association_slug": association.slug, "person_uuid": person.uuid}
    )


def _answered(association, person):
    return reverse(
        "people:solicitations_answered",
        kwargs={"association_slug": association.slug, "person_uuid": person.uuid},
    )


def test_contact_page_shows_the_flag_and_the_team_notes_an_answer(
    client_for, presidente, association, person
):
    _appeal(association, [person], "Appel de Noël")
    _appeal(association, [person], "Relance de janvier")
    client = client_for(presidente)
    page = client.get(_detail(association, person)).content.decode()
    assert "Relance de janvier" in page and "no longer asked for gifts" in page
    response = client.post(_answered(association, person))
    assert response.status_code == 302
    assert person.pk in _solicitable(association)
    with scope(association=association):
        assert AuditLog.objects.filter(action="solicitation.answered").count() == 1


def test_noting_an_answer_needs_the_capability_and_the_association(
    client_for, benevole, outsider, association, person
):
    _appeal(association, [person])
    _appeal(association, [person], "Relance")
    assert client_for(benevole).post(_answered(association, person)).status_code == 403
    assert client_for(outsider).post(_answered(association, person)).status_code == 404
    assert client_for(benevole).get(_answered(association, person)).status_code in (403, 405)
    assert person.pk not in _solicitable(association)
