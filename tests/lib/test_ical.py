import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from essaim.lib.ical import IcalEvent, escape_text, fold, ical_calendar

PARIS = dt.timezone(dt.timedelta(hours=1))


def _unfold(data: str) -> list[str]:
    return data.replace("\r\n ", "").split("\r\n")


def test_calendar_has_one_event_in_utc():
    event = IcalEvent(
        uid="shift-1@essaim.test",
        starts_at=dt.datetime(2026, 12, 5, 9, 0, tzinfo=PARIS),
        ends_at=dt.datetime(2026, 12, 5, 12, 30, tzinfo=PARIS),
        summary="Distribution, marché; Belleville",
        location="12 rue de la Paix\nParis",
        url="https://essaim.test/x/",
        status="CONFIRMED",
    )
    data = ical_calendar([event], name="Mes créneaux", now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    text = data.decode()
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = _unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    assert "DTSTART:20261205T080000Z" in lines
    assert "DTEND:20261205T113000Z" in lines
    assert "SUMMARY:Distribution\\, marché\\; Belleville" in lines
    assert "LOCATION:12 rue de la Paix\\nParis" in lines
    assert "DTSTAMP:20260101T000000Z" in lines
    assert "X-WR-CALNAME:Mes créneaux" in lines


def test_naive_datetimes_are_refused():
    import pytest

    with pytest.raises(ValueError):
        ical_calendar([IcalEvent(uid="x", starts_at=dt.datetime(2026, 1, 1))])


@given(st.text(min_size=0, max_size=400))
def test_folding_keeps_lines_short_and_round_trips(value):
    line = "DESCRIPTION:" + escape_text(value)
    folded = fold(line)
    assert all(len(part.encode("utf-8")) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line
