from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "essaim.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from . import privacy_entries, registrations, tasks  # noqa: F401  (fill the registries)
