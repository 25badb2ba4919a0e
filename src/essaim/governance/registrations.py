"""Governance in the shell: navigation « Vie statutaire », activity log labels, dashboard."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from essaim.core import dashboard, navigation, scheduler
from essaim.core.selectors import FIELD_LABELS, register_action_labels

from . import votes
from .models import Assembly, StatutesRules

register_action_labels(
    {
        "statutes_rules.update": _("Statutes rules changed"),
        "body.create": _("Governing body created"),
        "body.seat_add": _("Member added to a governing body"),
        "body.seat_remove": _("Member removed from a governing body"),
        "assembly.create": _("General meeting prepared"),
        "assembly.update": _("General meeting changed"),
        "assembly.agenda_add": _("Agenda item added"),
        "assembly.agenda_delete": _("Agenda item removed"),
        "assembly.document_add": _("Document added to the agenda"),
        "assembly.convene": _("Members convened to a general meeting"),
        "assembly.check_in": _("Member checked in"),
        "assembly.check_in_undo": _("Check-in undone"),
        "assembly.open": _("General meeting opened"),
        "assembly.close": _("General meeting closed"),
        "proxy.give": _("Proxy given"),
        "proxy.revoke": _("Proxy revoked"),
        "consultation.create": _("Consultation opened"),
        "consultation.phase": _("Consultation moved to its next phase"),
        "proposal.create": _("Proposal written"),
        "proposal.support": _("Proposal supported"),
        "proposal.retain": _("Proposal retained (support threshold reached)"),
        "proposal.hide": _("Proposal hidden by the team"),
        "proposal.to_agenda": _("Retained proposal put on the agenda of a general meeting"),
        "proposal.comment": _("Comment on a proposal"),
        "proposal.comment_hide": _("Comment hidden by the team"),
        "proposal.amend": _("Amendment suggested"),
        "proposal.amendment_accept": _("Amendment accepted"),
        "proposal.amendment_reject": _("Amendment rejected"),
        "decision.create": _("Decision opened"),
        "decision.answer": _("Answer to a decision"),
        "decision.answer_change": _("Answer to a decision changed"),
        "decision.close": _("Decision closed"),
        "decision.outcome": _("Outcome of a decision written"),
        "decision.remind": _("Reminder sent for a decision"),
        "digest.preference": _("Summary e-mail preference changed"),
        "minutes.create": _("Minutes started"),
        "minutes.update": _("Minutes draft edited"),
        "minutes.freeze": _("Minutes made final (PDF)"),
        "minutes.correct": _("Corrected version of the minutes started"),
    }
)
for _name in (
    "quorum_ordinary",
    "quorum_extraordinary",
    "second_convocation_without_quorum",
    "majority_ordinary",
    "majority_ordinary_custom",
    "majority_extraordinary",
    "majority_extraordinary_custom",
    "proxies_allowed",
    "proxy_cap",
    "remote_voting_allowed",
    "notice_days",
    "weighted_votes",
):
    FIELD_LABELS.setdefault(_name, StatutesRules._meta.get_field(_name).verbose_name)
for _name in ("starts_at", "mode", "place", "online_link", "convocation_number"):
    FIELD_LABELS.setdefault(_name, Assembly._meta.get_field(_name).verbose_name)

navigation.register(
    navigation.NavItem(
        key="governance",
        label=_("Governance"),
        url_name="governance:assemblies",
        capability="can_run_votes",
        order=50,
        active_prefix="governance:",
    )
)


def _next_assembly(association) -> int:
    return Assembly.objects.filter(
        association=association,
        starts_at__gte=timezone.now(),
        status__in=(Assembly.Status.DRAFT, Assembly.Status.CONVENED),
    ).count()


dashboard.register_figure(
    dashboard.Figure(
        key="assemblies",
        label=_("general meetings coming"),
        value=_next_assembly,
        url_name="governance:assemblies",
        capability="can_run_votes",
        order=50,
    )
)

dashboard.register_step(
    dashboard.Step(
        key="general_meeting",
        label=_("Convene your general meeting"),
        help=_("Date, agenda, convocations by e-mail and letters for members without e-mail."),
        done=lambda association: (
            Assembly.objects.filter(association=association)
            .exclude(status=Assembly.Status.DRAFT)
            .exists()
        ),
        url_name="governance:assemblies",
        capability="can_run_votes",
        order=60,
    )
)

register_action_labels(
    {
        "vote.create": _("Vote prepared"),
        "vote.open": _("Vote opened"),
        "vote.delete": _("Vote removed"),
        "vote.cast": _("Ballot cast (who voted, never what)"),
        "vote.paper_roll": _("Paper voter marked on the roll"),
        "vote.paper_ballots": _("Paper ballots added to the ballot box"),
        "vote.close": _("Vote closed and ballot box sealed"),
        "vote.verify": _("Ballot box verified"),
        "vote.publish": _("Vote result published"),
    }
)

# Votes whose closing time has passed are closed and sealed without waiting for the team.
scheduler.register("governance_votes_close_due", votes.votes_tick, minutes=5)
