"""What holds a surge of signers: the confirmation e-mails written in batches by the worker,
the petition read from a short-lived copy, the rate limiter in one Redis round trip."""

import os
from unittest import mock

import pytest
from django.core.cache import cache
from django_scopes import scope, scopes_disabled

from essaim.core.models import OutboxEmail
from essaim.lib import ratelimit
from essaim.mobilisation import public_views, services
from essaim.mobilisation.models import Petition, Signature

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _never_asked(monkeypatch):
    monkeypatch.setattr(services, "_confirmations_asked", -1e9)


def _confirmations() -> int:
    return OutboxEmail.objects.filter(kind="petition_confirm").count()


def test_signing_asks_for_one_batch_per_period(settings, sign):
    settings.ESSAIM_PETITION_MAIL_BATCH_SECONDS = 5
    with mock.patch("essaim.mobilisation.tasks.petition_confirmations_send") as enqueue:
        for i in range(4):
            assert sign(email=f"signataire{i}@example.org") == "sent"
    assert enqueue.enqueue.call_count == 1  # one task for the four signers
    assert _confirmations() == 0  # nothing written in the request
    assert services.signature_confirmations_send(batch=3) == 4
    assert _confirmations() == 4
    assert services.signature_confirmations_send() == 0  # never twice
    with scopes_disabled():
        assert not Signature.objects.filter(mailed_at__isnull=True).exists()


def test_each_signature_gets_its_own_link(settings, association, sign):
    settings.ESSAIM_PETITION_MAIL_BATCH_SECONDS = 5
    with mock.patch("essaim.mobilisation.tasks.petition_confirmations_send"):
        sign(email="a@example.org")
        sign(email="b@example.org")
    services.signature_confirmations_send()
    for address in ("a@example.org", "b@example.org"):
        email = OutboxEmail.objects.get(to=address, kind="petition_confirm")
        token = email.body_text[email.body_text.index("/p/confirm/") :].split("/")[3]
        signature, problem = services.signature_from_token(token)
        assert problem == "" and signature.email == address


def test_signing_again_before_the_batch_sends_one_link_now(settings, sign):
    settings.ESSAIM_PETITION_MAIL_BATCH_SECONDS = 5
    with mock.patch("essaim.mobilisation.tasks.petition_confirmations_send"):
        assert sign() == "sent"
        assert sign() == "resent"  # the signer asks again: the link goes at once
    assert _confirmations() == 1
    assert services.signature_confirmations_send() == 0  # and the batch does not repeat it
    assert _confirmations() == 1


def test_without_batching_the_link_is_queued_with_the_signature(sign):
    # The tests' setting (0) and task backend: the e-mail is there when the call returns.
    assert sign() == "sent"
    assert _confirmations() == 1


def test_invalidated_or_confirmed_signatures_get_no_batch_email(settings, association, sign):
    settings.ESSAIM_PETITION_MAIL_BATCH_SECONDS = 5
    with mock.patch("essaim.mobilisation.tasks.petition_confirmations_send"):
        sign(email="a@example.org")
        sign(email="b@example.org")
    with scope(association=association):
        Signature.objects.filter(email="a@example.org").update(status="invalidated")
        Signature.objects.filter(email="b@example.org").update(status="confirmed")
    assert services.signature_confirmations_send() == 0


def test_petition_page_reads_a_recent_copy(settings, client, association, petition):
    settings.ESSAIM_PETITION_LOOKUP_SECONDS = 60
    public_views._RECENT.clear()
    url = f"/p/{association.slug}/{petition.slug}/"
    assert client.get(url).status_code == 200
    with mock.patch.object(
        public_views.Association.objects, "filter", side_effect=AssertionError("read again")
    ):
        assert client.get(url).status_code == 200  # the copy: no lookup
    public_views._RECENT.clear()


def test_petition_copy_expires(settings, client, association, presidente, petition):
    settings.ESSAIM_PETITION_LOOKUP_SECONDS = 60
    public_views._RECENT.clear()
    url = f"/p/{association.slug}/{petition.slug}/"
    assert b'name="first_name"' in client.get(url).content  # open: the form
    with scope(association=association):
        services.petition_set_status(
            association=association,
            acting_user=presidente,
            petition=petition,
            status=Petition.Status.CLOSED,
        )
    assert b'name="first_name"' in client.get(url).content  # the copy, for its few seconds
    settings.ESSAIM_PETITION_LOOKUP_SECONDS = 0  # as if the copy were older than that
    assert b'name="first_name"' not in client.get(url).content
    public_views._RECENT.clear()


def _redis_or_skip() -> str:
    url = os.environ.get("ESSAIM_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        if os.environ.get("CI"):
            raise
        pytest.skip("no Redis on 127.0.0.1:6379 (CI has one)")
    return url


def test_rate_limiter_counts_in_redis(settings):
    url = _redis_or_skip()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"test-{os.getpid()}",
        }
    }
    ratelimit._redis.clear()
    try:
        hits = [ratelimit.hit_identity("t", "client", limit=3, period=60) for _ in range(5)]
        assert hits == [False, False, False, True, True]
        assert ratelimit.count("t", "client", period=60) == 5  # Django's cache reads it
        assert ratelimit.hit_identity("t", "other", limit=3, period=60) is False
    finally:
        cache.clear()
        ratelimit._redis.clear()
