"""French postcodes and communes with their coordinates, from data/communes.csv (shipped).

`communes_for(postcode)` gives the communes of a postcode; `locate(postcode, insee="")` the
point used for distances (the named commune, or the first commune of the postcode).
Distances are great-circle (haversine); `bounding_box` gives the latitude/longitude ranges a
database query filters on before the exact distance is computed.
"""

import csv
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DATA = Path(__file__).parent / "data" / "communes.csv"
EARTH_RADIUS_KM = 6371.0
_POSTCODE = re.compile(r"^\d{5}$")


@dataclass(frozen=True)
class Commune:
    postcode: str
    insee: str
    name: str
    lat: float
    lon: float
    precision: str  # c: the commune's own point; p: its postcode's; d: its department's


@cache
def _by_postcode() -> dict[str, tuple[Commune, ...]]:
    table: dict[str, list[Commune]] = {}
    with DATA.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            commune = Commune(
                row["postcode"],
                row["insee"],
                row["name"],
                float(row["lat"]),
                float(row["lon"]),
                row["precision"],
            )
            table.setdefault(commune.postcode, []).append(commune)
    return {key: tuple(value) for key, value in table.items()}


def normalise_postcode(value) -> str:
    return "".join(str(value or "").split())


def communes_for(postcode) -> tuple[Commune, ...]:
    """The communes of a postcode; ValidationError (clear message) when it is unknown."""
    code = normalise_postcode(postcode)
    if not _POSTCODE.match(code):
        raise ValidationError(_("A French postcode has 5 digits, for example 69003."))
    communes = _by_postcode().get(code)
    if not communes:
        raise ValidationError(
            _("The postcode %(postcode)s is unknown: check it.") % {"postcode": code}
        )
    return communes


def locate(postcode, insee: str = "") -> Commune:
    communes = communes_for(postcode)
    for commune in communes:
        if insee and commune.insee == insee:
            return commune
    return communes[0]  # no commune chosen, or one of another postcode: the first one


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) containing every point within radius_km."""
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    cos_lat = max(0.01, math.cos(math.radians(lat)))
    dlon = math.degrees(radius_km / (EARTH_RADIUS_KM * cos_lat))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon
