from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunicationConfig(AppConfig):
    name = "essaim.communication"
    label = "communication"
    verbose_name = _("Communication")

    def ready(self) -> None:
        from . import demo, privacy_entries, registrations, tasks  # noqa: F401
