"""The people app's own contact-page panel (appeals for gifts) and activity-log labels."""

from django.utils.translation import gettext_lazy as _

from essaim.core.selectors import register_action_labels

from . import panels, segments, solicitations  # noqa: F401 (segments: criteria of contacts)

register_action_labels(
    {
        "solicitation.record": _("Appeal for gifts sent"),
        "solicitation.answered": _("Answer to an appeal noted"),
    }
)


def _solicitation_panel(request, person) -> dict | None:
    state = solicitations.solicitation_state(person)
    if not state["recent"]:
        return None
    return {**state, "can_answer": request.seat.can("can_manage_members")}


panels.register(
    panels.PersonPanel(
        key="solicitations",
        template="people/_solicitations_panel.html",
        context=_solicitation_panel,
        capability="can_view_members",
        order=25,
    )
)
