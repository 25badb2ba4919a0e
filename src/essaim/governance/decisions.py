"""Asynchronous decisions (Loomio-like) in a body or among all members with voting rights.

A proposal is discussed and answered until its deadline, by consent (agree, abstain,
disagree, block: a block must give its reason) or by a poll (one choice, or approval of
several options, counted by `counting.py`). A member may change their answer until the
deadline, never after. Reminders go once, REMIND_BEFORE the deadline, to the members who
have not answered; a scheduled task closes the decisions whose deadline passed; the
proposer (or the team) then writes the outcome.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from essaim.core.audit import audit_log
from essaim.core.models import Association
from essaim.lib.text import has_forbidden_characters
from essaim.people.models import Person

from . import counting
from .consultations import may_take_part, people_asked
from .models import Body, BodySeat, Decision, DecisionAnswer

TITLE_MAX = 200
TEXT_MAX = 10_000
REASON_MAX = 2_000
OPTIONS_MAX = 20
REMIND_BEFORE = dt.timedelta(hours=24)
Position = DecisionAnswer.Position


def _text(value, limit, field, empty) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: empty})
    if len(value) > limit:
        raise ValidationError(
            {field: _("At most %(limit)d characters, please.") % {"limit": limit}}
        )
    if has_forbidden_characters(value):
        raise ValidationError({field: _("This text contains characters that are not allowed.")})
    return value


def is_poll(decision: Decision) -> bool:
    return decision.process != Decision.Process.CONSENT


@transaction.atomic
def decision_create(
    *,
    association: Association,
    acting_user,
    title: str,
    text: str,
    deadline: dt.datetime,
    process: str = Decision.Process.CONSENT,
    options: list[str] | None = None,
    body: Body | None = None,
    secret: bool = False,
    proposer: Person | None = None,
) -> Decision:
    errors = {}
    for field, value, limit, empty in (
        ("title", title, TITLE_MAX, _("Give the decision a title.")),
        ("text", text, TEXT_MAX, _("Write the proposal the members answer.")),
    ):
        try:
            _text(value, limit, field, empty)
        except ValidationError as error:
            errors.update(error.message_dict)
    if process not in Decision.Process.values:
        errors["process"] = _("Choose how members answer.")
    options = [" ".join(str(o).split()) for o in (options or []) if str(o).strip()]
    if process in (Decision.Process.SINGLE, Decision.Process.APPROVAL):
        if len(options) < 2:
            errors["options"] = _("A poll needs at least two options, one per line.")
        elif len(options) > OPTIONS_MAX:
            errors["options"] = _("At most %(limit)d options.") % {"limit": OPTIONS_MAX}
        elif len({o.casefold() for o in options}) != len(options):
            errors["options"] = _("Two options have the same text.")
        elif any(len(o) > 200 or has_forbidden_characters(o) for o in options):
            errors["options"] = _("An option is too long (200 characters at most).")
    else:
        options = []
    if deadline is None or deadline <= timezone.now():
        errors["deadline"] = _("The deadline must be in the future.")
    elif deadline > timezone.now() + dt.timedelta(days=366):
        errors["deadline"] = _("The deadline must be within a year.")
    if body is not None and body.association_id != association.pk:
        errors["body"] = _("Unknown body.")
    if proposer is not None and proposer.association_id != association.pk:
        errors["proposer"] = _("Unknown contact.")
    if errors:
        raise ValidationError(errors)
    decision = Decision.objects.create(
        association=association,
        title=title.strip(),
        text=text.strip(),
        deadline=deadline,
        process=process,
        options=options,
        body=body,
        secret=bool(secret),
        proposer=proposer,
        created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    audit_log(association=association, actor=acting_user, action="decision.create", obj=decision)
    return decision


@transaction.atomic
def decision_answer(
    *,
    association: Association,
    acting_user,
    decision: Decision,
    person: Person,
    position: str = "",
    choices: list[int] | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> DecisionAnswer:
    """Record (or change) a member's answer, until the deadline."""
    now = now or timezone.now()
    decision = Decision.objects.select_for_update().get(pk=decision.pk, association=association)
    if decision.status != Decision.Status.OPEN or now >= decision.deadline:
        raise ValidationError(_("The deadline has passed: answers are closed."))
    if not may_take_part(person, association, decision.body):
        raise ValidationError(_("Only the members asked may answer this decision."))
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX or has_forbidden_characters(reason):
        raise ValidationError(
            {"reason": _("At most %(limit)d characters, please.") % {"limit": REASON_MAX}}
        )
    if is_poll(decision):
        picked = sorted({int(c) for c in (choices or [])})
        if any(not 0 <= c < len(decision.options) for c in picked):
            raise ValidationError({"choices": _("Unknown option.")})
        if not picked:
            raise ValidationError({"choices": _("Choose an option.")})
        if decision.process == Decision.Process.SINGLE and len(picked) != 1:
            raise ValidationError({"choices": _("Choose one option only.")})
        position = ""
    else:
        if position not in Position.values:
            raise ValidationError({"position": _("Choose your answer.")})
        if position == Position.BLOCK and not reason:
            raise ValidationError(
                {"reason": _("A block stops the decision: say why, so the group can answer.")}
            )
        picked = []
    answer = DecisionAnswer.objects.filter(decision=decision, person=person).first()
    changed = answer is not None
    if answer is None:
        answer = DecisionAnswer(association=association, decision=decision, person=person)
    answer.position, answer.choices, answer.reason = position, picked, reason
    try:
        with transaction.atomic():
            answer.save()
    except IntegrityError:
        raise ValidationError(_("Your answer was recorded meanwhile; reload the page.")) from None
    audit_log(
        association=association,
        actor=acting_user,
        action="decision.answer_change" if changed else "decision.answer",
        obj=decision,
        # A secret decision's log says who answered, never what.
        data={} if decision.secret else {"position": position, "choices": picked},
    )
    return answer


