"""Pages of volunteering with the personas: the team's back office, the public catalogue and the
volunteer's space."""

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from essaim.core.models import OutboxEmail
from essaim.volunteering.models import Application, Mission, VolunteerProfile

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


def url(association, name, **kwargs):
    return reverse(f"volunteering:{name}", kwargs={"association_slug": association.slug, **kwargs})


MISSION_POST = {
    "title": "Distribution alimentaire",
    "description": "Tenir la distribution du jeudi.",
    "cause": "solidarite",
    "skills": ["distribution", "accueil"],
    "postcode": "75011",
    "kind": "recurring",
    "places": "3",
    "availability": ["9", "10"],
    "questions": "Avez-vous déjà fait de l'aide alimentaire ?\n",
}


def test_coordinator_creates_publishes_and_sees_the_mission(client_for, presidente, association):
    client = client_for(presidente)
    assert client.get(url(association, "missions")).status_code == 200
    assert client.get(url(association, "mission_create")).status_code == 200
    response = client.post(url(association, "mission_create"), MISSION_POST)
    assert response.status_code == 302
    with scope(association=association):
        mission = Mission.objects.get()
    assert mission.questions == ["Avez-vous déjà fait de l'aide alimentaire ?"]
    assert mission.availability == (1 << 9) | (1 << 10)
    client.post(url(association, "mission_status", mission_uuid=mission.uuid, action="publish"))
    page = client.get(url(association, "mission_detail", mission_uuid=mission.uuid))
    assert b"Distribution alimentaire" in page.content and b"published" in page.content
    edit = client.get(url(association, "mission_edit", mission_uuid=mission.uuid))
    assert edit.status_code == 200 and b"Distribution alimentaire" in edit.content


def test_bad_mission_form_shows_errors_not_500(client_for, presidente, association):
    client = client_for(presidente)
    response = client.post(
        url(association, "mission_create"), {**MISSION_POST, "postcode": "99999"}
    )
    assert response.status_code == 200
    assert b"unknown" in response.content
    zero = client.post(url(association, "mission_create"), {**MISSION_POST, "places": "0"})
    assert zero.status_code == 200 and b"has-error" in zero.content
    bad = client.post(
        url(association, "mission_create"), {**MISSION_POST, "starts_on": "31/02/2026"}
    )
    assert bad.status_code == 200


def test_member_without_the_capability_gets_403(
    client_for, benevole, tresorier, association, make_mission
):
    mission = make_mission()
    for user in (benevole, tresorier):
        client = client_for(user)
        assert client.get(url(association, "missions")).status_code == 403
        assert (
            client.get(url(association, "mission_detail", mission_uuid=mission.uuid)).status_code
            == 403
        )
        assert (
            client.post(
                url(association, "mission_status", mission_uuid=mission.uuid, action="close")
            ).status_code
            == 403
        )


def test_outsider_gets_404(
    client_for, outsider, other_association, association, make_mission, apply_to, volunteer
):
    mission = make_mission()
    application = apply_to(mission, volunteer)
    client = client_for(outsider)
    assert client.get(url(association, "missions")).status_code == 404
    assert (
        client.get(url(other_association, "mission_detail", mission_uuid=mission.uuid)).status_code
        == 404
    )
    assert (
        client.get(
            url(other_association, "application_detail", application_uuid=application.uuid)
        ).status_code
        == 404
    )
    # the volunteer's own application page is hers only
    public = reverse(
        "volunteering_public:application", kwargs={"application_uuid": application.uuid}
    )
    assert client.get(public).status_code == 404


def test_catalogue_for_anonymous_visitors_with_filters(client, make_mission):
    make_mission(title="Épicerie solidaire")
    make_mission(title="Draft", publish=False)
    page = client.get(reverse("volunteering_public:catalogue"))
    assert (
        page.status_code == 200
        and b"\xc3\x89picerie solidaire" in page.content
        and b"Draft" not in page.content
    )
    search = client.get(
        reverse("volunteering_public:catalogue"), {"q": "EPICERIE", "postcode": "75011"}
    )
    assert b"1 mission" in search.content
    unknown = client.get(reverse("volunteering_public:catalogue"), {"postcode": "99999"})
    assert unknown.status_code == 200 and b"unknown" in unknown.content
    bad = client.get(
        reverse("volunteering_public:catalogue"), {"date": "nope", "page": "x", "distance": "7"}
    )
    assert bad.status_code == 200


def test_draft_mission_page_is_404(client, make_mission):
    mission = make_mission(publish=False)
    assert (
        client.get(
            reverse("volunteering_public:mission", kwargs={"mission_uuid": mission.uuid})
        ).status_code
        == 404
    )


