"""Personal data held by governance: seats on bodies, convocations, attendance, proxies.

Attendance and proxies are the record of who took part in a general meeting (the signature
sheet and the minutes rest on them: a decision may be challenged in court for five years,
Code civil art. 2224). They are kept ATTENDANCE_RETENTION after the meeting, then deleted;
the meeting keeps its counts (`Assembly.quorum_at_opening`). Erasing a member before then
keeps the rows attached to their anonymised contact record, so the counts of a past
meeting never change; their proxies of meetings still to come are revoked.
"""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from essaim.core.privacy import PrivacyEntry, registry

from .models import Assembly, Attendance, BodySeat, Convocation, Proxy

ATTENDANCE_RETENTION = dt.timedelta(days=5 * 366)
CONVOCATION_RETENTION = dt.timedelta(days=2 * 366)


def _seats_export(person) -> list[dict]:
    return [
        {
            "body": seat.body.name,
            "role": seat.role,
            "since": seat.since.isoformat() if seat.since else "",
        }
        for seat in BodySeat.objects.filter(person=person).select_related("body")
    ]


def _seats_erase(person) -> None:
    BodySeat.objects.filter(person=person).delete()


registry.register(
    PrivacyEntry(
        key="governing_bodies",
        label=_("Seats on the board and the bureau"),
        data=_("The bodies you sit on (board, bureau), your role there and since when."),
        purpose=_("Knowing who runs the association, as its statutes require."),
        legal_basis=_("Membership contract (statutes)."),
        retention=_("While you sit on the body; removed when you leave it or are erased."),
        models=("governance.BodySeat",),
        export_person=_seats_export,
        erase_person=_seats_erase,
        order=600,
    )
)


def _attendance_export(person) -> list[dict]:
    rows = [
        {
            "meeting": c.assembly.title,
            "date": c.assembly.starts_at.isoformat(),
            "convened_by": c.channel,
        }
        for c in Convocation.objects.filter(person=person).select_related("assembly")
    ]
    rows += [
        {
            "meeting": a.assembly.title,
            "date": a.assembly.starts_at.isoformat(),
            "present_since": a.checked_in_at.isoformat(),
            "how": a.method,
        }
        for a in Attendance.objects.filter(person=person).select_related("assembly")
    ]
    rows += [
        {
            "meeting": p.assembly.title,
            "date": p.assembly.starts_at.isoformat(),
            "proxy_given_to": str(p.holder) if p.giver_id == person.pk else "",
            "proxy_held_for": str(p.giver) if p.holder_id == person.pk else "",
            "revoked_at": p.revoked_at.isoformat() if p.revoked_at else "",
        }
        for p in (
            Proxy.objects.filter(giver=person) | Proxy.objects.filter(holder=person)
        ).select_related("assembly", "giver", "holder")
    ]
    return rows


def _attendance_erase(person) -> None:
    now = timezone.now()
    Convocation.objects.filter(person=person).delete()
    # Meetings still to come: the erased member no longer gives nor holds a proxy.
    upcoming = Assembly.objects.filter(status__in=(Assembly.Status.DRAFT, Assembly.Status.CONVENED))
    for field in ("giver", "holder"):
        Proxy.objects.filter(
            **{field: person}, assembly__in=upcoming, revoked_at__isnull=True
        ).update(revoked_at=now, updated_at=now)


def _attendance_retention(now: dt.datetime) -> int:
    touched = Convocation.objects.filter(
        assembly__starts_at__lt=now - CONVOCATION_RETENTION
    ).delete()[0]
    old = Assembly.objects.filter(starts_at__lt=now - ATTENDANCE_RETENTION)
    touched += Attendance.objects.filter(assembly__in=old).delete()[0]
    touched += Proxy.objects.filter(assembly__in=old).delete()[0]
    return touched


registry.register(
    PrivacyEntry(
        key="general_meetings",
        label=_("General meetings: convocations, attendance and proxies"),
        data=_(
            "The general meetings you were convened to and how (e-mail or letter), when you "
            "were checked in and how, the proxies you gave or held."
        ),
        purpose=_(
            "Convening the members, counting the quorum, recording who voted for whom "
            "(signature sheet, minutes)."
        ),
        legal_basis=_("Membership contract (statutes); legitimate interest (proof of the vote)."),
        retention=_(
            "Convocations: two years after the meeting. Attendance and proxies: five years "
            "after the meeting (the time a decision can be challenged), then deleted; after "
            "an erasure they stay attached to an anonymous record, so past counts never change."
        ),
        models=("governance.Convocation", "governance.Attendance", "governance.Proxy"),
        export_person=_attendance_export,
        erase_person=_attendance_erase,
        apply_retention=_attendance_retention,
        order=610,
    )
)


