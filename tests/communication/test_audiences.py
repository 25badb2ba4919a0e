import pytest
from django_scopes import scopes_disabled

from essaim.communication.audiences import audience_count, audience_persons
from essaim.communication.models import Audience
from essaim.people.models import Tag
from tests.factories import PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


@scopes_disabled()
def test_smoke_tags(association, django_assert_num_queries):
    tag = Tag.objects.create(association=association, name="voisins")
    a = PersonFactory(association=association, email="a@example.org")
    a.tags.add(tag)
    PersonFactory(association=association, email="")
    audience = Audience.objects.create(
        association=association,
        name="x",
        definition={
            "version": 1,
            "include": [{"criterion": "people.tags", "params": {"tags": [str(tag.pk)]}}],
            "exclude": [],
        },
    )
    with django_assert_num_queries(1):
        assert list(audience_persons(audience)) == [a]
    assert audience_count(audience) == 1


@scopes_disabled()
def test_deleted_membership_type_gives_a_message_and_zero(association, presidente):
    from essaim.communication.audiences import audience_create, definition_problems
    from essaim.members.models import MembershipType

    mtype = MembershipType.objects.create(association=association, name="Famille")
    audience = audience_create(
        association=association,
        acting_user=presidente,
        name="Familles",
        definition={
            "include": [{"criterion": "members.type", "params": {"types": [str(mtype.pk)]}}]
        },
    )
    mtype.delete()
    audience.refresh_from_db()
    assert audience_count(audience) == 0
    assert "no longer exists" in definition_problems(audience)[0]


@scopes_disabled()
def test_unreadable_stored_definition_holds_nobody(association):
    for stored in (
        {"version": 1, "include": [{"criterion": "gone.criterion", "params": {}}]},
        {"version": 1, "include": [{"criterion": "fundraising.total", "params": {"amount": "x"}}]},
        {"version": 9},
        {"version": 1, "include": "nope"},
        ["not", "a", "dict"],
    ):
        audience = Audience(association=association, name="x", definition=stored)
        assert audience_count(audience) == 0


@scopes_disabled()
def test_count_equals_persons_and_one_query(association, django_assert_num_queries):
    tag = Tag.objects.create(association=association, name="t")
    for i in range(30):
        p = PersonFactory(association=association, email="" if i % 3 == 0 else f"p{i}@example.org")
        if i % 2:
            p.tags.add(tag)
    audience = Audience(
        association=association,
        name="x",
        definition={
            "version": 1,
            "include": [{"criterion": "people.has_email", "params": {}}],
            "exclude": [{"criterion": "people.tags", "params": {"tags": [str(tag.pk)]}}],
        },
    )
    persons = audience_persons(audience)
    with django_assert_num_queries(1):
        listed = list(persons)
    # 10 with an e-mail and no tag, and the présidente's own contact record.
    assert audience_count(audience) == len(listed) == 11
