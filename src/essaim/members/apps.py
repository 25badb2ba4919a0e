from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "essaim.members"
    label = "members"
    verbose_name = _("Members and dues")

    def ready(self) -> None:
        from essaim.payments.signals import payment_status_changed

        from . import demo, online, privacy_entries, receivers, registrations, tasks  # noqa: F401

        payment_status_changed.connect(online.dues_paid_online, dispatch_uid="members.dues_online")
