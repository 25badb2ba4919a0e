"""The match score (property-tested) and the catalogue search."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from essaim.volunteering import matching
from essaim.volunteering.reference import DEFAULT_SKILLS, FULL_WEEK

SKILLS = [code for code, _label in DEFAULT_SKILLS]
unit = st.floats(min_value=0, max_value=1, allow_nan=False)


@given(
    wanted=st.sets(st.sampled_from(SKILLS), min_size=1, max_size=8),
    has=st.sets(st.sampled_from(SKILLS), max_size=10),
    extra=st.sampled_from(SKILLS),
    distance=unit,
    availability=unit,
    responsiveness=unit,
)
def test_more_skills_in_common_never_lowers_the_score(
    wanted, has, extra, distance, availability, responsiveness
):
    before = matching.match_score(
        skills=matching.skills_part(wanted, has),
        distance=distance,
        availability=availability,
        responsiveness=responsiveness,
    )
    after = matching.match_score(
        skills=matching.skills_part(wanted, has | {extra}),
        distance=distance,
        availability=availability,
        responsiveness=responsiveness,
    )
    assert after >= before


@given(
    near=st.floats(min_value=0, max_value=1000),
    further=st.floats(min_value=0, max_value=1000),
    radius=st.integers(min_value=0, max_value=200),
)
def test_a_mission_further_away_never_scores_more(near, further, radius):
    near, further = sorted((near, further))
    assert matching.distance_part(
        near, radius, remote=False, remote_ok=False
    ) >= matching.distance_part(further, radius, remote=False, remote_ok=False)


@given(
    mission=st.integers(min_value=0, max_value=FULL_WEEK),
    volunteer=st.integers(min_value=1, max_value=FULL_WEEK),
    more=st.integers(min_value=0, max_value=FULL_WEEK),
)
def test_more_free_half_days_never_lowers_the_availability(mission, volunteer, more):
    assert matching.availability_part(mission, volunteer | more) >= matching.availability_part(
        mission, volunteer
    )


@given(
    skills=unit,
    distance=unit,
    availability=unit,
    responsiveness=unit,
)
def test_score_stays_between_0_and_100(skills, distance, availability, responsiveness):
    score = matching.match_score(
        skills=skills, distance=distance, availability=availability, responsiveness=responsiveness
    )
    assert 0 <= score <= 100


@given(
    applications=st.integers(min_value=1, max_value=1000),
    answered=st.integers(min_value=0, max_value=1000),
    fast=st.floats(min_value=0, max_value=1000),
    slow=st.floats(min_value=0, max_value=1000),
)
def test_faster_answers_never_lower_responsiveness(applications, answered, fast, slow):
    answered = min(answered, applications)
    fast, slow = sorted((fast, slow))
    assert matching.responsiveness_part(
        applications, answered, fast
    ) >= matching.responsiveness_part(applications, answered, slow)


def test_parts_at_their_bounds():
    assert matching.skills_part([], ["cuisine"]) == 0.5
    assert matching.skills_part(["cuisine", "sport"], ["cuisine"]) == 0.5
    assert matching.distance_part(0, 10, remote=False, remote_ok=False) == 1
    assert matching.distance_part(10, 10, remote=False, remote_ok=False) == 0.5
    assert matching.distance_part(None, 10, remote=True, remote_ok=True) == 1
    assert matching.availability_part(0, 0) == 1
    assert matching.responsiveness_part(0, 0, None) == 0.5
    assert matching.responsiveness_part(10, 10, 2) == 1
    assert matching.responsiveness_part(10, 0, None) == 0


# --- Search ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_search_is_accent_insensitive_and_filters(make_mission, other_association, outsider):
    a = make_mission(title="Épicerie solidaire", cause="solidarite", skills=["distribution"])
    b = make_mission(title="Théâtre d'impro", cause="culture", skills=["theatre"], postcode="69003")
    c = make_mission(
        title="Site web",
        cause="culture",
        skills=["developpement-web"],
        postcode="",
        remote=True,
        assoc=other_association,
        user=outsider,
    )
    draft = make_mission(title="Épicerie brouillon", publish=False)

    def found(**kw):
        return {r["id"] for r in matching.search(matching.Filters(**kw), matching.Seeker())}

    assert found(query="epicerie") == {a.pk}
    assert found(query="THEATRE") == {b.pk}
    assert found(cause="culture") == {b.pk, c.pk}
    assert found(skills=("theatre",)) == {b.pk}
    assert found(skills=("web",)) == set()  # a part of a code is not the skill
    assert found(remote=True) == {c.pk}
    assert found(postcode="75011", distance_km=10) == {a.pk}
    assert found(postcode="69001", distance_km=10) == {b.pk}
    assert draft.pk not in found()


@pytest.mark.django_db
def test_search_by_date(make_mission):
    past = make_mission(title="Passée", starts_on=dt.date(2020, 1, 1), ends_on=dt.date(2020, 2, 1))
    open_ = make_mission(title="Ouverte")
    ids = {
        r["id"]
        for r in matching.search(matching.Filters(on_date=dt.date(2026, 6, 1)), matching.Seeker())
    }
    assert open_.pk in ids and past.pk not in ids


@pytest.mark.django_db
@pytest.mark.usefixtures("english_ui")
def test_search_with_an_unknown_postcode_raises_a_clear_error(make_mission):
    make_mission()
    with pytest.raises(ValidationError, match="unknown"):
        matching.search(matching.Filters(postcode="99999"), matching.Seeker())


@pytest.mark.django_db
def test_missions_for_a_volunteer_prefer_skills_and_nearby(make_mission, volunteer):
    from essaim.volunteering.services import profile_of

    fits = make_mission(title="Devoirs", skills=["aide-devoirs", "ecoute"])
    other = make_mission(title="Cuisine", skills=["cuisine"])
    far = make_mission(title="Loin", skills=["aide-devoirs"], postcode="13001")
    remote = make_mission(title="À distance", skills=["aide-devoirs"], postcode="", remote=True)
    rows = matching.missions_for(profile_of(volunteer), limit=10)
    ids = [r["id"] for r in rows]
    assert far.pk not in ids
    assert ids.index(fits.pk) < ids.index(other.pk)
    assert remote.pk in ids