def test_citizen_fills_profile_applies_and_follows(
    client_for, citizen, association, presidente, make_mission
):
    mission = make_mission(questions=["Pourquoi ?"])
    client = client_for(citizen)
    response = client.post(
        reverse("volunteering_public:profile"),
        {
            "skills": ["aide-devoirs"],
            "postcode": "75011",
            "radius_km": "5",
            "availability": ["0"],
            "causes": ["education"],
        },
    )
    assert response.status_code == 302
    assert VolunteerProfile.objects.get(user=citizen).commune.startswith("Paris")
    space = client.get(reverse("volunteering_public:space"))
    assert b"Aide aux devoirs" in space.content  # missions for you
    mission_url = reverse("volunteering_public:mission", kwargs={"mission_uuid": mission.uuid})
    assert client.get(mission_url + "?src=flyer").status_code == 200
    apply_url = reverse("volunteering_public:apply", kwargs={"mission_uuid": mission.uuid})
    refused = client.post(apply_url, {"answer_0": "Envie"})
    assert refused.status_code == 200 and b"share your volunteer profile" in refused.content
    response = client.post(apply_url, {"answer_0": "Envie", "consent": "on"})
    assert response.status_code == 302
    with scopes_disabled():
        application = Application.objects.get()
    assert application.source == "flyer"
    page = client.get(response["Location"])
    assert b"submitted" in page.content
    client.post(response["Location"], {"body": "Quand commence-t-on ?"})
    # the coordinator answers and accepts
    team = client_for(presidente)
    detail = team.get(url(association, "application_detail", application_uuid=application.uuid))
    assert b"Quand commence-t-on" in detail.content and b"Envie" in detail.content
    team.post(
        url(association, "application_detail", application_uuid=application.uuid),
        {"body": "Jeudi !"},
    )
    team.post(
        url(association, "application_action", application_uuid=application.uuid, action="accept")
    )
    page = client.get(response["Location"])
    assert b"accepted" in page.content and b"Jeudi !" in page.content
    with scopes_disabled():
        assert OutboxEmail.objects.filter(to=citizen.email, kind="volunteer_status").exists()
    listing = team.get(url(association, "missions"))
    assert b"1 applications answered out of 1" in listing.content


def test_profile_form_with_unknown_postcode(client_for, citizen):
    response = client_for(citizen).post(
        reverse("volunteering_public:profile"), {"postcode": "99999", "radius_km": "5"}
    )
    assert response.status_code == 200 and b"unknown" in response.content


def test_volunteer_withdraws(client_for, volunteer, make_mission, apply_to):
    application = apply_to(make_mission(), volunteer)
    client = client_for(volunteer)
    client.post(
        reverse(
            "volunteering_public:application_withdraw",
            kwargs={"application_uuid": application.uuid},
        )
    )
    with scopes_disabled():
        assert Application.objects.get().status == "withdrawn"


def test_space_and_apply_need_an_account(client, make_mission):
    mission = make_mission()
    assert client.get(reverse("volunteering_public:space")).status_code == 302
    assert (
        client.get(
            reverse("volunteering_public:apply", kwargs={"mission_uuid": mission.uuid})
        ).status_code
        == 302
    )


def test_skills_page(client_for, presidente, association):
    client = client_for(presidente)
    assert client.post(url(association, "skills"), {"label": "Apiculture"}).status_code == 302
    assert b"Apiculture" in client.get(url(association, "skills")).content
    assert client.post(url(association, "skills"), {"label": "Cuisine"}).status_code == 200


def test_catalogue_queries_are_bounded(client, make_mission, django_assert_max_num_queries):
    for index in range(25):
        make_mission(title=f"Mission {index}")
    with django_assert_max_num_queries(12):
        client.get(reverse("volunteering_public:catalogue"), {"postcode": "75011"})


def test_a_postcode_of_several_communes_offers_the_choice(client_for, citizen):
    from essaim.volunteering import places

    communes = places.communes_for("01090")
    assert len(communes) > 1
    client = client_for(citizen)
    profile_url = reverse("volunteering_public:profile")
    client.post(profile_url, {"postcode": "01090", "radius_km": "5"})
    assert VolunteerProfile.objects.get(user=citizen).insee == communes[0].insee
    page = client.get(profile_url)
    assert b'name="insee"' in page.content and communes[1].name.encode() in page.content
    client.post(profile_url, {"postcode": "01090", "insee": communes[1].insee, "radius_km": "5"})
    assert VolunteerProfile.objects.get(user=citizen).commune == communes[1].name
    # a postcode of one commune: no choice shown
    client.post(profile_url, {"postcode": "29200", "insee": communes[1].insee, "radius_km": "5"})
    client.post(profile_url, {"postcode": "01100", "insee": communes[1].insee, "radius_km": "5"})
    assert VolunteerProfile.objects.get(user=citizen).postcode == "01100"
    client.post(profile_url, {"postcode": "29200", "radius_km": "5"})
    profile = VolunteerProfile.objects.get(user=citizen)
    assert profile.commune == "Brest"
    assert b'name="insee"' not in client.get(profile_url).content
