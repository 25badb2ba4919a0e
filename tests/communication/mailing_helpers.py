"""Shared builders of the mailing tests (not a conftest: the audiences' tests own that)."""

from essaim.communication import lists, mailings
from essaim.people import services as people_services
from essaim.people.models import Consent
from tests.factories import PersonFactory


def consenting(association, n=3, topic=Consent.Topic.NEWSLETTER, **extra):
    """n contacts who said yes to `topic`."""
    persons = []
    for i in range(n):
        person = PersonFactory(association=association, email=f"reader{i}@example.net", **extra)
        people_services.consent_record(
            association=association,
            acting_user=None,
            person=person,
            topic=topic,
            granted=True,
            source=Consent.Source.PAPER,
        )
        persons.append(person)
    return persons


def draft(association, user, **fields):
    data = {
        "subject": "Nouvelles de {{ association }}",
        "from_name": "Les Amis",
        "body": "Bonjour {{ first_name }},\n\nVenez [au marché](https://example.org/marche?x=1&y=2).",
        "topic": "newsletter",
    }
    data.update(fields)
    return mailings.mailing_create(association=association, acting_user=user, **data)


def newsletter(association, user, name="La lettre", is_public=True):
    return lists.newsletter_create(
        association=association,
        acting_user=user,
        name=name,
        description="Chaque mois.",
        is_public=is_public,
    )
