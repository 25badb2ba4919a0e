"""Pages of hours: the volunteer declares, the coordinator approves or refuses (one by one and
in bulk), totals and valuation per period, CSV/XLSX exports, the hourly rate; outsider 404."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from openpyxl import load_workbook

from essaim.core.models import AuditLog
from essaim.volunteering import hours
from essaim.volunteering.models import HoursEntry, VolunteeringSettings
from tests.volunteering.test_shifts import accepted, mission  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


def url(association, name, **kwargs):
    return reverse(f"volunteering:{name}", kwargs={"association_slug": association.slug, **kwargs})


def _declare(mission, user, minutes=90, days_ago=1):  # noqa: F811
    with scope(association=mission.association):
        return hours.hours_declare(
            association=mission.association,
            user=user,
            mission=mission,
            worked_on=timezone.localdate() - dt.timedelta(days=days_ago),
            minutes=minutes,
        )


def test_volunteer_declares_hours(client_for, accepted, mission):  # noqa: F811
    user = accepted(mission)
    client = client_for(user)
    page = client.get(reverse("volunteering_public:hours"))
    assert page.status_code == 200 and mission.title.encode() in page.content
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = client.post(
        reverse("volunteering_public:hours"),
        {
            "mission": str(mission.uuid),
            "worked_on": yesterday,
            "hours": "2",
            "minutes": "30",
            "activity": "Tri",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        entry = HoursEntry.objects.get()
    assert entry.minutes == 150 and entry.status == "declared" and entry.user == user
    listing = client.get(reverse("volunteering_public:hours"))
    assert b"2 h 30" in listing.content


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"hours": "0", "minutes": "0"}, b"at least one minute"),
        ({"hours": "25"}, b"has-error"),
        ({"hours": "24", "minutes": "30"}, b"24 hours at most"),
        ({"worked_on": "2999-01-01"}, b"in the future"),
        ({"worked_on": "31/02/2026"}, b"has-error"),
        ({"mission": "00000000-0000-0000-0000-000000000000"}, b"has-error"),
    ],
)
def test_bad_declarations_show_errors(client_for, accepted, mission, data, message):  # noqa: F811
    user = accepted(mission)
    post = {
        "mission": str(mission.uuid),
        "worked_on": timezone.localdate().isoformat(),
        "hours": "2",
        "minutes": "0",
        **data,
    }
    response = client_for(user).post(reverse("volunteering_public:hours"), post)
    assert response.status_code == 200 and message in response.content
    with scopes_disabled():
        assert not HoursEntry.objects.exists()


def test_a_volunteer_without_accepted_application_cannot_declare(client_for, citizen):
    page = client_for(citizen).get(reverse("volunteering_public:hours"))
    assert b"once an association accepts your application" in page.content


def test_coordinator_approves_refuses_and_bulk(
    client_for,
    presidente,
    association,
    accepted,  # noqa: F811
    mission,  # noqa: F811
):
    entries = [_declare(mission, accepted(mission)) for _ in range(4)]
    client = client_for(presidente)
    page = client.get(url(association, "hours"))
    assert page.status_code == 200 and page.content.count(b'name="entries"') == 4
    client.post(url(association, "hours_decide", entry_uuid=entries[0].uuid, action="approve"))
    client.post(
        url(association, "hours_decide", entry_uuid=entries[1].uuid, action="refuse"),
        {"reason": "Doublon"},
    )
    again = client.post(
        url(association, "hours_decide", entry_uuid=entries[0].uuid, action="approve"),
        follow=True,
    )
    assert b"already approved" in again.content
    client.post(
        url(association, "hours_bulk"),
        {"action": "approve", "entries": [str(e.uuid) for e in entries] + ["junk"]},
    )
    with scope(association=association):
        statuses = dict(HoursEntry.objects.values_list("uuid", "status"))
        assert [statuses[e.uuid] for e in entries] == ["approved", "refused", "approved", "approved"]
        assert HoursEntry.objects.get(uuid=entries[1].uuid).refusal_reason == "Doublon"
        assert AuditLog.objects.filter(action="hours.approve").count() == 3
    empty = client.get(url(association, "hours"))
    assert b"No hours to approve" in empty.content
    nothing = client.post(url(association, "hours_bulk"), {"action": "approve"}, follow=True)
    assert b"Tick the hours" in nothing.content


def test_totals_valuation_and_exports(
    client_for,
    presidente,
    association,
    accepted,  # noqa: F811
    mission,  # noqa: F811
):
    entry = _declare(mission, accepted(mission), minutes=120, days_ago=0)
    with scope(association=association):
        hours.hours_decide(
            association=association, acting_user=presidente, entry=entry, action="approve"
        )
    client = client_for(presidente)
    rate = client.post(url(association, "hours_rate"), {"volunteer_hourly_rate_cents": "12,50"})
    assert rate.status_code == 302
    with scope(association=association):
        assert VolunteeringSettings.objects.get().volunteer_hourly_rate_cents == 1250
    bad_rate = client.post(url(association, "hours_rate"), {"volunteer_hourly_rate_cents": "-3"})
    assert bad_rate.status_code == 200 and b"has-error" in bad_rate.content
    page = client.get(url(association, "hours_totals"), {"period": "year"})
    assert page.status_code == 200
    assert b"2 h 00" in page.content and b"25 \xe2\x82\xac" in page.content
    assert b"875" in page.content  # the accounts of contributions in kind are named
    csv = client.get(url(association, "hours_totals"), {"period": "year", "format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert "25,00" in csv.content.decode("utf-8-sig")
    xlsx = client.get(url(association, "hours_export"), {"period": "year", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.values)
    assert len(rows) == 2 and rows[1][4] == 120 and rows[1][8] == 25
    bad = client.get(
        url(association, "hours_totals"),
        {"period": "range", "start": "2026-05-01", "end": "2026-01-01"},
    )
    assert bad.status_code == 200 and b"must not come before" in bad.content
    garbage = client.get(url(association, "hours_totals"), {"period": "year", "year": "99999"})
    assert garbage.status_code == 200


def test_outsider_gets_404_and_volunteer_403(
    client_for,
    outsider,
    benevole,
    association,
    accepted,  # noqa: F811
    mission,  # noqa: F811
):
    entry = _declare(mission, accepted(mission))
    for name, kwargs in (
        ("hours", {}),
        ("hours_totals", {}),
        ("hours_export", {}),
        ("hours_rate", {}),
    ):
        assert client_for(outsider).get(url(association, name, **kwargs)).status_code == 404
        assert client_for(benevole).get(url(association, name, **kwargs)).status_code == 403
    response = client_for(outsider).post(
        url(association, "hours_decide", entry_uuid=entry.uuid, action="approve")
    )
    assert response.status_code == 404
    entry.refresh_from_db()
    assert entry.status == "declared"


def test_hours_list_query_count(
    client_for,
    presidente,
    association,
    accepted,  # noqa: F811
    mission,  # noqa: F811
    django_assert_max_num_queries,
):
    for _ in range(5):
        _declare(mission, accepted(mission))
    client = client_for(presidente)
    client.get(url(association, "hours"))
    with django_assert_max_num_queries(20):
        client.get(url(association, "hours"))
