"""The mobilisation app in the shell: navigation, activity log, dashboard."""

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from essaim.core import dashboard, navigation
from essaim.core.selectors import FIELD_LABELS, register_action_labels

from . import segments  # noqa: F401 (criteria of audiences)
from .models import Petition, PetitionCounter

register_action_labels(
    {
        "petition.create": _("Petition created"),
        "petition.update": _("Petition changed"),
        "petition.open": _("Petition opened"),
        "petition.close": _("Petition closed"),
        "petition.news": _("News of a petition sent to its signers"),
        "petition.export": _("Petition signatures exported"),
        "petition.reconcile": _("Petition count corrected from its signatures"),
        "signature.invalidate": _("Petition signatures invalidated"),
    }
)
for _name in ("title", "text", "addressee", "goal", "ends_on"):
    FIELD_LABELS.setdefault(_name, Petition._meta.get_field(_name).verbose_name)

navigation.register(
    navigation.NavItem(
        key="petitions",
        label=_("Petitions"),
        url_name="mobilisation:petitions",
        capability="can_send_mailings",
        order=55,
        active_prefix="mobilisation:",
    )
)


def _signatures(association) -> int:
    return (
        PetitionCounter.objects.filter(
            association=association, petition__status=Petition.Status.OPEN
        ).aggregate(total=Sum("count"))["total"]
        or 0
    )


dashboard.register_figure(
    dashboard.Figure(
        key="petition_signatures",
        label=_("signatures on open petitions"),
        value=_signatures,
        url_name="mobilisation:petitions",
        capability="can_send_mailings",
        order=50,
    )
)
