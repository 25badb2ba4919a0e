from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "essaim.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from . import privacy_entries, registrations, tasks  # noqa: F401
