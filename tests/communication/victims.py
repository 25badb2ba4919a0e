"""Objects of communication for the tenancy test (tests/core/test_tenancy.py)."""


def victims(*, association, presidente, person) -> dict:
    found: dict = {}
    # Lists and mailings
    from essaim.communication import bounces, lists, mailings

    newsletter = lists.newsletter_create(
        association=association, acting_user=presidente, name="Liste victime"
    )
    mailing = mailings.mailing_create(
        association=association,
        acting_user=presidente,
        subject="Envoi victime",
        body="Bonjour {{ first_name }}",
        topic="newsletter",
    )
    suppression = bounces.suppression_add(
        association=association,
        acting_user=presidente,
        email="victime@example.net",
        reason="manual",
    )
    found.update(
        {
            "list_uuid": newsletter.uuid,
            "mailing_uuid": mailing.uuid,
            "suppression_uuid": suppression.uuid,
        }
    )
    # Audiences, public page and news
    from essaim.communication import audiences, site

    audience = audiences.audience_create(
        association=association,
        acting_user=presidente,
        name="Audience victime",
        definition={"version": 1, "include": [{"criterion": "people.has_email", "params": {}}]},
    )
    site.public_page_update(association=association, acting_user=presidente, published=True)
    post = site.news_create(
        association=association, acting_user=presidente, title="Nouvelle victime", body="Secret"
    )
    found.update({"audience_uuid": audience.uuid, "post_uuid": post.uuid})
    return found
