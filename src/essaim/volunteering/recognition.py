"""Recognition of volunteers: what the attestation, the yearly statement for the Compte
d'Engagement Citoyen and the passeport bénévole say, read from the **approved** hours only
(declared and refused hours never count).

A volunteer, for an association, is a contact record (`Person`) or, when the hours were logged
without one, an account. The contact record wins: hours logged on the account are counted with
the contact linked to that account, and when the account is deleted the association can still
issue the attestation from the contact record.

Issuing a document writes nothing but an entry in the activity log (`*_issue` services); the
documents are plain data (dataclasses) drawn by recognition_pdf.py. Each attestation carries a
signed token: its public verification page (/missions/attestation/<token>/) shows what the
association attested, and the printed code is a short digest of that token.
"""

import datetime as dt
import hashlib
import uuid as uuid_module
from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from essaim.core.audit import audit_log
from essaim.core.models import Association, RoleAssignment
from essaim.lib.text import uuid_or_none
from essaim.people.models import Person

from .models import Application, Mission, VolunteerProfile
from .reference import all_skill_labels

APPROVED = "approved"
CEC_TOTAL_MINUTES = 200 * 60
CEC_ONE_ASSOCIATION_MINUTES = 100 * 60
TOKEN_SALT = "essaim.volunteering.attestation"


def hours_model():
    return apps.get_model("volunteering", "HoursEntry")


def format_minutes(minutes: int) -> str:
    """12 h, 12 h 30, 0 h 45 (the French way of writing durations)."""
    hours, rest = divmod(int(minutes or 0), 60)
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def year_bounds(year: int | None) -> tuple[dt.date | None, dt.date | None]:
    if year is None:
        return None, None
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


# --- Who -----------------------------------------------------------------------------------


@dataclass
class Volunteer:
    key: str  # "p<uuid>" (contact record) or "u<id>" (account without contact record)
    name: str
    person: Person | None = None
    user: object | None = None

    def hours_filter(self) -> Q:
        q = Q(pk__in=[])
        if self.person is not None:
            q |= Q(person=self.person)
        if self.user is not None:
            q |= Q(user=self.user)
        return q


def _user_name(user) -> str:
    return (user.get_full_name() or user.email or "").strip()


def _volunteer_from_person(person: Person) -> Volunteer:
    return Volunteer(
        key=f"p{person.uuid}",
        name=person.full_name or person.email or _("Anonymous contact"),
        person=person,
        user=person.user,
    )


def volunteer_of(association: Association, key: str) -> Volunteer | None:
    """The volunteer named by `key` in this association, or None (unknown, or another
    association's: the caller answers 404)."""
    key = str(key or "")
    if key.startswith("p"):
        uuid = uuid_or_none(key[1:])
        person = (
            Person.objects.filter(association=association, uuid=uuid).select_related("user").first()
            if uuid
            else None
        )
        return _volunteer_from_person(person) if person else None
    if key.startswith("u") and key[1:].isdigit():
        user = get_user_model().objects.filter(pk=int(key[1:])).first()
        if user is None:
            return None
        person = Person.objects.filter(
            association=association, user=user, erased_at__isnull=True
        ).first()
        if person is not None:
            return _volunteer_from_person(person)
        if not hours_model().objects.filter(association=association, user=user).exists():
            return None
        return Volunteer(key=key, name=_user_name(user), user=user)
    return None


def volunteer_for_account(association: Association, user) -> Volunteer:
    """The volunteer an account is, seen from one association (the volunteer's own space)."""
    person = Person.objects.filter(
        association=association, user=user, erased_at__isnull=True
    ).first()
    volunteer = Volunteer(key=f"u{user.pk}", name=_user_name(user), person=person, user=user)
    if person is not None:
        volunteer.key = f"p{person.uuid}"
        volunteer.name = _user_name(user) or person.full_name
    return volunteer


def approved_hours(association: Association, volunteer: Volunteer, year: int | None = None):
    start, end = year_bounds(year)
    entries = hours_model().objects.filter(
        volunteer.hours_filter(), association=association, status=APPROVED
    )
    if start is not None:
        entries = entries.filter(worked_on__gte=start, worked_on__lte=end)
    return entries