def _assemblies_export_user(user) -> list[dict]:
    with scopes_disabled():
        return [
            {
                "association": assembly.association.name,
                "meeting": assembly.title,
                "created_at": assembly.created_at.isoformat(),
            }
            for assembly in Assembly.objects.filter(created_by=user).select_related("association")
        ]


registry.register(
    PrivacyEntry(
        key="general_meeting_organisers",
        label=_("General meetings prepared"),
        data=_("Which team member prepared each general meeting."),
        purpose=_("Knowing who in the team answers for a meeting."),
        legal_basis=_("Legitimate interest of the association (running its organisation)."),
        retention=_(
            "As long as the meeting; the link to the account goes when the account is deleted."
        ),
        models=("governance.Assembly",),
        export_user=_assemblies_export_user,
        order=615,
    )
)


# --- Consultations, decisions and summary e-mails ----------------------------------------------

DIGEST_RETENTION = dt.timedelta(days=90)


def _participation_export(person) -> list[dict]:
    from .models import (
        ConsultationProposal,
        DecisionAnswer,
        ProposalAmendment,
        ProposalComment,
        ProposalSupport,
    )

    rows = [
        {
            "consultation": p.consultation.title,
            "proposal": p.title,
            "text": p.text,
            "date": p.created_at.isoformat(),
        }
        for p in ConsultationProposal.objects.filter(author=person).select_related("consultation")
    ]
    rows += [
        {"proposal_supported": s.proposal.title, "date": s.created_at.isoformat()}
        for s in ProposalSupport.objects.filter(person=person).select_related("proposal")
    ]
    rows += [
        {"comment_on": c.proposal.title, "comment": c.text, "date": c.created_at.isoformat()}
        for c in ProposalComment.objects.filter(author=person).select_related("proposal")
    ]
    rows += [
        {"amendment_to": a.proposal.title, "amendment": a.text, "status": a.status}
        for a in ProposalAmendment.objects.filter(author=person).select_related("proposal")
    ]
    rows += [
        {
            "decision": a.decision.title,
            "answer": a.position or a.choices,
            "reason": a.reason,
            "date": a.updated_at.isoformat(),
        }
        for a in DecisionAnswer.objects.filter(person=person).select_related("decision")
    ]
    return rows


def _participation_erase(person) -> None:
    from .models import DecisionAnswer, ProposalComment

    # Comments and reasons are free text about the member's views: deleted. Proposals,
    # amendments, supports and answers stay, attached to the anonymised record, so that the
    # counts and the texts a consultation or decision rested on never change.
    ProposalComment.objects.filter(author=person, replies__isnull=True).delete()
    ProposalComment.objects.filter(author=person).update(
        text="", hidden_reason="", hidden_at=timezone.now()
    )
    DecisionAnswer.objects.filter(person=person).update(reason="")


registry.register(
    PrivacyEntry(
        key="consultations_decisions",
        label=_("Consultations and decisions"),
        data=_(
            "Your proposals, amendments, comments and supports in consultations; your answers "
            "to decisions (agree, abstain, disagree, block or your choice) and their reasons."
        ),
        purpose=_("Letting members take part in the association's decisions between meetings."),
        legal_basis=_("Membership contract (statutes)."),
        retention=_(
            "As long as the association keeps the consultation or decision. On erasure your "
            "comments and reasons are deleted; proposals, supports and answers stay attached to "
            "an anonymous record so that past counts never change."
        ),
        models=(
            "governance.ConsultationProposal",
            "governance.ProposalSupport",
            "governance.ProposalComment",
            "governance.ProposalAmendment",
            "governance.DecisionAnswer",
            "governance.Decision",
        ),
        export_person=_participation_export,
        erase_person=_participation_erase,
        order=620,
    )
)


def _digest_export(person) -> list[dict]:
    from .models import DigestPreference, DigestSent

    rows = [
        {"summary_email": pref.frequency} for pref in DigestPreference.objects.filter(person=person)
    ]
    rows += [
        {"summary_sent_for": d.period, "items": d.items}
        for d in DigestSent.objects.filter(person=person)
    ]
    return rows


def _digest_erase(person) -> None:
    from .models import DigestPreference, DigestSent

    DigestPreference.objects.filter(person=person).delete()
    DigestSent.objects.filter(person=person).delete()


def _digest_retention(now: dt.datetime) -> int:
    from .models import DigestSent

    return DigestSent.objects.filter(created_at__lt=now - DIGEST_RETENTION).delete()[0]


