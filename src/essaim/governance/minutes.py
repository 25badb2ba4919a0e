"""Minutes (procès-verbal) of a general meeting.

The figures (date, place, convocation, attendance, quorum at opening, each resolution's
vote) are generated from the assembly; the team writes the texts of a draft (opening, one
text per agenda item, closing, chair and secretary). Freezing renders the PDF, computes its
SHA-256, stores both with the figures of that moment: a frozen version never changes. A
correction is a new version (draft, then frozen) that points to the version it corrects.

Votes are read through `governance.votes.vote_result(vote)` (the votes module) when it
exists; `vote_summaries` adapts whatever it returns to the few lines the minutes print.
"""

import hashlib

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from essaim.core.audit import audit_log
from essaim.core.models import Association
from essaim.lib.text import has_forbidden_characters

from . import selectors
from .models import AgendaItem, Assembly, BodySeat, Convocation, Minutes

TEXT_MAX = 20_000
NAME_MAX = 200


# --- Votes, read through the votes module --------------------------------------------------


def _how_held(result: dict) -> str:
    channels = result.get("channels") or {}
    paper = (channels.get("paper") or {}).get("ballots") or 0
    online = (channels.get("online") or {}).get("ballots") or 0
    secret = bool(result.get("secret"))
    if paper and online:
        return (
            _("mixed: secret paper ballots and secret online vote")
            if secret
            else _("mixed: paper ballots and online vote")
        )
    if paper:
        return _("secret paper ballots") if secret else _("paper ballots (show of hands recorded)")
    if online:
        return _("secret vote online") if secret else _("public vote online")
    return _("no ballot cast")


def _tally_value(method: str, tally: dict, grades: list) -> str:
    if method == "single":
        return f"{tally.get('votes', 0)} ({tally.get('percent', '')} %)".replace(" ( %)", "")
    if method == "approval":
        return f"{tally.get('approvals', 0)} ({tally.get('percent', '')} %)".replace(" ( %)", "")
    if method == "score":
        return _("total %(total)s, mean %(mean)s") % {
            "total": tally.get("total", 0),
            "mean": tally.get("mean", 0),
        }
    if method == "ranked":
        return _("%(wins)s wins by the Schulze method") % {"wins": tally.get("schulze_wins", 0)}
    if method == "judgment":
        grade = tally.get("majority_grade", "")
        return _("majority grade: %(grade)s%(gauge)s") % {
            "grade": grade,
            "gauge": {"+": " +", "-": " −"}.get(tally.get("gauge", ""), ""),
        }
    return ""


def _counts(result: dict) -> list[tuple[str, str]]:
    """[(label, figure)] of a sealed vote, for the minutes."""
    counts = result.get("counts") or {}
    method = result.get("method") or counts.get("method")
    if method == "yes_no":
        return [
            (_("Yes"), str(counts.get("yes", 0))),
            (_("No"), str(counts.get("no", 0))),
            (_("Votes needed to adopt"), str(counts.get("required", ""))),
        ]
    grades = counts.get("grades") or []
    return [
        (str(t.get("label") or t.get("key")), _tally_value(method, t, grades))
        for t in counts.get("tallies") or []
    ]


def _summary(vote, result: dict) -> dict:
    majority = result.get("majority") or {}
    adopted = result.get("adopted")
    voters = result.get("voters", 0)
    by_proxy = result.get("by_proxy") or 0
    voters_text = str(voters)
    if by_proxy:
        voters_text = _("%(voters)s, of whom %(proxies)s by proxy") % {
            "voters": voters,
            "proxies": by_proxy,
        }
    return {
        "title": result.get("title") or vote.title,
        "method": str(result.get("method_label") or vote.get_method_display()),
        "majority": str(majority.get("label") or "") if result.get("method") == "yes_no" else "",
        "counts": _counts(result),
        "abstentions": str(result["abstain"]) if result.get("abstain") is not None else "",
        "blank": str(result["blank"]) if result.get("blank") else "",
        "voters": voters_text,
        "adopted": adopted if isinstance(adopted, bool) else None,
        "winner": ", ".join(str(w) for w in result.get("winner_labels") or []),
        "tie": bool(result.get("tie")),
        "tie_explanation": str(result.get("tie_explanation") or ""),
        "how": _how_held(result),
        "secret": bool(result.get("secret")),
        "final_hash": str(result.get("final_hash") or ""),
    }


def vote_summaries(item: AgendaItem) -> list[dict]:
    """The sealed votes held on `item`, each as the minutes print it (read through
    `governance.votes.vote_result`)."""
    votes_manager = getattr(item, "votes", None)
    if votes_manager is None:
        return []
    return _summaries(votes_manager.all())


def other_vote_summaries(assembly: Assembly) -> list[dict]:
    """The sealed votes of the meeting held on no agenda item."""
    votes_manager = getattr(assembly, "votes", None)
    if votes_manager is None:
        return []
    return _summaries(votes_manager.filter(agenda_item__isnull=True))