@dataclass
class VolunteerRow:
    key: str
    name: str
    minutes: int
    erased_account: bool = False

    @property
    def hours(self) -> str:
        return format_minutes(self.minutes)


def volunteers_with_hours(
    association: Association, *, year: int | None = None, query: str = ""
) -> list[VolunteerRow]:
    """The association's volunteers with approved hours (in `year`), most hours first."""
    start, end = year_bounds(year)
    entries = hours_model().objects.filter(association=association, status=APPROVED)
    if start is not None:
        entries = entries.filter(worked_on__gte=start, worked_on__lte=end)
    sums = entries.values("person_id", "user_id").annotate(total=Sum("minutes"))
    user_ids = {row["user_id"] for row in sums if row["user_id"] and not row["person_id"]}
    person_of_user = dict(
        Person.objects.filter(
            association=association, user_id__in=user_ids, erased_at__isnull=True
        ).values_list("user_id", "pk")
    )
    totals: dict[tuple[str, int], int] = defaultdict(int)
    for row in sums:
        person_id = row["person_id"] or person_of_user.get(row["user_id"])
        ident = ("p", person_id) if person_id else ("u", row["user_id"])
        if ident[1] is None:
            continue  # neither a contact nor an account: nobody to attest for
        totals[ident] += row["total"] or 0
    people = {
        p.pk: p
        for p in Person.objects.filter(
            association=association, pk__in=[i for k, i in totals if k == "p"]
        )
    }
    users = {
        u.pk: u for u in get_user_model().objects.filter(pk__in=[i for k, i in totals if k == "u"])
    }
    rows = []
    for (kind, ident), minutes in totals.items():
        if kind == "p":
            person = people[ident]
            rows.append(
                VolunteerRow(
                    key=f"p{person.uuid}",
                    name=person.full_name or person.email or _("Anonymous contact"),
                    minutes=minutes,
                    erased_account=person.user_id is None,
                )
            )
        elif ident in users:
            name = _user_name(users[ident])
            rows.append(VolunteerRow(key=f"u{ident}", name=name, minutes=minutes))
    if query:
        folded = query.casefold()
        rows = [r for r in rows if folded in r.name.casefold()]
    rows.sort(key=lambda r: (-r.minutes, r.name.casefold()))
    return rows


# --- What they did -------------------------------------------------------------------------


@dataclass
class MissionLine:
    association: str
    title: str
    first: dt.date
    last: dt.date
    minutes: int
    skills: list[str] = field(default_factory=list)  # labels

    @property
    def hours(self) -> str:
        return format_minutes(self.minutes)

    @property
    def period(self) -> str:
        if self.first == self.last:
            return self.first.strftime("%d/%m/%Y")
        return f"{self.first.strftime('%d/%m/%Y')} – {self.last.strftime('%d/%m/%Y')}"


def mission_lines(entries, volunteer_skills: set[str] | None = None) -> list[MissionLine]:
    """Approved hours grouped by mission (hours without a mission by activity), oldest first.
    Skills used: the mission's skills wanted that the volunteer has, or all of the mission's
    skills wanted when the volunteer's skills are not known."""
    labels = all_skill_labels()
    rows = (
        entries.values("association__name", "mission_id", "activity")
        .annotate(total=Sum("minutes"))
        .order_by()
    )
    firsts = {}
    for row in (
        entries.values("mission_id", "activity", "worked_on").order_by().distinct().iterator()
    ):
        key = (row["mission_id"], "" if row["mission_id"] else row["activity"] or "")
        first, last = firsts.get(key, (row["worked_on"], row["worked_on"]))
        firsts[key] = (min(first, row["worked_on"]), max(last, row["worked_on"]))
    missions = {
        m.pk: m
        for m in Mission.objects.filter(pk__in={r["mission_id"] for r in rows if r["mission_id"]})
    }
    merged: dict[tuple, MissionLine] = {}
    for row in rows:
        mission = missions.get(row["mission_id"])
        key = (row["mission_id"], "" if mission else row["activity"] or "")
        first, last = firsts[key]
        if key in merged:
            merged[key].minutes += row["total"] or 0
            continue
        if mission is not None:
            wanted = list(mission.skills or [])
            used = [c for c in wanted if volunteer_skills is None or c in volunteer_skills]
            title, skills = mission.title, [labels.get(c, c) for c in used]
        else:
            title, skills = (row["activity"] or _("Other volunteering")), []
        merged[key] = MissionLine(
            association=row["association__name"],
            title=title,
            first=first,
            last=last,
            minutes=row["total"] or 0,
            skills=skills,
        )
    return sorted(merged.values(), key=lambda line: (line.first, line.title))


