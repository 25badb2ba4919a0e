"""A small iCalendar (RFC 5545) writer: one calendar of events, for the feeds of shifts,
events and the association's public page. No dependency on models.

    ical_calendar([IcalEvent(uid=..., starts_at=..., ends_at=..., summary=...)], name="…")

Times are written in UTC (`DTSTART:20261127T180000Z`): every calendar application shows them
in the reader's own zone, and no VTIMEZONE block is needed. Lines are folded at 75 octets and
text is escaped as the RFC says, so any title or description (commas, semicolons, newlines,
accents) round-trips.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

PRODID = "-//Essaim//Essaim//FR"
CONTENT_TYPE = "text/calendar; charset=utf-8"


@dataclass(frozen=True)
class IcalEvent:
    uid: str  # stable across feeds and edits: "<kind>-<uuid>@<host>"
    starts_at: dt.datetime  # aware
    ends_at: dt.datetime | None = None
    summary: str = ""
    description: str = ""
    location: str = ""
    url: str = ""
    status: str = ""  # "", "CONFIRMED", "TENTATIVE" or "CANCELLED"
    sequence: int = 0  # increase when the event changes, so calendars update it
    last_modified: dt.datetime | None = None
    categories: tuple[str, ...] = field(default_factory=tuple)


def escape_text(value: str) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """Folds a content line into lines of at most 75 octets (RFC 5545 §3.1), never inside a
    UTF-8 character; continuation lines start with one space."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, 74  # the leading space counts
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def format_utc(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("iCalendar times must be timezone-aware")
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _event_lines(event: IcalEvent, stamp: str) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{format_utc(event.starts_at)}",
    ]
    if event.ends_at is not None:
        lines.append(f"DTEND:{format_utc(event.ends_at)}")
    lines.append(f"SUMMARY:{escape_text(event.summary)}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.url:
        lines.append(f"URL:{event.url}")
    if event.status:
        lines.append(f"STATUS:{event.status}")
    if event.sequence:
        lines.append(f"SEQUENCE:{int(event.sequence)}")
    if event.last_modified is not None:
        lines.append(f"LAST-MODIFIED:{format_utc(event.last_modified)}")
    if event.categories:
        lines.append("CATEGORIES:" + ",".join(escape_text(c) for c in event.categories))
    lines.append("END:VEVENT")
    return lines


def ical_calendar(
    events: Iterable[IcalEvent], *, name: str = "", now: dt.datetime | None = None
) -> bytes:
    """The whole calendar as bytes (CRLF line ends), ready for an HttpResponse with
    CONTENT_TYPE."""
    stamp = format_utc(now or dt.datetime.now(dt.UTC))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    lines.append("METHOD:PUBLISH")
    if name:
        lines.append(f"X-WR-CALNAME:{escape_text(name)}")
    for event in events:
        lines.extend(_event_lines(event, stamp))
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode("utf-8")
