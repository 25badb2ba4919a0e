from django.core.cache import cache
from django.test import RequestFactory

from essaim.lib import ratelimit


def test_hits_over_the_limit_are_refused_per_client(settings):
    cache.clear()
    first = RequestFactory().post("/", REMOTE_ADDR="198.51.100.7")
    second = RequestFactory().post("/", REMOTE_ADDR="198.51.100.8")
    assert [ratelimit.hit(first, "t", limit=2, period=60) for _ in range(3)] == [
        False,
        False,
        True,
    ]
    assert ratelimit.is_limited(first, "t", limit=2, period=60)
    assert not ratelimit.is_limited(second, "t", limit=2, period=60)
    assert not ratelimit.hit(second, "t", limit=2, period=60)
    assert not ratelimit.hit(first, "other-scope", limit=2, period=60)
    # No address in clear in the cache keys.
    assert all("198.51.100" not in key for key in getattr(cache, "_cache", {}))  # locmem
    cache.clear()


def test_behind_a_proxy_the_forwarded_address_counts(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert ratelimit.client_ip(request) == "203.0.113.9"