def _summaries(votes_queryset) -> list[dict]:
    try:
        from .votes import vote_result
    except ImportError:  # the votes module is not there
        return []
    summaries = []
    for vote in votes_queryset.order_by("created_at", "id"):
        if not vote.is_sealed:
            continue
        summaries.append(_summary(vote, vote_result(vote)))
    return summaries


# --- Figures ------------------------------------------------------------------------------


def _majority_label(rule) -> str:
    if rule.name == "qualified":
        return _("at least %(share)s of the votes cast") % {"share": rule.fraction}
    return {
        "two_thirds": _("two-thirds majority"),
        "absolute": _("absolute majority"),
    }.get(rule.name, _("simple majority"))


def figures_of(assembly: Assembly) -> dict:
    """Everything the minutes print that is not written by hand (JSON-ready)."""
    association = assembly.association
    rules = selectors.rules_for(association)
    starts = timezone.localtime(assembly.starts_at)
    convocations = Convocation.objects.filter(assembly=assembly)
    quorum = assembly.quorum_at_opening or {}
    if not quorum:
        live = selectors.quorum_of(assembly)
        quorum = live.status.as_dict() | {"weighted": live.weighted, "live": True}
    majority = rules.majority_for(assembly.kind)
    items = []
    for item in assembly.items.order_by("position", "id"):
        items.append(
            {
                "uuid": str(item.uuid),
                "title": item.title,
                "description": item.description,
                "is_resolution": item.is_resolution,
                "votes": vote_summaries(item),
            }
        )
    return {
        "association": association.name,
        "title": assembly.title,
        "kind": str(assembly.get_kind_display()),
        "date": date_format(starts, "l j F Y"),
        "time": date_format(starts, "H:i"),
        "mode": str(assembly.get_mode_display()),
        "place": assembly.place,
        "convocation": str(assembly.get_convocation_number_display()),
        "convened_on": date_format(timezone.localtime(assembly.convened_at), "j F Y")
        if assembly.convened_at
        else "",
        "notice_days": rules.notice_days,
        "notice_met": selectors.notice_met(assembly) if assembly.convened_at else None,
        "convened_email": convocations.filter(channel=Convocation.Channel.EMAIL).count(),
        "convened_letter": convocations.filter(channel=Convocation.Channel.LETTER).count(),
        "opened_at": date_format(timezone.localtime(assembly.opened_at), "H:i")
        if assembly.opened_at
        else "",
        "closed_at": date_format(timezone.localtime(assembly.closed_at), "H:i")
        if assembly.closed_at
        else "",
        "quorum": {
            "rule": quorum.get("rule"),
            "voters": quorum.get("voters", 0),
            "present": quorum.get("present", 0),
            "represented": quorum.get("represented", 0),
            "required": quorum.get("required", 0),
            "reached": bool(quorum.get("reached")),
            "weighted": bool(quorum.get("weighted")),
            "at_opening": not quorum.get("live", False),
        },
        "majority": _majority_label(majority),
        "items": items,
        "other_votes": other_vote_summaries(assembly),
    }


def suggested_officers(assembly: Assembly) -> tuple[str, str]:
    """The bureau's president and secretary, the usual chair and secretary of a meeting."""
    seats = BodySeat.objects.filter(
        association=assembly.association,
        body__kind="bureau",
        role__in=(BodySeat.Role.PRESIDENT, BodySeat.Role.SECRETARY),
    ).select_related("person")
    names = {seat.role: seat.person.full_name or str(seat.person) for seat in seats}
    return names.get(BodySeat.Role.PRESIDENT, ""), names.get(BodySeat.Role.SECRETARY, "")


def officer_names(assembly: Assembly) -> list[str]:
    """Names to pick the chair and the secretary from: the bureau, then the members present."""
    from .models import Attendance

    names = [
        seat.person.full_name or str(seat.person)
        for seat in BodySeat.objects.filter(
            association=assembly.association, body__kind="bureau"
        ).select_related("person")
    ]
    names += [
        a.person.full_name or str(a.person)
        for a in Attendance.objects.filter(assembly=assembly)
        .select_related("person")
        .order_by("person__sort_name")[:300]
    ]
    return list(dict.fromkeys(n for n in names if n))


# --- Services -----------------------------------------------------------------------------