registry.register(
    PrivacyEntry(
        key="governance_digests",
        label=_("Summary e-mails of consultations and decisions"),
        data=_("How often you want the summary e-mail, and which periods it was sent for."),
        purpose=_("Sending at most one summary per day or per week, never twice."),
        legal_basis=_("Membership contract (statutes); your choice in your space."),
        retention=_("The record of each summary sent: 90 days. Your choice: until you change it."),
        models=("governance.DigestPreference", "governance.DigestSent"),
        export_person=_digest_export,
        erase_person=_digest_erase,
        apply_retention=_digest_retention,
        order=625,
    )
)


def _writers_export_user(user) -> list[dict]:
    from .models import Consultation, Minutes, Vote

    with scopes_disabled():
        rows = [
            {
                "association": c.association.name,
                "consultation": c.title,
                "created_at": c.created_at.isoformat(),
            }
            for c in Consultation.objects.filter(created_by=user).select_related("association")
        ]
        rows += [
            {
                "association": m.assembly.association.name,
                "minutes_of": m.assembly.title,
                "version": m.version,
                "frozen_at": m.frozen_at.isoformat() if m.frozen_at else "",
            }
            for m in Minutes.objects.filter(frozen_by=user).select_related("assembly__association")
        ]
        rows += [
            {
                "association": v.association.name,
                "vote_prepared": v.title,
                "created_at": v.created_at.isoformat(),
            }
            for v in Vote.objects.filter(created_by=user).select_related("association")
        ]
    return rows


registry.register(
    PrivacyEntry(
        key="governance_writers",
        label=_("Votes prepared, consultations opened and minutes made final"),
        data=_(
            "Which team member prepared each vote, opened each consultation and made each "
            "minutes final."
        ),
        purpose=_("Knowing who in the team answers for a vote, a consultation or the minutes."),
        legal_basis=_("Legitimate interest of the association (running its organisation)."),
        retention=_(
            "As long as the vote, the consultation or the minutes; the link to the account "
            "goes when the account is deleted."
        ),
        models=("governance.Vote", "governance.Consultation", "governance.Minutes"),
        export_user=_writers_export_user,
        order=630,
    )
)


# --- Votes ----------------------------------------------------------------------------------
# The roll (RollEntry: who voted, for whom, how) is personal data. The ballots of a secret
# vote are not: nothing links them to anyone (see governance/votes.py), so an export never
# contains them and an erasure never touches them.

VOTE_ROLL_RETENTION = dt.timedelta(days=5 * 366)


def _vote_roll_export(person) -> list[dict]:
    from .models import RollEntry

    entries = (
        RollEntry.objects.filter(represented=person) | RollEntry.objects.filter(voter=person)
    ).select_related("vote", "voter", "represented")
    return [
        {
            "vote": entry.vote.title,
            "date": entry.vote.opened_at.isoformat() if entry.vote.opened_at else "",
            "how": entry.channel,
            "voted_by_proxy_holder": str(entry.voter)
            if entry.represented_id == person.pk and entry.voter_id != person.pk
            else "",
            "voted_for": str(entry.represented)
            if entry.voter_id == person.pk and entry.represented_id != person.pk
            else "",
            # A public vote's choice is public; a secret vote's is known to nobody.
            "choice": entry.public_choice if not entry.vote.secret else "",
        }
        for entry in entries
    ]


def _vote_roll_erase(person) -> None:
    """Nothing to do on the roll: its entries stay attached to the anonymised contact, so the
    number of voters of a past vote never changes; the ballots are linked to nobody and are
    neither read nor changed."""


def _vote_roll_retention(now: dt.datetime) -> int:
    from .models import RollEntry

    return RollEntry.objects.filter(vote__closed_at__lt=now - VOTE_ROLL_RETENTION).delete()[0]


registry.register(
    PrivacyEntry(
        key="votes_roll",
        label=_("Votes: the roll of who voted"),
        data=_(
            "The votes you took part in, online or on paper, and the member who voted for you "
            "with your proxy (or for whom you voted). For a public vote, your choice. For a "
            "secret vote, what you voted is stored nowhere near your name: nobody can find it."
        ),
        purpose=_(
            "One ballot per member and per proxy; proving who took part in a decision (minutes)."
        ),
        legal_basis=_("Membership contract (statutes); legitimate interest (proof of the vote)."),
        retention=_(
            "Five years after the vote (the time a decision can be challenged), then deleted. "
            "After an erasure the entries stay attached to an anonymous record; the ballots, "
            "linked to nobody, never change."
        ),
        models=("governance.RollEntry",),
        export_person=_vote_roll_export,
        erase_person=_vote_roll_erase,
        apply_retention=_vote_roll_retention,
        order=620,
    )
)
