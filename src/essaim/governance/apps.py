from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "essaim.governance"
    label = "governance"
    verbose_name = _("Governance")

    def ready(self) -> None:
        from . import demo, privacy_entries, registrations, tasks  # noqa: F401
