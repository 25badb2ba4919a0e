from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "essaim.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from . import (  # noqa: F401
            privacy_entries,
            reconcile_registrations,
            registrations,
            tasks,
        )
