from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundraisingConfig(AppConfig):
    name = "essaim.fundraising"
    label = "fundraising"
    verbose_name = _("Gifts and tax receipts")

    def ready(self) -> None:
        from . import demo, privacy_entries, registrations, tasks  # noqa: F401
