"""Communication in the shell: navigation (Audiences, Public page) and activity-log labels."""

from django.utils.translation import gettext_lazy as _

from essaim.core import navigation
from essaim.core.selectors import register_action_labels

register_action_labels(
    {
        "audience.create": _("Audience created"),
        "audience.update": _("Audience changed"),
        "audience.duplicate": _("Audience duplicated"),
        "audience.delete": _("Audience deleted"),
        "audience.export": _("Audience exported"),
    }
)

navigation.register(
    navigation.NavItem(
        key="audiences",
        label=_("Audiences"),
        url_name="communication:audiences",
        capability="can_send_mailings",
        order=56,
        active_prefix="communication:audience",
    )
)
