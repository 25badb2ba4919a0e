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

register_action_labels(
    {
        "public_page.update": _("Public page changed"),
        "news.create": _("News post written"),
        "news.update": _("News post changed"),
        "news.publish": _("News post published"),
        "news.unpublish": _("News post unpublished"),
        "news.delete": _("News post deleted"),
    }
)

navigation.register(
    navigation.NavItem(
        key="public_page",
        label=_("Public page"),
        url_name="communication:site",
        capability="can_send_mailings",
        order=57,
        active_prefix="communication:site",
    )
)

# Lists and mailings

register_action_labels(
    {
        "mailing.create": _("Mailing written"),
        "mailing.update": _("Mailing changed"),
        "mailing.test": _("Test of a mailing sent"),
        "mailing.schedule": _("Mailing scheduled"),
        "mailing.unschedule": _("Mailing back to draft"),
        "mailing.start": _("Mailing started"),
        "mailing.pause": _("Mailing paused"),
        "mailing.resume": _("Mailing resumed"),
        "mailing.cancel": _("Mailing cancelled"),
        "mailing.retry_unknown": _("Messages of uncertain fate sent again"),
        "mailing.settings": _("Sending settings changed"),
        "newsletter.create": _("Newsletter list created"),
        "newsletter.update": _("Newsletter list changed"),
        "newsletter.import": _("Subscribers imported"),
        "subscription.confirm": _("Subscription confirmed"),
        "subscription.subscribe": _("Subscribed to a list"),
        "subscription.unsubscribe": _("Unsubscribed from a list"),
        "subscription.unsubscribe_all": _("Unsubscribed from everything"),
        "suppression.add": _("Address suppressed"),
        "suppression.remove": _("Address no longer suppressed"),
    }
)

navigation.register(
    navigation.NavItem(
        key="mailings",
        label=_("Mailings"),
        url_name="communication:mailings",
        capability="can_send_mailings",
        order=58,
        active_prefix="communication:mailing",
    )
)
