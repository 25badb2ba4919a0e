"""Funnels: views counted per mission, source and day (robots and the team left out), then
applications → accepted → still active after 3 months, per mission and per source link."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.core.models import AuditLog
from essaim.volunteering import funnels, services
from essaim.volunteering.models import Application, HoursEntry, MissionView
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]

BROWSER = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"


def views_of(mission) -> dict:
    with scopes_disabled():
        return {
            v.source: v.count for v in MissionView.objects.filter(mission=mission).order_by("id")
        }


def page(mission, src=""):
    url = reverse("volunteering_public:mission", kwargs={"mission_uuid": mission.uuid})
    return url + (f"?src={src}" if src else "")


# --- Counting views ---------------------------------------------------------------------------


def test_views_are_counted_per_source_once_a_day_per_session(make_mission, client_for, citizen):
    from django.test import Client

    mission = make_mission()
    visitor = Client(HTTP_USER_AGENT=BROWSER)
    assert visitor.get(page(mission, "Newsletter Mars")).status_code == 200
    assert visitor.get(page(mission)).status_code == 200  # a reload in the same session
    Client(HTTP_USER_AGENT=BROWSER).get(page(mission))  # someone else, no link
    Client(HTTP_USER_AGENT=BROWSER).get(page(mission))  # no session: counted each time
    signed_in = client_for(citizen)
    signed_in.defaults["HTTP_USER_AGENT"] = BROWSER
    signed_in.get(page(mission, "facebook"))
    signed_in.get(page(mission, "facebook"))
    assert views_of(mission) == {"newsletter-mars": 1, "": 2, "facebook": 1}
    with scopes_disabled():
        assert MissionView.objects.get(source="").day == timezone.localdate()


@pytest.mark.parametrize(
    "agent",
    [
        "",
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "facebookexternalhit/1.1",
        "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0",
        "curl/8.5.0",
        "python-requests/2.31",
    ],
)
def test_robots_are_not_counted(make_mission, agent):
    from django.test import Client

    mission = make_mission()
    assert Client(HTTP_USER_AGENT=agent).get(page(mission)).status_code == 200
    assert views_of(mission) == {}


def test_prefetch_and_the_team_are_not_counted(make_mission, client_for, presidente):
    from django.test import Client

    mission = make_mission()
    Client(HTTP_USER_AGENT=BROWSER, HTTP_SEC_PURPOSE="prefetch").get(page(mission))
    team = client_for(presidente)
    team.defaults["HTTP_USER_AGENT"] = BROWSER
    team.get(page(mission))
    assert views_of(mission) == {}


def test_record_increments_one_row(make_mission):
    mission = make_mission()
    for _ in range(3):
        funnels.mission_view_record(mission=mission, source="=cmd|' /C calc'!A0")
    funnels.mission_view_record(mission=mission, source="x" * 300)
    counts = views_of(mission)
    assert counts == {"cmd-c-calca0": 3, "x" * 40: 1}


# --- The funnel ------------------------------------------------------------------------------


def _accept(association, presidente, application, days_ago):
    with scope(association=association):
        services.application_decide(
            association=association,
            acting_user=presidente,
            application=application,
            action="accept",
        )
    when = timezone.now() - dt.timedelta(days=days_ago)
    with scopes_disabled():
        AuditLog.objects.filter(
            action="application.accept", object_id=str(application.uuid)
        ).update(created_at=when)
        Application.objects.filter(pk=application.pk).update(
            decided_at=when, created_at=when - dt.timedelta(days=2)
        )


@pytest.fixture
def scenario(association, presidente, make_mission, apply_to):
    """Mission "no hours": 4 applications; mission "hours": 3, with hours recorded."""
    plain = make_mission(title="Accueil", places=10)
    tracked = make_mission(title="Maraude", places=10)
    users = [UserFactory() for _ in range(7)]
    a1 = apply_to(plain, users[0], source="newsletter")
    a2 = apply_to(plain, users[1], source="newsletter")
    a3 = apply_to(plain, users[2])
    apply_to(plain, users[3], source="facebook")  # still waiting for an answer
    _accept(association, presidente, a1, 100)  # accepted long ago, still accepted: active
    _accept(association, presidente, a2, 120)  # accepted long ago, then left: not active
    with scope(association=association):
        services.application_withdraw(user=users[1], application=a2)
    _accept(association, presidente, a3, 10)  # too recent to judge
    b1 = apply_to(tracked, users[4], source="facebook")
    b2 = apply_to(tracked, users[5], source="facebook")
    b3 = apply_to(tracked, users[6], source="facebook")
    for application in (b1, b2, b3):
        _accept(association, presidente, application, 95)
    today = timezone.localdate()
    with scope(association=association):
        for user, status, days in (
            (users[4], "approved", 20),  # active
            (users[5], "declared", 20),  # declared hours do not count
            (users[6], "approved", 200),  # approved, but too long ago
        ):
            HoursEntry.objects.create(
                association=association,
                mission=tracked,
                user=user,
                worked_on=today - dt.timedelta(days=days),
                minutes=120,
                source="declared",
                status=status,
            )
    for _ in range(40):
        funnels.mission_view_record(mission=plain, source="newsletter")
    for _ in range(10):
        funnels.mission_view_record(mission=tracked, source="facebook")
    funnels.mission_view_record(
        mission=plain, source="newsletter", day=today - dt.timedelta(days=400)
    )  # outside the period
    return plain, tracked


def test_funnel_per_mission_and_per_source(association, scenario):
    assert len(scenario) == 2
    start, end = funnels.default_period()
    with scope(association=association):
        result = funnels.funnels(association, start=start, end=end)
    by_mission = {row.label: row for row in result.by_mission}
    accueil, maraude = by_mission["Accueil"], by_mission["Maraude"]
    assert (accueil.views, accueil.applications, accueil.accepted) == (40, 4, 3)
    assert (accueil.judged, accueil.active) == (2, 1)
    assert accueil.application_rate == 10.0 and accueil.acceptance_rate == 75.0
    assert accueil.retention_rate == 50.0
    assert (maraude.views, maraude.applications, maraude.accepted) == (10, 3, 3)
    assert (maraude.judged, maraude.active) == (3, 1)
    by_source = {row.key: row for row in result.by_source}
    assert (by_source["newsletter"].views, by_source["newsletter"].applications) == (40, 2)
    assert by_source["newsletter"].active == 1
    assert (by_source["facebook"].applications, by_source["facebook"].active) == (4, 1)
    assert by_source[""].label == "Direct (no source link)"
    assert result.total.applications == 7 and result.total.active == 2


def test_period_is_checked(association):
    today = timezone.localdate()
    with pytest.raises(Exception, match="start of the period"):
        funnels.funnels(association, start=today, end=today - dt.timedelta(days=1))
    with pytest.raises(Exception, match="three years"):
        funnels.funnels(association, start=today - dt.timedelta(days=2000), end=today)


# --- The screen ------------------------------------------------------------------------------


def url(association, **query):
    base = reverse("volunteering:funnels", kwargs={"association_slug": association.slug})
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_screen_export_and_empty_state(client_for, association, presidente, scenario):
    client = client_for(presidente)
    response = client.get(url(association))
    assert response.status_code == 200
    assert "Maraude" in response.text and "newsletter" in response.text
    assert "1 of 2" in response.text  # still active after 3 months, Accueil
    csv = client.get(url(association, format="csv"))
    assert csv["Content-Type"].startswith("text/csv")
    body = csv.content.decode("utf-8-sig")
    assert "Accueil;40;4;3;2;1;10,0 %;75,0 %;50,0 %" in body
    xlsx = client.get(url(association, format="xlsx"))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    old = client.get(url(association, start="2001-01-01", end="2001-12-31"))
    assert old.status_code == 200 and "No view and no application" in old.text


def test_screen_bad_input(client_for, association, presidente):
    client = client_for(presidente)
    bad = client.get(url(association, start="2025-05-01", end="2025-01-01"))
    assert bad.status_code == 400 and "must come before its end" in bad.text
    garbage = client.get(url(association, start="31/02/2025", end="nonsense"))
    assert garbage.status_code == 200  # unreadable dates: the default period, never a 500


def test_screen_permissions(client_for, association, benevole, outsider):
    assert client_for(benevole).get(url(association)).status_code == 403
    assert client_for(outsider).get(url(association)).status_code == 404


def test_funnel_query_count(
    client_for, association, presidente, scenario, django_assert_max_num_queries
):
    # The shell (session, seat, navigation, dashboard) takes about 18 queries; the funnel 8,
    # whatever the number of missions, applications and views.
    with django_assert_max_num_queries(28):
        assert client_for(presidente).get(url(association)).status_code == 200
