from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "essaim.api"
    label = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from . import registrations  # noqa: F401