def _known_skills(association: Association | None, volunteer: Volunteer) -> set[str] | None:
    """The volunteer's skills as the association knows them (the profiles shared with their
    applications), or the account's own profile when the volunteer asks (association None)."""
    if volunteer.user is None:
        return None
    if association is None:
        profile = VolunteerProfile.objects.filter(user=volunteer.user).first()
        return set(profile.skills) if profile else None
    shared = Application.objects.filter(
        association=association, user=volunteer.user, consent_at__isnull=False
    ).values_list("shared_profile", flat=True)
    skills = set()
    for profile in shared:
        skills.update((profile or {}).get("skills") or [])
    return skills or None


# --- The attestation ------------------------------------------------------------------------


@dataclass
class AttestationDocument:
    association_uuid: str
    association_name: str
    association_identifiers: list[str]
    association_address: list[str]
    association_city: str
    association_logo: object  # an ImageField file or None
    volunteer_name: str
    year: int | None
    lines: list[MissionLine]
    total_minutes: int
    skills: list[str]
    signatory_name: str
    signatory_role: str
    issued_by_volunteer: bool
    issued_on: dt.date
    token: str = ""
    code: str = ""
    verify_url: str = ""

    @property
    def total_hours(self) -> str:
        return format_minutes(self.total_minutes)

    @property
    def first(self) -> dt.date | None:
        return min((line.first for line in self.lines), default=None)

    @property
    def last(self) -> dt.date | None:
        return max((line.last for line in self.lines), default=None)


def _identifiers(association: Association) -> list[str]:
    out = []
    if association.rna:
        out.append(f"RNA {association.rna}")
    if association.siren:
        out.append(f"SIREN {association.siren}")
    return out


def _address(association: Association) -> list[str]:
    return [
        line
        for line in (
            association.address_line1,
            association.address_line2,
            f"{association.postcode} {association.city}".strip(),
        )
        if line
    ]


def _compact(day: dt.date | None) -> str:
    return day.strftime("%Y%m%d") if day else ""


def _uncompact(value: str) -> dt.date | None:
    return dt.datetime.strptime(value, "%Y%m%d").date() if value else None  # noqa: DTZ007


def attestation_token(document: AttestationDocument) -> str:
    """Signed, compact (it goes into a QR code): the association, the volunteer's name, the
    minutes, the year (0: all years), the first and last days and the day of issue."""
    payload = [
        uuid_module.UUID(document.association_uuid).hex,
        document.volunteer_name,
        document.total_minutes,
        document.year or 0,
        _compact(document.first),
        _compact(document.last),
        _compact(document.issued_on),
    ]
    return signing.dumps(payload, salt=TOKEN_SALT, compress=True)


def attestation_code(token: str) -> str:
    digest = hashlib.sha256(token.encode()).hexdigest()[:12].upper()
    return "-".join(digest[i : i + 4] for i in range(0, 12, 4))


