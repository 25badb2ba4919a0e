"""Calls to action: create, publish, complete (share, write), the event kind counted from
registrations, the team's list and export, the outsider."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from essaim.mobilisation import actions, events
from essaim.mobilisation.models import ActionCompletion, CallToAction

from .test_events import make_event, registration_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]

WRITE = {
    "kind": "write",
    "title": "Écrivez à la maire pour le square",
    "description": "Le square Léon doit rester un jardin.",
    "addressee_name": "Madame la Maire",
    "addressee_email": "maire@example.org",
    "subject_template": "Le square Léon",
    "body_template": "{addressee},\n\nJe souhaite que le square reste un jardin.\n\n{name}",
}


def create(association, presidente, publish=True, **fields):
    with scope(association=association):
        action = actions.action_create(association=association, acting_user=presidente, **fields)
        if publish:
            action = actions.action_set_status(
                association=association, acting_user=presidente, action=action, status="published"
            )
    action.association = association
    return action


def page(action):
    return reverse(
        "mobilisation_public:action",
        kwargs={"slug": action.association.slug, "action_slug": action.slug},
    )


def test_bad_input(association, presidente):
    with scope(association=association):
        for extra, field in (
            ({"kind": "nope"}, "kind"),
            ({"addressee_email": "pas-une-adresse"}, "addressee_email"),
            ({"body_template": ""}, "body_template"),
            ({"title": ""}, "title"),
        ):
            with pytest.raises(ValidationError) as error:
                actions.action_create(
                    association=association, acting_user=presidente, **(WRITE | extra)
                )
            assert field in error.value.message_dict
        with pytest.raises(ValidationError) as error:
            actions.action_create(
                association=association, acting_user=presidente, kind="event", title="Venez"
            )
        assert "event" in error.value.message_dict
        assert CallToAction.objects.count() == 0


def test_write_action_page_mailto_and_completion(client, association, presidente):
    action = create(association, presidente, **WRITE)
    html = client.get(page(action) + "?name=Jeanne+Durand&src=newsletter").content.decode()
    assert "mailto:maire@example.org?subject=Le%20square%20L" in html
    assert "Jeanne Durand" in html and "Madame la Maire," in html
    response = client.post(
        page(action) + "?src=newsletter",
        {"name": "Jeanne", "email": "jeanne@example.org", "src": "newsletter"},
    )
    assert response.status_code == 302
    # The same address again: counted once, the same thanks.
    again = client.post(page(action), {"name": "Jeanne", "email": "JEANNE@example.org"})
    assert again.status_code == 302
    assert "It is counted" in client.get(response["Location"]).content.decode()
    with scopes_disabled():
        completion = ActionCompletion.objects.get()
    assert completion.source == "newsletter"
    bad = client.post(page(action), {"email": "x@yopmail.com"})
    assert bad.status_code == 200 and "throw-away" in bad.content.decode()


def test_share_action_anonymous_completions_are_limited(client, association, presidente):
    action = create(association, presidente, kind="share", title="Partagez la pétition")
    statuses = [client.post(page(action), {}).status_code for _ in range(21)]
    assert statuses[:20] == [302] * 20 and statuses[20] == 429
    with scopes_disabled():
        assert ActionCompletion.objects.count() == 20


def test_draft_and_closed(client, association, presidente):
    draft = create(association, presidente, publish=False, kind="share", title="Brouillon")
    assert client.get(page(draft)).status_code == 404
    closed = create(association, presidente, kind="share", title="Fermée")
    with scope(association=association):
        actions.action_set_status(
            association=association, acting_user=presidente, action=closed, status="closed"
        )
    assert client.post(page(closed), {}).status_code == 200
    with scopes_disabled():
        assert ActionCompletion.objects.count() == 0


def test_event_action_counts_confirmed_registrations(client, association, presidente):
    event = make_event(association, presidente)
    with scope(association=association):
        event_obj = events.Event.objects.get(pk=event.pk)
    action = create(association, presidente, kind="event", title="Venez", event=event_obj)
    html = client.get(page(action)).content.decode()
    source = actions.action_source(action)
    assert f"src={source}" in html
    with scope(association=association):
        events.registration_create(
            association=association,
            event=event,
            email="jeanne@example.org",
            first_name="Jeanne",
            last_name="Durand",
            source=source,
        )
    with scopes_disabled():
        assert ActionCompletion.objects.count() == 0  # not confirmed yet
    registration = registration_of(association, "jeanne@example.org")
    with scope(association=association):
        events.registration_confirm(registration=registration)
    with scopes_disabled():
        completion = ActionCompletion.objects.get()
    assert completion.registration_id == registration.pk and completion.person_id


def test_team_pages_export_and_outsider(client_for, association, presidente, outsider, benevole):
    action = create(association, presidente, **WRITE)
    with scope(association=association):
        actions.completion_record(
            association=association, action=action, name="Jeanne", email="jeanne@example.org"
        )
    client = client_for(presidente)
    kwargs = {"association_slug": association.slug}
    assert "Écrivez" in client.get(reverse("mobilisation:actions", kwargs=kwargs)).content.decode()
    detail = reverse("mobilisation:action", kwargs={**kwargs, "action_uuid": action.uuid})
    assert "jeanne@example.org" in client.get(detail).content.decode()
    export = client.get(
        reverse("mobilisation:action_export", kwargs={**kwargs, "action_uuid": action.uuid})
    )
    assert "jeanne@example.org" in export.content.decode()
    response = client.post(reverse("mobilisation:action_create", kwargs=kwargs), {"kind": "share"})
    assert response.status_code == 200 and "has-error" in response.content.decode()
    response = client.post(
        reverse("mobilisation:action_create", kwargs=kwargs),
        {"kind": "share", "title": "Partagez"},
    )
    assert response.status_code == 302
    for user, status in ((outsider, 404), (benevole, 403)):
        assert client_for(user).get(detail).status_code == status
