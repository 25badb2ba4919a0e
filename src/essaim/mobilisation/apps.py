from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MobilisationConfig(AppConfig):
    name = "essaim.mobilisation"
    label = "mobilisation"
    verbose_name = _("Mobilisation")

    def ready(self) -> None:
        from . import demo, privacy_entries, registrations, tasks  # noqa: F401
