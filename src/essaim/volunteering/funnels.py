"""Funnels of volunteering: which missions and which share links bring volunteers who stay.

Four steps, per mission and per source link (the `?src=` of a mission's public page, kept on
the application):

1. **views**: views of the mission's public page, counted per mission, source and day in
   `MissionView` (one row per day, incremented in place). Not counted: robots (user agent),
   prefetches, the association's own team, and the same browser session again the same day.
2. **applications** received in the period.
3. **accepted**: those applications the team accepted (the activity log keeps every
   acceptance, so a volunteer accepted and who left later still counts here).
4. **still active after 3 months**: of the applications accepted at least 90 days ago, those
   whose volunteer is still there. "Still there" depends on whether the mission records hours:
   a mission with hours logged (any status) wants approved hours or a shift in the last 90
   days; a mission without hours only wants the application still accepted.

Conversion rates: applications / views, accepted / applications, active / accepted at least
90 days ago (the volunteers accepted more recently cannot be judged yet).
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from essaim.core.models import AuditLog, RoleAssignment

from .models import Application, Mission, MissionView

ACTIVE_AFTER_DAYS = 90
MAX_SOURCE = 40
MAX_PERIOD_DAYS = 3 * 366
SESSION_KEY = "volunteering_viewed"
SESSION_MAX = 50
# Robots, link previews, monitors and command-line clients: not people choosing a mission.
BOT_PATTERN = re.compile(
    r"bot|crawl|spider|slurp|preview|externalhit|headless|lighthouse|pingdom|monitor|"
    r"curl|wget|python-|httpclient|java/|go-http|okhttp|axios|node-fetch|scrapy|facebook|"
    r"whatsapp|telegram|discord|embedly|quora|skype",
    re.IGNORECASE,
)


def clean_source(value) -> str:
    """The source as applications keep it (services.application_submit slugifies it too)."""
    return slugify(str(value or ""))[:MAX_SOURCE]


# --- Counting views ---------------------------------------------------------------------------


def is_countable_view(request, mission: Mission) -> bool:
    """Whether this request to the mission's public page is a person's view worth counting."""
    if request.method != "GET":
        return False
    agent = request.META.get("HTTP_USER_AGENT", "")
    if not agent or BOT_PATTERN.search(agent):
        return False
    purpose = (request.headers.get("Sec-Purpose", "") + request.headers.get("Purpose", "")).lower()
    if "prefetch" in purpose or "prerender" in purpose:
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        with scopes_disabled():
            if RoleAssignment.objects.filter(
                association_id=mission.association_id, user=user
            ).exists():
                return False
    session = getattr(request, "session", None)
    # Reloads in a session (signed in, or come by a ?src= link, which the page keeps in the
    # session) count once a day. No session is created for this: that would write a row per
    # anonymous visitor, which the counter table exists to avoid.
    if session is not None and (session.session_key or session.modified):
        seen = session.get(SESSION_KEY) or {}
        today = timezone.localdate().isoformat()
        key = str(mission.uuid)
        if seen.get(key) == today:
            return False
        seen = {k: v for k, v in seen.items() if v == today}
        if len(seen) >= SESSION_MAX:
            seen.pop(next(iter(seen)))
        seen[key] = today
        session[SESSION_KEY] = seen
    return True


def mission_view_record(*, mission: Mission, source: str = "", day: dt.date | None = None) -> None:
    """Add one view to the mission's counter of the day for this source (no audit entry: a
    page view is not a change made by someone)."""
    day = day or timezone.localdate()
    source = clean_source(source)
    with scopes_disabled():
        rows = MissionView.objects.filter(mission_id=mission.pk, source=source, day=day)
        if rows.update(count=F("count") + 1):
            return
        try:
            with transaction.atomic():
                MissionView.objects.create(
                    association_id=mission.association_id,
                    mission_id=mission.pk,
                    source=source,
                    day=day,
                    count=1,
                )
        except IntegrityError:  # another request created the day's row in between
            rows.update(count=F("count") + 1)


def record_from_request(request, mission: Mission, source: str) -> bool:
    """The hook of the public mission page. Returns whether the view was counted."""
    if not is_countable_view(request, mission):
        return False
    mission_view_record(mission=mission, source=source)
    return True


# --- Reading the funnels ----------------------------------------------------------------------


@dataclass
class FunnelRow:
    key: str
    label: str
    views: int = 0
    applications: int = 0
    accepted: int = 0
    judged: int = 0  # accepted at least ACTIVE_AFTER_DAYS ago
    active: int = 0
    mission: Mission | None = field(default=None, repr=False)

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    @property
    def application_rate(self) -> float | None:
        return self._rate(self.applications, self.views)

    @property
    def acceptance_rate(self) -> float | None:
        return self._rate(self.accepted, self.applications)

    @property
    def retention_rate(self) -> float | None:
        return self._rate(self.active, self.judged)

    def add(self, other: "FunnelRow") -> None:
        self.views += other.views
        self.applications += other.applications
        self.accepted += other.accepted
        self.judged += other.judged
        self.active += other.active


@dataclass
class Funnels:
    start: dt.date
    end: dt.date
    by_mission: list[FunnelRow]
    by_source: list[FunnelRow]
    total: FunnelRow


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    today = today or timezone.localdate()
    return today - dt.timedelta(days=364), today


def check_period(start: dt.date, end: dt.date) -> None:
    if start > end:
        raise ValidationError(_("The start of the period must come before its end."))
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationError(_("Choose a period of three years at most."))


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _model(name: str):
    try:
        return apps.get_model("volunteering", name)
    except LookupError:  # shifts and hours not installed
        return None


def _recent_presence(association, missions_with_hours: set[int], since: dt.date) -> set:
    """(mission_id, user_id) pairs with approved hours or a shift since `since`."""
    present: set[tuple[int, int]] = set()
    if not missions_with_hours:
        return present
    hours = _model("HoursEntry")
    if hours is not None:
        present.update(
            hours.objects.filter(
                association=association,
                mission_id__in=missions_with_hours,
                status="approved",
                worked_on__gte=since,
                user__isnull=False,
            ).values_list("mission_id", "user_id")
        )
    signups = _model("ShiftSignup")
    if signups is not None:
        present.update(
            signups.objects.filter(
                association=association,
                shift__mission_id__in=missions_with_hours,
                shift__starts_at__gte=_aware(since),
                shift__starts_at__lte=timezone.now(),
                shift__cancelled_at__isnull=True,
                status__in=("signed_up", "attended"),
                user__isnull=False,
            ).values_list("shift__mission_id", "user_id")
        )
    return present


def _missions_with_hours(association, mission_ids) -> set[int]:
    hours = _model("HoursEntry")
    if hours is None or not mission_ids:
        return set()
    return set(
        hours.objects.filter(association=association, mission_id__in=mission_ids)
        .order_by()
        .values_list("mission_id", flat=True)
        .distinct()
    )


def funnels(
    association, *, start: dt.date, end: dt.date, now: dt.datetime | None = None
) -> Funnels:
    """The funnels of the missions of `association` for views and applications of the period."""
    check_period(start, end)
    now = now or timezone.now()
    today = timezone.localdate(now)
    judged_before = now - dt.timedelta(days=ACTIVE_AFTER_DAYS)
    by_mission: dict[int, FunnelRow] = {}
    by_source: dict[str, FunnelRow] = {}

    def mission_row(mission_id: int) -> FunnelRow:
        return by_mission.setdefault(mission_id, FunnelRow(key=str(mission_id), label=""))

    def source_row(source: str) -> FunnelRow:
        return by_source.setdefault(source, FunnelRow(key=source, label=source))

    views = (
        MissionView.objects.filter(association=association, day__gte=start, day__lte=end)
        .values("mission_id", "source")
        .annotate(total=Sum("count"))
    )
    for row in views:
        mission_row(row["mission_id"]).views += row["total"]
        source_row(row["source"]).views += row["total"]

    applications = list(
        Application.objects.filter(
            association=association,
            created_at__gte=_aware(start),
            created_at__lt=_aware(end + dt.timedelta(days=1)),
        ).values("id", "uuid", "mission_id", "user_id", "source", "status", "decided_at")
    )
    accepted_at: dict[str, dt.datetime] = {}
    for object_id, at in (
        AuditLog.objects.filter(
            association=association,
            action="application.accept",
            object_type="application",
            created_at__gte=_aware(start),
        )
        .order_by("created_at")
        .values_list("object_id", "created_at")
    ):
        accepted_at.setdefault(object_id, at)
    with_hours = _missions_with_hours(association, {a["mission_id"] for a in applications})
    present = _recent_presence(
        association, with_hours, today - dt.timedelta(days=ACTIVE_AFTER_DAYS)
    )
    for application in applications:
        rows = (mission_row(application["mission_id"]), source_row(application["source"]))
        when = accepted_at.get(str(application["uuid"]))
        if when is None and application["status"] == Application.Status.ACCEPTED:
            when = application["decided_at"] or now
        judged = when is not None and when <= judged_before
        if judged:
            if application["mission_id"] in with_hours:
                active = (application["mission_id"], application["user_id"]) in present
            else:
                active = application["status"] == Application.Status.ACCEPTED
        else:
            active = False
        for row in rows:
            row.applications += 1
            row.accepted += when is not None
            row.judged += judged
            row.active += active

    missions = Mission.objects.filter(association=association, pk__in=list(by_mission)).only(
        "id", "uuid", "title", "status", "association_id"
    )
    for mission in missions:
        row = by_mission[mission.pk]
        row.key, row.label, row.mission = str(mission.uuid), mission.title, mission
    total = FunnelRow(key="", label=_("All missions"))
    for row in by_mission.values():
        total.add(row)
    for row in by_source.values():
        row.label = row.key or _("Direct (no source link)")

    def order(row: FunnelRow):
        return (-row.views, -row.applications, row.label.lower())

    return Funnels(
        start=start,
        end=end,
        by_mission=sorted(by_mission.values(), key=order),
        by_source=sorted(by_source.values(), key=order),
        total=total,
    )
