"""The public catalogue of missions and the match score.

Match score (0–100), the sum of four parts, each a share of its weight:

- skills (40): the share of the mission's wanted skills the volunteer has; a mission that
  wants no particular skill gives half;
- distance (25): 1 / (1 + d / s) with d the distance in km between the volunteer's commune and
  the mission's, s the volunteer's travel radius (5 km at least): 1 on the spot, ½ at the edge
  of the radius, less further away; a remote mission gives all of it to a volunteer who welcomes
  remote missions, half to the others; unknown places give half;
- availability (20): the share of the mission's half-days (morning, afternoon, evening of each
  day) the volunteer is free; a mission without set times fits everyone; a volunteer who gave no
  availability gets half;
- responsiveness (15): half the share of applications the association answered, half its
  speed (median time to a first answer: 1 within a day, falling to 0 at 14 days); an
  association with no application yet gets half.

So more skills in common never lowers the score, and a mission further away never scores more
than the same mission closer. Candidates are read with a bounding-box filter on indexed
latitude/longitude columns, then scored in Python (at most MAX_CANDIDATES, the most recently
published first).
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django_scopes import scopes_disabled

from essaim.lib.text import fold

from . import places
from .models import Mission, Responsiveness

WEIGHTS = {"skills": 40, "distance": 25, "availability": 20, "responsiveness": 15}
MAX_CANDIDATES = 2000
DEFAULT_SEARCH_RADIUS_KM = 30
FAST_HOURS, SLOW_HOURS = 24.0, 14 * 24.0
COLUMNS = ("id", "skill_list", "lat", "lon", "remote", "availability", "association_id")


@dataclass(frozen=True)
class Seeker:
    """Who the score is for: a volunteer profile, or a postcode typed in the search form."""

    skills: frozenset = frozenset()
    lat: float | None = None
    lon: float | None = None
    radius_km: float = 10
    remote_ok: bool = False
    availability: int = 0

    @classmethod
    def from_profile(cls, profile) -> "Seeker":
        if profile is None:
            return cls()
        return cls(
            skills=frozenset(profile.skills),
            lat=profile.lat,
            lon=profile.lon,
            radius_km=profile.radius_km or 10,
            remote_ok=profile.remote_ok,
            availability=profile.availability,
        )


def skills_part(wanted, has) -> float:
    wanted = set(wanted)
    if not wanted:
        return 0.5
    return len(wanted & set(has)) / len(wanted)


def distance_part(
    distance_km: float | None, radius_km: float, *, remote: bool, remote_ok: bool
) -> float:
    if remote:
        return 1.0 if remote_ok else 0.5
    if distance_km is None:
        return 0.5
    return 1.0 / (1.0 + distance_km / max(5.0, float(radius_km)))


def availability_part(mission_mask: int, volunteer_mask: int) -> float:
    if not mission_mask:
        return 1.0
    if not volunteer_mask:
        return 0.5
    return (mission_mask & volunteer_mask).bit_count() / mission_mask.bit_count()


def responsiveness_part(applications: int, answered: int, median_hours: float | None) -> float:
    if not applications:
        return 0.5
    share = answered / applications
    if median_hours is None:
        speed = 0.0
    elif median_hours <= FAST_HOURS:
        speed = 1.0
    else:
        speed = max(0.0, 1 - (median_hours - FAST_HOURS) / (SLOW_HOURS - FAST_HOURS))
    return 0.5 * min(1.0, share) + 0.5 * speed


def match_score(
    *, skills: float, distance: float, availability: float, responsiveness: float
) -> float:
    return round(
        WEIGHTS["skills"] * skills
        + WEIGHTS["distance"] * distance
        + WEIGHTS["availability"] * availability
        + WEIGHTS["responsiveness"] * responsiveness,
        1,
    )


def _responsiveness(association_ids) -> dict[int, float]:
    rows = Responsiveness.objects.filter(association_id__in=set(association_ids)).values_list(
        "association_id", "applications", "answered", "median_hours"
    )
    return {row[0]: responsiveness_part(*row[1:]) for row in rows}


def _distance(seeker: Seeker, lat, lon) -> float | None:
    if seeker.lat is None or lat is None:
        return None
    return places.haversine_km(seeker.lat, seeker.lon, lat, lon)


def score_rows(rows, seeker: Seeker) -> list[dict]:
    resp = _responsiveness(row[6] for row in rows)
    scored = []
    for mission_id, skill_list, lat, lon, remote, availability, association_id in rows:
        skills = skill_list.split()
        distance = None if remote else _distance(seeker, lat, lon)
        parts = {
            "skills": skills_part(skills, seeker.skills),
            "distance": distance_part(
                distance, seeker.radius_km, remote=remote, remote_ok=seeker.remote_ok
            ),
            "availability": availability_part(availability, seeker.availability),
            "responsiveness": resp.get(association_id, 0.5),
        }
        scored.append(
            {
                "id": mission_id,
                "score": match_score(**parts),
                "distance_km": distance,
            }
        )
    return scored


@dataclass
class Filters:
    query: str = ""
    cause: str = ""
    skills: tuple = ()
    on_date: dt.date | None = None
    remote: bool = False
    postcode: str = ""
    distance_km: int | None = None
    sort: str = "score"


def _visible():
    return Mission.objects.filter(status__in=(Mission.Status.PUBLISHED, Mission.Status.FULL))


def search(filters: Filters, seeker: Seeker) -> list[dict]:
    """Missions of every association matching the filters, scored and sorted.

    Raises ValidationError for an unknown postcode."""
    with scopes_disabled():
        missions = _visible()
        for word in fold(filters.query).split()[:8]:
            missions = missions.filter(search_text__contains=word)
        if filters.cause:
            missions = missions.filter(cause=filters.cause)
        for skill in filters.skills:
            missions = missions.filter(skill_list__contains=skill)
        if filters.on_date:
            missions = missions.filter(
                Q(ends_on__isnull=True) | Q(ends_on__gte=filters.on_date)
            ).filter(
                Q(starts_on__isnull=True) | Q(starts_on__lte=filters.on_date) | Q(kind="one_off")
            )
        if filters.remote:
            missions = missions.filter(remote=True)
        radius = None
        if filters.postcode:
            commune = places.locate(filters.postcode)
            radius = filters.distance_km or DEFAULT_SEARCH_RADIUS_KM
            seeker = Seeker(
                skills=seeker.skills,
                lat=commune.lat,
                lon=commune.lon,
                radius_km=radius,
                remote_ok=seeker.remote_ok or filters.remote,
                availability=seeker.availability,
            )
            if not filters.remote:
                min_lat, max_lat, min_lon, max_lon = places.bounding_box(
                    commune.lat, commune.lon, radius
                )
                missions = missions.filter(
                    lat__range=(min_lat, max_lat), lon__range=(min_lon, max_lon), remote=False
                )
        rows = list(
            missions.order_by("-published_at", "-id").values_list(*COLUMNS)[:MAX_CANDIDATES]
        )
        if filters.skills:  # the LIKE above also matches a longer code containing this one
            wanted = set(filters.skills)
            rows = [row for row in rows if wanted <= set(row[1].split())]
        scored = score_rows(rows, seeker)
    if radius is not None and not filters.remote:
        scored = [
            row for row in scored if row["distance_km"] is not None and row["distance_km"] <= radius
        ]
    if filters.sort == "recent":
        return scored  # already by publication
    if filters.sort == "distance" and seeker.lat is not None:
        return sorted(scored, key=lambda r: (r["distance_km"] is None, r["distance_km"] or 0))
    return sorted(scored, key=lambda r: -r["score"])


def missions_for(profile, *, limit: int = 6, exclude_ids=()) -> list[dict]:
    """The best-scored missions for a volunteer: near home (1.5 × the travel radius) or remote."""
    seeker = Seeker.from_profile(profile)
    with scopes_disabled():
        missions = _visible().filter(status=Mission.Status.PUBLISHED)
        where = Q(pk__in=[])
        if seeker.lat is not None:
            min_lat, max_lat, min_lon, max_lon = places.bounding_box(
                seeker.lat, seeker.lon, max(5.0, seeker.radius_km * 1.5)
            )
            where |= Q(lat__range=(min_lat, max_lat), lon__range=(min_lon, max_lon), remote=False)
        if seeker.remote_ok or seeker.lat is None:
            where |= Q(remote=True)
        missions = missions.filter(where)
        if profile is not None and profile.causes:
            missions = missions.filter(cause__in=profile.causes)
        if exclude_ids:
            missions = missions.exclude(pk__in=list(exclude_ids))
        rows = list(
            missions.order_by("-published_at", "-id").values_list(*COLUMNS)[:MAX_CANDIDATES]
        )
        scored = score_rows(rows, seeker)
    scored.sort(key=lambda r: -r["score"])
    return scored[:limit]


def hydrate(rows: list[dict]) -> list[dict]:
    """The missions of a page of scored rows, in order, with their association."""
    with scopes_disabled():
        by_id = Mission.objects.select_related("association").in_bulk([r["id"] for r in rows])
    return [{**row, "mission": by_id[row["id"]]} for row in rows if row["id"] in by_id]
