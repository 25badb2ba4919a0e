"""Services of volunteering: profile, missions, applications, waiting list, reminders."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.core.models import AuditLog, OutboxEmail
from essaim.volunteering import places, services
from essaim.volunteering.models import Application, Mission, Responsiveness, VolunteerProfile
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


# --- Places -------------------------------------------------------------------------------


def test_postcode_gives_its_communes_with_coordinates():
    communes = places.communes_for("69003")
    assert [c.name for c in communes] == ["Lyon 3e Arrondissement"]
    assert 45.6 < communes[0].lat < 45.9 and 4.7 < communes[0].lon < 5.0
    assert {c.insee for c in places.communes_for(" 29200 ")} == {"29019"}


@pytest.mark.parametrize("postcode", ["00000", "99999"])
def test_unknown_postcode_is_a_clear_error(postcode):
    with pytest.raises(ValidationError, match="unknown"):
        places.communes_for(postcode)


@pytest.mark.parametrize("postcode", ["7501", "75O11", "abcde", "750111"])
def test_malformed_postcode_is_a_clear_error(postcode):
    with pytest.raises(ValidationError, match="5 digits"):
        places.communes_for(postcode)


def test_haversine_paris_lyon():
    paris, lyon = places.locate("75011"), places.locate("69002")
    assert 380 < places.haversine_km(paris.lat, paris.lon, lyon.lat, lyon.lon) < 410


def test_bounding_box_contains_the_circle():
    lat, lon = 48.85, 2.35
    min_lat, max_lat, min_lon, max_lon = places.bounding_box(lat, lon, 10)
    assert places.haversine_km(lat, lon, max_lat, lon) == pytest.approx(10, abs=0.01)
    assert places.haversine_km(lat, lon, lat, max_lon) == pytest.approx(10, abs=0.05)
    assert min_lat < lat < max_lat and min_lon < lon < max_lon


# --- Profile ------------------------------------------------------------------------------


def test_profile_is_saved_with_its_commune(citizen):
    profile = services.profile_update(
        user=citizen, skills=["cuisine"], postcode="69003", availability=5, radius_km=15
    )
    assert profile.commune == "Lyon 3e Arrondissement" and profile.insee == "69383"
    assert profile.lat is not None
    assert VolunteerProfile.objects.get(user=citizen).skills == ["cuisine"]


def test_profile_with_an_unknown_postcode_says_so(citizen):
    with pytest.raises(ValidationError) as error:
        services.profile_update(user=citizen, postcode="99999")
    assert "unknown" in error.value.message_dict["postcode"][0]
    assert not VolunteerProfile.objects.filter(user=citizen).exists()


def test_profile_refuses_unknown_codes_and_bad_numbers(citizen):
    with pytest.raises(ValidationError) as error:
        services.profile_update(
            user=citizen, skills=["juggling"], causes=["x"], availability=1 << 22, radius_km=-1
        )
    assert set(error.value.message_dict) >= {"skills", "causes", "availability", "radius_km"}


# --- Missions -----------------------------------------------------------------------------


def test_mission_create_publish_and_audit(association, presidente, make_mission):
    mission = make_mission(publish=False)
    assert mission.status == Mission.Status.DRAFT and mission.commune.startswith("Paris")
    assert mission.skill_list == "aide-devoirs" and "collegiens" in mission.search_text
    with scope(association=association):
        services.mission_set_status(
            association=association, acting_user=presidente, mission=mission, action="publish"
        )
        assert Mission.objects.get(pk=mission.pk).published_at is not None
        assert AuditLog.objects.filter(action="mission.publish").count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"places": 0}, "places"),
        ({"postcode": "99999"}, "postcode"),
        ({"postcode": "", "remote": False}, "postcode"),
        ({"cause": "nope"}, "cause"),
        ({"title": "  "}, "title"),
        ({"starts_on": dt.date(2026, 5, 2), "ends_on": dt.date(2026, 5, 1)}, "ends_on"),
        ({"skills": ["unknown-skill"]}, "skills"),
        ({"min_age": 150}, "min_age"),
        ({"questions": ["q"] * 11}, "questions"),
        ({"questions": ["nul\x00"]}, "questions"),
        ({"contact_email": "not-an-address"}, "contact_email"),
        ({"title": "nul\x00"}, "title"),
    ],
)
def test_bad_missions_are_refused_with_the_field(make_mission, fields, field):
    with pytest.raises(ValidationError) as error:
        make_mission(**fields)
    assert field in error.value.message_dict


def test_remote_mission_needs_no_postcode(make_mission):
    mission = make_mission(postcode="", remote=True)
    assert mission.lat is None and mission.remote


def test_association_skill_extends_the_list(association, presidente, make_mission):
    with scope(association=association):
        skill = services.skill_add(
            association=association, acting_user=presidente, label="Apiculture"
        )
        with pytest.raises(ValidationError):
            services.skill_add(association=association, acting_user=presidente, label="Cuisine")
    mission = make_mission(skills=[skill.code])
    assert mission.skills == [skill.code]


# --- Applications -------------------------------------------------------------------------


def test_apply_records_consent_answers_and_source(make_mission, volunteer, apply_to, association):
    mission = make_mission(questions=["Pourquoi ?"])
    application = apply_to(mission, volunteer, answers=["Parce que"], source="Affiche Mairie")
    assert application.status == Application.Status.SUBMITTED
    assert application.answers == [{"question": "Pourquoi ?", "answer": "Parce que"}]
    assert application.source == "affiche-mairie"
    assert application.consent_at is not None
    assert application.shared_profile["skills"] == ["aide-devoirs", "ecoute"]
    with scopes_disabled():
        assert Mission.objects.get(pk=mission.pk).places_taken == 1
        # the coordinator (présidente, can_manage_volunteers) is told
        assert OutboxEmail.objects.filter(
            to="presidente@example.org", kind="volunteer_applied"
        ).exists()


def test_apply_without_consent_or_answers_is_refused(make_mission, volunteer, apply_to):
    mission = make_mission(questions=["Pourquoi ?"])
    with pytest.raises(ValidationError) as error:
        apply_to(mission, volunteer, consent=False, answers=[])
    assert {"consent", "answers"} <= set(error.value.message_dict)


def test_apply_twice_is_refused(make_mission, volunteer, apply_to):
    mission = make_mission()
    apply_to(mission, volunteer)
    with pytest.raises(ValidationError, match="already applied"):
        apply_to(mission, volunteer)


def test_draft_mission_takes_no_application(make_mission, volunteer, apply_to):
    with pytest.raises(ValidationError, match="does not take"):
        apply_to(make_mission(publish=False), volunteer)


def test_full_mission_puts_people_on_the_waiting_list_and_promotes_them(
    make_mission, apply_to, association, presidente
):
    mission = make_mission(places=1)
    first, second = UserFactory(), UserFactory()
    a1 = apply_to(mission, first)
    a2 = apply_to(mission, second)
    assert a2.status == Application.Status.WAITING
    with scopes_disabled():
        assert Mission.objects.get(pk=mission.pk).status == Mission.Status.FULL
    with scope(association=association):
        services.application_decide(
            association=association, acting_user=presidente, application=a1, action="refuse"
        )
        a2.refresh_from_db()
        mission.refresh_from_db()
    assert a2.status == Application.Status.SUBMITTED
    assert mission.places_taken == 1 and mission.status == Mission.Status.FULL
    with scopes_disabled():
        assert OutboxEmail.objects.filter(to=second.email, kind="volunteer_status").exists()


def test_withdraw_frees_the_place_and_reopens_the_mission(make_mission, apply_to, association):
    mission = make_mission(places=1)
    user = UserFactory()
    application = apply_to(mission, user)
    with scope(association=association):
        services.application_withdraw(user=user, application=application)
        mission.refresh_from_db()
        assert mission.places_taken == 0 and mission.status == Mission.Status.PUBLISHED
        with pytest.raises(ValidationError):
            services.application_withdraw(user=user, application=application)


def test_adding_places_promotes_the_waiting_list(make_mission, apply_to, association, presidente):
    mission = make_mission(places=1)
    apply_to(mission, UserFactory())
    waiting = apply_to(mission, UserFactory())
    with scope(association=association):
        services.mission_update(
            association=association, acting_user=presidente, mission=mission, places=2
        )
        waiting.refresh_from_db()
        with pytest.raises(ValidationError) as error:
            services.mission_update(
                association=association, acting_user=presidente, mission=mission, places=1
            )
    assert waiting.status == Application.Status.SUBMITTED
    assert "places" in error.value.message_dict


def test_status_machine(make_mission, apply_to, association, presidente, volunteer):
    application = apply_to(make_mission(), volunteer)
    with scope(association=association):
        for action in ("review", "accept"):
            application = services.application_decide(
                association=association,
                acting_user=presidente,
                application=application,
                action=action,
            )
        assert application.status == "accepted" and application.decided_at
        with pytest.raises(ValidationError):
            services.application_decide(
                association=association,
                acting_user=presidente,
                application=application,
                action="review",
            )
        with pytest.raises(ValidationError):
            services.application_decide(
                association=association,
                acting_user=presidente,
                application=application,
                action="drop",
            )


def test_messages_go_both_ways_and_count_as_an_answer(
    make_mission, apply_to, association, presidente, volunteer
):
    application = apply_to(make_mission(), volunteer)
    with scope(association=association):
        services.message_post(
            application=application, author=presidente, body="Bonjour Léa", from_team=True
        )
        services.message_post(
            application=application, author=volunteer, body="Merci !", from_team=False
        )
        application.refresh_from_db()
        assert application.answered_at is not None
        with pytest.raises(ValidationError):
            services.message_post(
                application=application, author=volunteer, body="  ", from_team=False
            )
    with scopes_disabled():
        kinds = list(
            OutboxEmail.objects.filter(kind="volunteer_message").values_list("to", flat=True)
        )
    assert volunteer.email in kinds and "presidente@example.org" in kinds


def test_responsiveness_counts_answers_and_median(make_mission, apply_to, association, presidente):
    mission = make_mission(places=5)
    apps = [apply_to(mission, UserFactory()) for _ in range(3)]
    with scope(association=association):
        Application.objects.filter(pk=apps[0].pk).update(
            created_at=timezone.now() - dt.timedelta(hours=10)
        )
        services.application_decide(
            association=association, acting_user=presidente, application=apps[0], action="accept"
        )
        stats = Responsiveness.objects.get(association=association)
    assert stats.applications == 3 and stats.answered == 1
    assert stats.median_hours == pytest.approx(10, abs=0.1)


def test_reminders_are_sent_once_per_period(make_mission, apply_to, association):
    application = apply_to(make_mission(), UserFactory())
    with scopes_disabled():
        Application.objects.filter(pk=application.pk).update(
            created_at=timezone.now() - dt.timedelta(days=4)
        )
    assert services.send_reminders(days=3) == 1
    assert services.send_reminders(days=3) == 0
    with scopes_disabled():
        email = OutboxEmail.objects.get(kind="volunteer_reminder")
    assert email.to == "presidente@example.org" and "Aide aux devoirs" in email.body_text
    later = timezone.now() + dt.timedelta(days=4)
    assert services.send_reminders(now=later, days=3) == 1


def test_answered_applications_get_no_reminder(make_mission, apply_to, association, presidente):
    application = apply_to(make_mission(), UserFactory())
    with scope(association=association):
        services.application_decide(
            association=association,
            acting_user=presidente,
            application=application,
            action="review",
        )
        Application.objects.filter(pk=application.pk).update(
            created_at=timezone.now() - dt.timedelta(days=10)
        )
    assert services.send_reminders(days=3) == 0


def test_reminder_job_is_registered():
    from essaim.core import scheduler

    assert "volunteer_reminders" in {job.name for job in scheduler.jobs()}
