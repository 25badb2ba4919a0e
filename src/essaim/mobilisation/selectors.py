"""Petitions: reads (the list with counts, the breakdown by département, fraud flags)."""

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import TruncHour

from .departements import OTHER, departement_name
from .models import Petition, PetitionCounter, Signature
from .services import petition_count

SMALL = 1000


def petitions_with_counts(association):
    """The association's petitions, each with its count (sum of shards) and pending rows."""
    return Petition.objects.filter(association=association).annotate(
        confirmed=Sum("counters__count", default=0)
    )


def breakdown(petition: Petition, limit: int = 12, cached: bool = True) -> list[dict]:
    """Confirmed signatures by département, largest first (cached a minute on public pages)."""
    key = f"mobilisation:petition-breakdown:{petition.pk}"
    count = petition_count(petition)
    entry = cache.get(key) if cached else None
    # Kept a minute during a surge; recomputed as soon as the count moves while it is small
    # (a few hundred rows to group: cheap, and the first signers see themselves).
    if entry is None or (entry[0] != count and count < SMALL):
        rows = list(
            Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED)
            .values("departement")
            .annotate(n=Count("id"))
            .order_by("-n", "departement")
        )
        cache.set(key, (count, rows), 60)
    else:
        rows = entry[1]
    total = sum(r["n"] for r in rows) or 1
    out = []
    for row in rows[:limit]:
        code = row["departement"] or OTHER
        out.append(
            {
                "code": code if code != OTHER else "",
                "name": departement_name(code) or str(_other()),
                "count": row["n"],
                "percent": round(100 * row["n"] / total),
            }
        )
    return out


def _other():
    from django.utils.translation import gettext_lazy as _

    return _("Abroad or elsewhere")


def thresholds() -> dict[str, int]:
    """How many signatures in one hour make a group suspicious (settings may change them)."""
    return {
        "ip": 10,
        "subnet": 40,
        "name": 3,
        **getattr(settings, "ESSAIM_PETITION_FRAUD_THRESHOLDS", {}),
    }


def fraud_flags(petition: Petition) -> list[dict]:
    """Groups of signatures that look like a flood: many from one address or one network in
    the same hour, or the same name signing several times with different addresses."""
    limits = thresholds()
    live = Signature.objects.filter(petition=petition).exclude(status=Signature.Status.INVALIDATED)
    flags = []
    for kind, field in (("ip", "ip_hash"), ("subnet", "subnet_hash")):
        groups = (
            live.exclude(**{field: ""})
            .annotate(hour=TruncHour("created_at"))
            .values(field, "hour")
            .annotate(
                n=Count("id"),
                confirmed=Count("id", filter=Q(status=Signature.Status.CONFIRMED)),
                first=Min("created_at"),
                last=Max("created_at"),
            )
            .filter(n__gte=limits[kind])
            .order_by("-n")[:50]
        )
        for group in groups:
            flags.append(
                {
                    "kind": kind,
                    "key": group[field],
                    "hour": group["hour"],
                    "count": group["n"],
                    "confirmed": group["confirmed"],
                    "first": group["first"],
                    "last": group["last"],
                }
            )
    names = (
        live.exclude(name_folded="")
        .values("name_folded")
        .annotate(
            n=Count("id"),
            confirmed=Count("id", filter=Q(status=Signature.Status.CONFIRMED)),
            first=Min("created_at"),
            last=Max("created_at"),
        )
        .filter(n__gte=limits["name"])
        .order_by("-n")[:50]
    )
    for group in names:
        flags.append(
            {
                "kind": "name",
                "key": group["name_folded"],
                "hour": None,
                "count": group["n"],
                "confirmed": group["confirmed"],
                "first": group["first"],
                "last": group["last"],
            }
        )
    return flags


def flag_signatures(petition: Petition, kind: str, key: str, hour=None):
    """The signatures of one flag group (see fraud_flags), or None for an unknown kind."""
    import datetime as dt

    field = {"ip": "ip_hash", "subnet": "subnet_hash", "name": "name_folded"}.get(kind)
    if field is None or not key:
        return None
    qs = Signature.objects.filter(petition=petition, **{field: key})
    if hour is not None and kind != "name":
        qs = qs.filter(created_at__gte=hour, created_at__lt=hour + dt.timedelta(hours=1))
    return qs


def confirmed_signatures(petition: Petition):
    return Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED).order_by(
        "confirmed_at", "id"
    )


def shard_total(petition: Petition) -> int:
    return PetitionCounter.objects.filter(petition=petition).aggregate(t=Sum("count"))["t"] or 0