def _check_text(errors: dict, field: str, value: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        errors[field] = _("At most %(limit)d characters, please.") % {"limit": limit}
    elif has_forbidden_characters(value):
        errors[field] = _("This text contains characters that are not allowed.")
    return value


@transaction.atomic
def minutes_start(*, association: Association, acting_user, assembly: Assembly) -> Minutes:
    """The assembly's draft minutes: the one being written, or a new first version."""
    assembly = Assembly.objects.select_for_update().get(pk=assembly.pk, association=association)
    if assembly.status not in (Assembly.Status.OPEN, Assembly.Status.CLOSED):
        raise ValidationError(_("The minutes are written once the meeting has opened."))
    draft = Minutes.objects.filter(assembly=assembly, status=Minutes.Status.DRAFT).first()
    if draft is not None:
        return draft
    if Minutes.objects.filter(assembly=assembly).exists():
        raise ValidationError(
            _("The minutes are final. To correct them, write a corrected version.")
        )
    chair, secretary = suggested_officers(assembly)
    minutes = Minutes.objects.create(
        association=association,
        assembly=assembly,
        version=1,
        chair_name=chair,
        secretary_name=secretary,
    )
    audit_log(association=association, actor=acting_user, action="minutes.create", obj=minutes)
    return minutes


EDITABLE = ("chair_name", "secretary_name", "opening_text", "closing_text", "correction_note")


@transaction.atomic
def minutes_update(
    *, association: Association, acting_user, minutes: Minutes, item_texts=None, **fields
) -> Minutes:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValueError(f"unknown fields {unknown}")
    minutes = Minutes.objects.select_for_update().get(pk=minutes.pk, association=association)
    if minutes.is_frozen:
        raise ValidationError(
            _("These minutes are final and cannot be changed: write a corrected version.")
        )
    errors = {}
    for name, value in fields.items():
        limit = NAME_MAX if name.endswith("_name") else TEXT_MAX
        setattr(minutes, name, _check_text(errors, name, value, limit))
    if item_texts is not None:
        known = {str(u) for u in minutes.assembly.items.values_list("uuid", flat=True)}
        texts = {}
        for key, value in item_texts.items():
            if str(key) in known:
                texts[str(key)] = _check_text(errors, "item_texts", value, TEXT_MAX)
        minutes.item_texts = texts
    if errors:
        raise ValidationError(errors)
    minutes.save()
    audit_log(
        association=association,
        actor=acting_user,
        action="minutes.update",
        obj=minutes,
        data={"fields": sorted(fields) + (["item_texts"] if item_texts is not None else [])},
    )
    return minutes


@transaction.atomic
def minutes_freeze(*, association: Association, acting_user, minutes: Minutes) -> Minutes:
    """Render the PDF with the figures of now, store it with its SHA-256; final."""
    from .minutes_pdf import minutes_pdf

    minutes = (
        Minutes.objects.select_for_update(of=("self",))
        .select_related("assembly__association", "previous")
        .get(pk=minutes.pk, association=association)
    )
    if minutes.is_frozen:
        raise ValidationError(_("These minutes are already final."))
    assembly = minutes.assembly
    errors = {}
    if assembly.status != Assembly.Status.CLOSED:
        errors["__all__"] = _("Close the meeting before making its minutes final.")
    if not minutes.chair_name.strip():
        errors["chair_name"] = _("Name the chair of the meeting: they sign the minutes.")
    if not minutes.secretary_name.strip():
        errors["secretary_name"] = _("Name the secretary of the meeting: they sign the minutes.")
    if minutes.previous_id and not minutes.correction_note.strip():
        errors["correction_note"] = _("Say what this version corrects.")
    if errors:
        raise ValidationError(errors)
    minutes.figures = figures_of(assembly)
    minutes.frozen_at = timezone.now()
    minutes.frozen_by = acting_user if getattr(acting_user, "is_authenticated", False) else None
    data = minutes_pdf(minutes)
    minutes.sha256 = hashlib.sha256(data).hexdigest()
    minutes.status = Minutes.Status.FROZEN
    minutes.pdf.save("minutes.pdf", ContentFile(data), save=False)
    minutes.save()
    audit_log(
        association=association,
        actor=acting_user,
        action="minutes.freeze",
        obj=minutes,
        data={"sha256": minutes.sha256, "version": minutes.version},
    )
    return minutes


@transaction.atomic
def minutes_correct(*, association: Association, acting_user, minutes: Minutes) -> Minutes:
    """A new draft version correcting the frozen `minutes` (its texts copied)."""
    minutes = Minutes.objects.select_for_update().get(pk=minutes.pk, association=association)
    if not minutes.is_frozen:
        raise ValidationError(_("Only final minutes are corrected; edit this draft instead."))
    if Minutes.objects.filter(assembly=minutes.assembly, status=Minutes.Status.DRAFT).exists():
        raise ValidationError(_("A corrected version is already being written."))
    if hasattr(minutes, "correction") and Minutes.objects.filter(previous=minutes).exists():
        raise ValidationError(_("This version was already corrected: correct the latest one."))
    latest = Minutes.objects.filter(assembly=minutes.assembly).aggregate(v=Max("version"))["v"]
    try:
        with transaction.atomic():
            draft = Minutes.objects.create(
                association=association,
                assembly=minutes.assembly,
                version=latest + 1,
                previous=minutes,
                chair_name=minutes.chair_name,
                secretary_name=minutes.secretary_name,
                opening_text=minutes.opening_text,
                item_texts=dict(minutes.item_texts),
                closing_text=minutes.closing_text,
            )
    except IntegrityError:
        raise ValidationError(_("A corrected version is already being written.")) from None
    audit_log(
        association=association,
        actor=acting_user,
        action="minutes.correct",
        obj=draft,
        data={"corrects": minutes.version},
    )
    return draft


def minutes_bytes(minutes: Minutes) -> bytes:
    with minutes.pdf.open("rb") as handle:
        return handle.read()


def minutes_of(assembly: Assembly) -> list[Minutes]:
    return list(Minutes.objects.filter(assembly=assembly).order_by("-version"))
