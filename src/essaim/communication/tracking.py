"""Signed tokens of a mailing's links (unsubscribe, preferences, click redirects, the open
pixel) and the statistics they feed.

Every token names a Delivery (its UUID) and is signed with SECRET_KEY: a forged or edited
token is refused. The click token also names the *position* of a link of that mailing; the
address it redirects to is read from MailingLink, never from the URL, so /r/ cannot be used
to send people anywhere else (no open redirect).

Privacy: a click stores the time only (no IP address, no browser). Opens are counted only
when the association turned them on (MailingSettings.track_opens), see models.
"""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from .models import Click, Delivery, MailingLink

SALT = "essaim.communication.mail"
# An unsubscribe link must keep working long after the message (people dig out old mails);
# beyond this it shows a page explaining how to unsubscribe from a newer message.
UNSUBSCRIBE_DAYS = 400

_signer = signing.Signer(salt=SALT)
_dated = signing.TimestampSigner(salt=SALT + ".u")


def unsubscribe_token(delivery_uuid) -> str:
    return _dated.sign(delivery_uuid.hex if hasattr(delivery_uuid, "hex") else str(delivery_uuid))


def _url(name: str, token: str) -> str:
    return settings.ESSAIM_BASE_URL + reverse(
        f"communication_public:{name}", kwargs={"token": token}
    )


def unsubscribe_url(token: str) -> str:
    return _url("unsubscribe", token)


def preferences_url(token: str) -> str:
    return _url("preferences", token)


def click_url(delivery_hex: str, position: int) -> str:
    return _url("click", _signer.sign(f"{delivery_hex}.{position}"))


def open_url(delivery_hex: str) -> str:
    return _url("open", _signer.sign(f"{delivery_hex}.o"))


def delivery_from_token(token: str) -> tuple[Delivery | None, str]:
    """The delivery of an unsubscribe/preferences token: (delivery, "") or (None, problem)."""
    try:
        value = _dated.unsign(token, max_age=dt.timedelta(days=UNSUBSCRIBE_DAYS))
    except signing.SignatureExpired:
        return None, "expired"
    except signing.BadSignature:
        return None, "invalid"
    with scopes_disabled():
        delivery = (
            Delivery.objects.select_related(
                "mailing", "association", "person", "mailing__newsletter"
            )
            .filter(uuid=value)
            .first()
        )
    if delivery is None:
        return None, "invalid"
    return delivery, ""


def _unsign_pair(token: str) -> tuple[str, str] | None:
    try:
        value = _signer.unsign(token)
    except signing.BadSignature:
        return None
    delivery_hex, _sep, rest = value.partition(".")
    if not delivery_hex or not rest:
        return None
    return delivery_hex, rest


def click_record(token: str) -> str | None:
    """The address to redirect to, after counting the click; None for a bad token."""
    pair = _unsign_pair(token)
    if pair is None or not pair[1].isdigit():
        return None
    delivery_hex, position = pair
    with scopes_disabled():
        delivery = Delivery.objects.filter(uuid=delivery_hex).only("pk", "mailing_id").first()
        if delivery is None:
            return None
        link = MailingLink.objects.filter(
            mailing_id=delivery.mailing_id, position=int(position)
        ).first()
        if link is None:
            return None
        with transaction.atomic():
            Click.objects.create(delivery=delivery, link=link)
            MailingLink.objects.filter(pk=link.pk).update(clicks=F("clicks") + 1)
            Delivery.objects.filter(pk=delivery.pk, clicked_at__isnull=True).update(
                clicked_at=timezone.now()
            )
    return link.url


def open_record(token: str) -> None:
    pair = _unsign_pair(token)
    if pair is None or pair[1] != "o":
        return
    with scopes_disabled():
        Delivery.objects.filter(
            uuid=pair[0], opened_at__isnull=True, mailing__track_opens=True
        ).update(opened_at=timezone.now())
