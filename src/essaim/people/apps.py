from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "essaim.people"
    label = "people"
    verbose_name = _("Contacts")

    def ready(self) -> None:
        from . import demo, navigation, privacy_entries, receivers, registrations  # noqa: F401
