"""The payments app in the shell: labels of its activity log entries."""

from django.utils.translation import gettext_lazy as _

from essaim.core.selectors import FIELD_LABELS, register_action_labels

register_action_labels(
    {
        "payment.record": _("Payment recorded"),
        "payment.record_many": _("Payments recorded"),
        "payment.status": _("Payment status changed"),
        "payment.provider_account": _("Payment service settings changed"),
        "sepa.batch_download": _("Direct debit file downloaded"),
        "sepa.mandate_export": _("SEPA mandates exported"),
    }
)
# The activity log shows a status change as "status: before → after".
FIELD_LABELS.setdefault("status", _("status"))

# --- Navigation: online payment settings (views.py) and SEPA direct debit (sepa_views.py) --

from essaim.core import navigation  # noqa: E402

navigation.register(
    navigation.NavItem(
        key="payments_online",
        label=_("Online payment"),
        url_name="payments_admin:online",
        capability="can_manage_finances",
        order=25,
        section="admin",
        # Its own pages only, not the SEPA ones of the same namespace (str.startswith takes
        # a tuple of prefixes).
        active_prefix=(
            "payments_admin:online",
            "payments_admin:stripe_",
            "payments_admin:helloasso_",
        ),
    )
)
navigation.register(
    navigation.NavItem(
        key="payments_sepa",
        label=_("SEPA direct debits"),
        url_name="payments_admin:sepa_batches",
        capability="can_manage_finances",
        order=26,
        section="admin",
        active_prefix="payments_admin:sepa_",
    )
)
