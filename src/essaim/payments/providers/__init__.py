"""Online payment services as plug-ins: `get("stripe")` returns the adapter of a service.

Adding a service: write an adapter subclassing base.Provider, add it to `_ADAPTERS`, add
its name to ProviderAccount.Provider and Payment.Provider (a migration).
"""

from .base import (
    Checkout,
    Provider,
    ProviderError,
    ProviderEvent,
    ProviderUnavailable,
    SubscriptionEvent,
    WebhookMessage,
    WebhookRefused,
)

__all__ = [
    "Checkout",
    "Provider",
    "ProviderError",
    "ProviderEvent",
    "ProviderUnavailable",
    "SubscriptionEvent",
    "WebhookMessage",
    "WebhookRefused",
    "get",
    "names",
]

_instances: dict[str, Provider] = {}


def _adapters() -> dict[str, type[Provider]]:
    from .helloasso import HelloAsso
    from .stripe import Stripe

    return {Stripe.name: Stripe, HelloAsso.name: HelloAsso}


def names() -> list[str]:
    return list(_adapters())


def get(name: str) -> Provider:
    """The adapter of service `name`; LookupError for an unknown service."""
    if name not in _instances:
        adapters = _adapters()
        if name not in adapters:
            raise LookupError(f"unknown payment service {name!r}")
        _instances[name] = adapters[name]()
    return _instances[name]