@transaction.atomic
def decision_close(
    *,
    association: Association,
    acting_user,
    decision: Decision,
    outcome: str = "",
    now: dt.datetime | None = None,
) -> Decision:
    """Close now (the team or the task at the deadline); the outcome may come later."""
    decision = Decision.objects.select_for_update().get(pk=decision.pk, association=association)
    if decision.status == Decision.Status.CLOSED:
        raise ValidationError(_("This decision is already closed."))
    if has_forbidden_characters(outcome or ""):
        raise ValidationError({"outcome": _("This text contains characters that are not allowed.")})
    decision.status = Decision.Status.CLOSED
    decision.closed_at = now or timezone.now()
    decision.outcome = (outcome or "").strip()
    decision.save(update_fields=["status", "closed_at", "outcome", "updated_at"])
    audit_log(
        association=association,
        actor=acting_user,
        action="decision.close",
        obj=decision,
        data={"counts": outcome_counts(decision)},
    )
    return decision


@transaction.atomic
def decision_outcome(
    *,
    association: Association,
    acting_user,
    decision: Decision,
    outcome: str,
    by_person: Person | None = None,
) -> Decision:
    """The outcome statement, written by the proposer (or the team) once closed."""
    decision = Decision.objects.select_for_update().get(pk=decision.pk, association=association)
    if decision.status != Decision.Status.CLOSED:
        raise ValidationError(_("Write the outcome once the decision is closed."))
    if by_person is not None and by_person.pk != decision.proposer_id:
        raise ValidationError(_("Only the proposer or the team write the outcome."))
    decision.outcome = _text(outcome, TEXT_MAX, "outcome", _("Write what was decided."))
    decision.save(update_fields=["outcome", "updated_at"])
    audit_log(association=association, actor=acting_user, action="decision.outcome", obj=decision)
    return decision


# --- Reads --------------------------------------------------------------------------------


