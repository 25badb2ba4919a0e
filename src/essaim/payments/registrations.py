"""The payments app in the shell: labels of its activity log entries."""

from django.utils.translation import gettext_lazy as _

from essaim.core.selectors import FIELD_LABELS, register_action_labels

register_action_labels(
    {
        "payment.record": _("Payment recorded"),
        "payment.record_many": _("Payments recorded"),
        "payment.status": _("Payment status changed"),
        "payment.provider_account": _("Payment service settings changed"),
    }
)
# The activity log shows a status change as "status: before → after".
FIELD_LABELS.setdefault("status", _("status"))

# --- Navigation: the online payment settings (back office, payments/views.py) -------------

from essaim.core import navigation  # noqa: E402

navigation.register(
    navigation.NavItem(
        key="payments_online",
        label=_("Online payment"),
        url_name="payments_admin:online",
        capability="can_manage_finances",
        order=25,
        section="admin",
        active_prefix="payments_admin:",
    )
)
