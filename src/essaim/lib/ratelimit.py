"""A tiny rate limiter for public forms (join, petitions, contact…), kept in the Django cache.

Fixed windows: at most `limit` hits per `period` seconds and per client, counted in the
cache shared by every process (file cache on a single box, Redis when scaled out; see
settings.CACHES). The client's address is hashed before it is used as a key, so the cache
holds no IP address in clear (CNIL: an IP address is personal data).

    if ratelimit.hit(request, "join", limit=10, period=3600):
        ...  # over the limit: answer 429 with a clear message
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, PermissionDenied


def client_ip(request) -> str:
    """The client's address as allauth sees it: it honours ALLAUTH_TRUSTED_PROXY_COUNT, so
    behind a reverse proxy every visitor does not share the proxy's address."""
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request)
    except (PermissionDenied, ImproperlyConfigured):
        return request.META.get("REMOTE_ADDR") or "unknown"


def _key(scope: str, identity: str, window: int) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{identity}".encode()).hexdigest()[:32]
    return f"ratelimit:{scope}:{digest}:{window}"


def count(scope: str, identity: str, *, period: int) -> int:
    """Hits of `identity` in the current window (without counting a new one)."""
    window = int(time.time() // period)
    return int(cache.get(_key(scope, identity, window), 0))


# Create the counter if missing, then count: one round trip, atomic.
_COUNT_SCRIPT = (
    "redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX') return redis.call('INCR', KEYS[1])"
)
_redis: dict[str, object] = {}


def _redis_client():
    """A Redis client on the connection pool of Django's Redis cache (None for another
    cache). Kept: Django's cache builds a new client object, with its table of reply
    callbacks, on every call."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    server = backend._cache._servers[0]  # where Django's cache writes
    client = _redis.get(server)
    if client is None:
        client = _redis[server] = backend._cache.get_client(write=True)
    return client


def hit_identity(scope: str, identity: str, *, limit: int, period: int) -> bool:
    """Counts one hit of `identity`; True when it goes over `limit` (the caller refuses)."""
    window = int(time.time() // period)
    key = _key(scope, identity, window)
    redis = _redis_client()
    if redis is not None:
        name = cache.make_and_validate_key(key)
        return int(redis.eval(_COUNT_SCRIPT, 1, name, period + 60)) > limit
    # add() only creates the counter if missing; incr() is atomic on memcached, and good
    # enough on the file and memory caches of a single box.
    cache.add(key, 0, timeout=period + 60)
    try:
        value = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=period + 60)
        value = 1
    return value > limit


def hit(request, scope: str, *, limit: int, period: int) -> bool:
    """Counts one hit of the request's client in `scope`; True when over the limit."""
    return hit_identity(scope, client_ip(request), limit=limit, period=period)


def is_limited(request, scope: str, *, limit: int, period: int) -> bool:
    """True when the client already used up `limit` hits in this window (counts nothing)."""
    return count(scope, client_ip(request), period=period) >= limit
