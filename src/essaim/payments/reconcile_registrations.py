"""Bank reconciliation in the shell: its navigation entry and activity-log labels."""

from django.utils.translation import gettext_lazy as _

from essaim.core import navigation
from essaim.core.selectors import register_action_labels

register_action_labels(
    {
        "bank_statement.upload": _("Bank statement uploaded"),
        "bank_statement.mapping": _("Columns of a bank statement chosen"),
        "bank_statement.import": _("Bank statement imported"),
        "bank_statement.discard": _("Bank statement discarded"),
        "bank_line.match": _("Bank operation matched with a payment"),
        "bank_line.record_payment": _("Payment recorded from a bank operation"),
        "bank_line.ignore": _("Bank operation set aside"),
        "bank_line.undo": _("Bank operation unmatched"),
    }
)

navigation.register(
    navigation.NavItem(
        key="reconciliation",
        label=_("Bank reconciliation"),
        url_name="reconciliation:home",
        capability="can_manage_finances",
        order=35,
        active_prefix="reconciliation:",
    )
)