def attestation_verify(token: str) -> dict | None:
    """What a genuine attestation's token says, or None for a forged or altered one, or one
    of an association that no longer exists."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(data, list) or len(data) != 7:
        return None
    try:
        association_uuid, name, minutes, year, first, last, issued = data
        with scopes_disabled():
            association = Association.objects.filter(
                uuid=uuid_module.UUID(association_uuid)
            ).first()
        if association is None:
            return None
        return {
            "association": association.name,
            "volunteer": str(name),
            "hours": format_minutes(int(minutes)),
            "year": int(year) or None,
            "first": _uncompact(first),
            "last": _uncompact(last),
            "issued_on": _uncompact(issued),
            "code": attestation_code(token),
        }
    except (TypeError, ValueError, AttributeError):
        return None


def _signatory(association: Association, acting_user, by_volunteer: bool) -> tuple[str, str]:
    if not by_volunteer:
        assignment = (
            RoleAssignment.objects.filter(association=association, user=acting_user)
            .select_related("role")
            .first()
        )
        return _user_name(acting_user), (assignment.role.name if assignment else "")
    president = (
        RoleAssignment.objects.filter(association=association, role__preset="presidence")
        .select_related("user", "role")
        .order_by("created_at")
        .first()
    )
    if president is None:
        return "", ""
    return _user_name(president.user), president.role.name


def _log(association, acting_user, action: str, volunteer: Volunteer, data: dict) -> None:
    if volunteer.person is not None:
        object_type, object_id = "person", str(volunteer.person.uuid)
    else:
        object_type, object_id = "user", str(getattr(volunteer.user, "pk", ""))
    audit_log(
        association=association,
        actor=acting_user,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=volunteer.name[:255],
        data=data,
    )


@transaction.atomic
def attestation_issue(
    *,
    association: Association,
    acting_user,
    volunteer: Volunteer,
    year: int | None = None,
    by_volunteer: bool = False,
) -> AttestationDocument:
    """The attestation de bénévolat of `volunteer` (all years, or one calendar year), issued
    by a team member, or by the volunteer for themselves (`by_volunteer`)."""
    entries = approved_hours(association, volunteer, year)
    skills_known = _known_skills(None if by_volunteer else association, volunteer)
    lines = mission_lines(entries, skills_known)
    signatory_name, signatory_role = _signatory(association, acting_user, by_volunteer)
    document = AttestationDocument(
        association_uuid=str(association.uuid),
        association_name=association.name,
        association_identifiers=_identifiers(association),
        association_address=_address(association),
        association_city=association.city,
        association_logo=association.logo or None,
        volunteer_name=volunteer.name,
        year=year,
        lines=lines,
        total_minutes=sum(line.minutes for line in lines),
        skills=list(dict.fromkeys(s for line in lines for s in line.skills)),
        signatory_name=signatory_name,
        signatory_role=signatory_role,
        issued_by_volunteer=by_volunteer,
        issued_on=timezone.localdate(),
    )
    document.token = attestation_token(document)
    document.code = attestation_code(document.token)
    document.verify_url = settings.ESSAIM_BASE_URL + reverse(
        "volunteering_public:attestation_verify", kwargs={"token": document.token}
    )
    _log(
        association,
        acting_user,
        "volunteer_attestation.issue",
        volunteer,
        {
            "year": year,
            "minutes": document.total_minutes,
            "code": document.code,
            "by_volunteer": by_volunteer,
        },
    )
    return document


# --- The yearly statement (Compte d'Engagement Citoyen) --------------------------------------


@dataclass
class StatementRow:
    association: str
    minutes: int
    association_created: dt.date | None = None

    @property
    def hours(self) -> str:
        return format_minutes(self.minutes)

    @property
    def reaches_one(self) -> bool:
        return self.minutes >= CEC_ONE_ASSOCIATION_MINUTES


@dataclass
class YearStatement:
    year: int
    volunteer_name: str
    rows: list[StatementRow]
    whole_instance: bool  # every association of the instance, or one association's hours
    issued_on: dt.date

    @property
    def total_minutes(self) -> int:
        return sum(row.minutes for row in self.rows)

    @property
    def total_hours(self) -> str:
        return format_minutes(self.total_minutes)

    @property
    def best_minutes(self) -> int:
        return max((row.minutes for row in self.rows), default=0)

    @property
    def reaches_total(self) -> bool:
        return self.total_minutes >= CEC_TOTAL_MINUTES

    @property
    def reaches_one(self) -> bool:
        return self.best_minutes >= CEC_ONE_ASSOCIATION_MINUTES

    @property
    def missing_total(self) -> str:
        return format_minutes(max(0, CEC_TOTAL_MINUTES - self.total_minutes))

    @property
    def missing_one(self) -> str:
        return format_minutes(max(0, CEC_ONE_ASSOCIATION_MINUTES - self.best_minutes))

    @property
    def empty(self) -> bool:
        return not self.rows


def check_year(year) -> int:
    from django.core.exceptions import ValidationError

    this_year = timezone.localdate().year
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= this_year:
        raise ValidationError(
            _("Choose a year between %(first)s and %(last)s.") % {"first": 2000, "last": this_year}
        )
    return year


def statement_for_account(user, year: int) -> YearStatement:
    """The account's approved hours of `year` in every association of the instance."""
    start, end = year_bounds(year)
    with scopes_disabled():
        sums = (
            hours_model()
            .objects.filter(
                Q(user=user) | Q(person__user=user),
                status=APPROVED,
                worked_on__gte=start,
                worked_on__lte=end,
            )
            .values("association__name")
            .annotate(total=Sum("minutes"))
            .order_by("association__name")
        )
        rows = [StatementRow(r["association__name"], r["total"] or 0) for r in sums]
    rows.sort(key=lambda r: (-r.minutes, r.association))
    return YearStatement(
        year=year,
        volunteer_name=_user_name(user),
        rows=rows,
        whole_instance=True,
        issued_on=timezone.localdate(),
    )


