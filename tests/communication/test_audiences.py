import pytest
from django_scopes import scopes_disabled

from essaim.communication.audiences import audience_count, audience_persons
from essaim.communication.models import Audience
from essaim.people.models import Tag
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


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