def outcome_counts(decision: Decision) -> dict:
    """Consent: {position: count}; poll: the counting module's tallies and winner."""
    answers = DecisionAnswer.objects.filter(decision=decision)
    if not is_poll(decision):
        counts = dict.fromkeys(Position.values, 0)
        for row in answers.values("position").annotate(n=Count("id")):
            counts[row["position"]] = row["n"]
        counts["total"] = sum(counts.values())
        return counts
    options = list(range(len(decision.options)))
    ballots = [(1, a.choices) for a in answers.only("choices")]
    if decision.process == Decision.Process.SINGLE:
        result = counting.plurality(options, [(w, c[0] if c else None) for w, c in ballots])
        tallies = [{"option": t.option, "count": t.votes} for t in result.tallies]
    else:
        result = counting.approval(options, [(w, set(c) or None) for w, c in ballots])
        tallies = [{"option": t.option, "count": t.approvals} for t in result.tallies]
    for tally in tallies:
        tally["label"] = decision.options[tally["option"]]
    return {
        "tallies": tallies,
        "total": len(ballots),
        "winner": decision.options[result.winner] if result.winner is not None else None,
        "tie": result.tie,
    }


def participation(decision: Decision) -> dict:
    """How many of the members asked answered; who did not (names hidden when secret)."""
    asked = people_asked(decision.association, decision.body)
    answered_ids = DecisionAnswer.objects.filter(decision=decision).values("person_id")
    waiting = asked.exclude(pk__in=answered_ids)
    total = asked.count()
    waiting_count = waiting.count()
    return {
        "asked": total,
        "answered": total - waiting_count,
        "waiting_count": waiting_count,
        "waiting": [] if decision.secret else list(waiting.order_by("sort_name", "id")[:200]),
    }


def answers_shown(decision: Decision) -> list[DecisionAnswer]:
    """The answers with their authors (never for a secret decision), newest last."""
    if decision.secret:
        return []
    return list(
        DecisionAnswer.objects.filter(decision=decision)
        .select_related("person")
        .order_by("created_at", "id")
    )


def decisions_for(association: Association, person: Person) -> QuerySet[Decision]:
    bodies = BodySeat.objects.filter(person=person).values("body_id")
    return Decision.objects.filter(association=association).filter(
        Q(body__isnull=True) | Q(body_id__in=bodies)
    )


# --- Scheduled: reminders and closing -----------------------------------------------------


def decisions_close_due(now: dt.datetime | None = None) -> int:
    """Close every open decision whose deadline passed (any association). Idempotent."""
    now = now or timezone.now()
    with scopes_disabled():
        due = list(
            Decision.objects.select_related("association").filter(
                status=Decision.Status.OPEN, deadline__lte=now
            )
        )
    closed = 0
    for decision in due:
        with scope(association=decision.association):
            try:
                decision_close(
                    association=decision.association,
                    acting_user=None,
                    decision=decision,
                    now=now,
                )
            except ValidationError:  # closed meanwhile
                continue
            closed += 1
    return closed


def decisions_remind(now: dt.datetime | None = None) -> int:
    """E-mail, once per decision, the members who have not answered REMIND_BEFORE the
    deadline. Returns the number of e-mails queued."""
    from essaim.core.emails import email_enqueue

    from .digests import member_space_url

    now = now or timezone.now()
    with scopes_disabled():
        due = list(
            Decision.objects.select_related("association").filter(
                status=Decision.Status.OPEN,
                reminded_at__isnull=True,
                deadline__gt=now,
                deadline__lte=now + REMIND_BEFORE,
            )
        )
    sent = 0
    for decision in due:
        association = decision.association
        with scope(association=association), transaction.atomic():
            locked = (
                Decision.objects.select_for_update()
                .filter(pk=decision.pk, reminded_at__isnull=True)
                .first()
            )
            if locked is None:
                continue
            locked.reminded_at = now
            locked.save(update_fields=["reminded_at"])
            answered = DecisionAnswer.objects.filter(decision=locked).values("person_id")
            waiting = (
                people_asked(association, locked.body)
                .exclude(pk__in=answered)
                .exclude(email="")
                .order_by("pk")
            )
            queued = 0
            for person in waiting.iterator(chunk_size=500):
                email_enqueue(
                    to=person.email,
                    template="governance_decision_reminder",
                    context={
                        "person": person,
                        "decision": locked,
                        "deadline": timezone.localtime(locked.deadline),
                        "url": member_space_url("governance_public:decision", locked.uuid),
                    },
                    association=association,
                )
                queued += 1
            sent += queued
            audit_log(
                association=association,
                actor=None,
                action="decision.remind",
                obj=locked,
                data={"emails": queued},
            )
    return sent
