from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "essaim.members"
    label = "members"
    verbose_name = _("Members and dues")

    def ready(self) -> None:
        from . import demo, privacy_entries, receivers, registrations, tasks  # noqa: F401