def statement_for_volunteer(
    association: Association, volunteer: Volunteer, year: int
) -> YearStatement:
    minutes = approved_hours(association, volunteer, year).aggregate(total=Sum("minutes"))["total"]
    rows = [StatementRow(association.name, minutes)] if minutes else []
    return YearStatement(
        year=year,
        volunteer_name=volunteer.name,
        rows=rows,
        whole_instance=False,
        issued_on=timezone.localdate(),
    )


@transaction.atomic
def statement_issue(
    *, association: Association | None, acting_user, volunteer: Volunteer | None, year: int
) -> YearStatement:
    """The yearly statement: one association's (`association`, a team member issuing it) or
    the account's own across the instance (`association` None, `acting_user` the volunteer)."""
    check_year(year)
    if association is None:
        statement = statement_for_account(acting_user, year)
        audit_log(
            association=None,
            actor=acting_user,
            action="volunteer_statement.issue",
            object_type="user",
            object_id=str(acting_user.pk),
            object_repr=statement.volunteer_name[:255],
            data={"year": year, "minutes": statement.total_minutes},
        )
        return statement
    statement = statement_for_volunteer(association, volunteer, year)
    _log(
        association,
        acting_user,
        "volunteer_statement.issue",
        volunteer,
        {"year": year, "minutes": statement.total_minutes},
    )
    return statement


# --- The passeport bénévole ----------------------------------------------------------------


@dataclass
class Passport:
    volunteer_name: str
    skills: list[str]
    languages: list[str]
    lines: list[MissionLine]
    issued_on: dt.date

    @property
    def total_hours(self) -> str:
        return format_minutes(sum(line.minutes for line in self.lines))

    @property
    def associations(self) -> list[str]:
        return list(dict.fromkeys(line.association for line in self.lines))


@transaction.atomic
def passport_issue(*, user) -> Passport:
    """The account's skills summary: profile skills, and every mission with approved hours in
    any association of the instance, with its period, hours and skills used."""
    from .reference import LANGUAGES

    profile = VolunteerProfile.objects.filter(user=user).first()
    labels = all_skill_labels()
    own = set(profile.skills) if profile else None
    with scopes_disabled():
        entries = hours_model().objects.filter(Q(user=user) | Q(person__user=user), status=APPROVED)
        lines = mission_lines(entries, own)
    languages = dict(LANGUAGES)
    passport = Passport(
        volunteer_name=_user_name(user),
        skills=[labels.get(code, code) for code in (profile.skills if profile else [])],
        languages=[str(languages.get(c, c)) for c in (profile.languages if profile else [])],
        lines=lines,
        issued_on=timezone.localdate(),
    )
    audit_log(
        association=None,
        actor=user,
        action="volunteer_passport.issue",
        object_type="user",
        object_id=str(user.pk),
        object_repr=passport.volunteer_name[:255],
    )
    return passport


def associations_with_hours(user) -> list[Association]:
    """The associations where the account has approved hours (its attestations)."""
    with scopes_disabled():
        ids = (
            hours_model()
            .objects.filter(Q(user=user) | Q(person__user=user), status=APPROVED)
            .order_by()
            .values_list("association_id", flat=True)
            .distinct()
        )
        return list(Association.objects.filter(pk__in=list(ids)).order_by("name"))
