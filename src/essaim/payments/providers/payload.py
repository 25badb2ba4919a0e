"""Reading a service's JSON without trusting its shape: a wrong type is a refusal, not a 500."""

import datetime as dt
import json
from collections.abc import Mapping

from .base import WebhookRefused

MAX_METADATA_ITEMS = 50
MAX_METADATA_VALUE = 500


def load(body: bytes) -> dict:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise WebhookRefused("the body is not JSON") from None
    if not isinstance(data, dict):
        raise WebhookRefused("the body is not a JSON object")
    return data


def obj(data: Mapping, key: str, *, required: bool = True) -> dict:
    value = data.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise WebhookRefused(f"{key} is not an object")
    return value


def text(data: Mapping, key: str, *, required: bool = True, limit: int = 255) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise WebhookRefused(f"{key} is missing")
        return ""
    if not isinstance(value, str):
        raise WebhookRefused(f"{key} is not a text")
    if len(value) > limit or "\x00" in value:
        raise WebhookRefused(f"{key} is not a valid text")
    return value


def integer(data: Mapping, key: str, *, positive: bool = False) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise WebhookRefused(f"{key} is not a whole number")
    if positive and value <= 0:
        raise WebhookRefused(f"{key} is not positive")
    if abs(value) > 10**15:
        raise WebhookRefused(f"{key} is out of range")
    return value


def timestamp(data: Mapping, key: str) -> dt.datetime:
    """A Unix time (Stripe's `created`) as an aware datetime."""
    seconds = integer(data, key, positive=True)
    try:
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise WebhookRefused(f"{key} is not a valid time") from None


def iso_datetime(value: object, key: str) -> dt.datetime:
    """An ISO 8601 time with its offset (HelloAsso's dates) as an aware datetime."""
    if not isinstance(value, str) or len(value) > 40:
        raise WebhookRefused(f"{key} is not a date")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise WebhookRefused(f"{key} is not a date") from None
    if parsed.tzinfo is None:
        # HelloAsso gives offsets; a time without one is Paris time, where HelloAsso lives.
        from zoneinfo import ZoneInfo

        parsed = parsed.replace(tzinfo=ZoneInfo("Europe/Paris"))
    return parsed


def metadata(value: object) -> dict[str, str]:
    """The metadata a checkout was started with: short texts only, anything else dropped."""
    if not isinstance(value, dict):
        return {}
    cleaned = {}
    for key, item in list(value.items())[:MAX_METADATA_ITEMS]:
        if isinstance(item, bool) or not isinstance(item, str | int):
            continue
        item = str(item)
        short = isinstance(key, str) and len(key) <= 40 and len(item) <= MAX_METADATA_VALUE
        if short and "\x00" not in key and "\x00" not in item:
            cleaned[key] = item
    return cleaned
