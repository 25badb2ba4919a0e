"""webhooks_replay: 1,000 concurrent Stripe deliveries → exactly one payment per payment.

Quality bar (issue 4): 1,000 concurrent webhook deliveries, with duplicates, give exactly one
Payment per provider payment. Correctness is the target; the throughput is printed beside.

What is sent: 300 Stripe payments (PaymentIntents) of random amounts. Each has its success
(checkout.session.completed); 20 % are refunded later (charge.refunded); 10 % had a declined
card first (payment_intent.payment_failed); 5 % are asynchronous (a session completed
"unpaid", then checkout.session.async_payment_succeeded); 10 % are a month of a card
subscription (invoice.paid, a third of them after an invoice.payment_failed of the same
invoice: the payment is keyed "<subscription key>:<YYYY-MM>"). Every event is delivered 2 to 5
times (Stripe delivers at least once), 1,000 deliveries in all, shuffled: some refunds arrive
before the success they refund, some failures after the success that followed them.

How: Essaim runs in this process behind a real HTTP server on 127.0.0.1 (wsgiref with a pool
of 16 worker threads, one database connection each, as gunicorn's threads would), and 16
client threads POST the deliveries with urllib, each signed at the moment it is sent. Then:
one Payment per PaymentIntent, in its final state (refunded, or received), with its amount;
one delivery record per event, whose attempts add up to 1,000; every answer a 200.
"""

import datetime as dt
import json
import random
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from django.core.wsgi import get_wsgi_application
from django.db import connections
from django.db.models import Count, Sum
from django.test import override_settings
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from essaim.core import services as core_services
from essaim.core.models import Association
from essaim.payments import online
from essaim.payments.models import Payment, ProviderAccount, WebhookDelivery
from essaim.payments.providers import stripe as stripe_adapter

from . import data
from .harness import Context, Result, Stopwatch, Table, out, percentile
from .registry import register

DELIVERIES = 1_000
PAYMENTS = 300
WORKERS = 16  # server threads, and as many clients sending at once
SLUG = "bench-webhooks"
SIGNING_SECRET = "whsec_BenchSigningSecretForWebhooksReplay00"
SECRET_KEY = "sk_test_51BenchWebhooksReplay000000000000"


@dataclass
class Delivery:
    reference: str
    event_id: str
    kind: str  # success, refund, failure, pending
    body: bytes


# --- The server ---------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class PooledWSGIServer(WSGIServer):
    """wsgiref's server with a fixed pool of worker threads (not one thread per request:
    each worker keeps one database connection, as a threaded gunicorn worker does)."""

    request_queue_size = 256
    daemon_threads = True

    def __init__(self, address, workers: int):
        super().__init__(address, _QuietHandler)
        self.workers = workers
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="essaim-web")

    def process_request(self, request, client_address):
        self.pool.submit(self._work, request, client_address)

    def _work(self, request, client_address):
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def close_worker_connections(self) -> None:
        """Each worker closes its own database connection (they are per thread)."""
        barrier = threading.Barrier(self.workers)

        def close():
            barrier.wait(timeout=30)
            connections.close_all()

        for future in [self.pool.submit(close) for _ in range(self.workers)]:
            future.result(timeout=60)
        self.pool.shutdown(wait=True)


def serve(workers: int) -> tuple[PooledWSGIServer, threading.Thread]:
    server = PooledWSGIServer(("127.0.0.1", 0), workers)
    server.set_app(get_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="essaim-http")
    thread.start()
    return server, thread


# --- The deliveries -----------------------------------------------------------------------


def _event(event_type: str, obj: dict, created: int, event_id: str) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2024-06-20",
            "created": created,
            "data": {"object": obj},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
    ).encode()


def _session(reference: str, amount: int, payment_status: str) -> dict:
    return {
        "id": "cs_test_b1" + reference[3:],
        "object": "checkout.session",
        "amount_total": amount,
        "currency": "eur",
        "customer_details": {"email": "donateur@example.org", "name": "Donatrice Anonyme"},
        "metadata": {"essaim_key": f"bench:{reference}"},
        "mode": "payment",
        "payment_intent": reference,
        "payment_method_types": ["card", "sepa_debit"],
        "payment_status": payment_status,
        "status": "complete",
    }


def _invoice(reference: str, amount: int, start: int, paid: bool) -> dict:
    subscription = "sub_1Bench" + reference[9:]
    metadata = {"essaim_key": f"bench-sub:{reference}"}
    return {
        "id": "in_1Bench" + reference[9:],
        "object": "invoice",
        "amount_due": amount,
        "amount_paid": amount if paid else 0,
        "billing_reason": "subscription_cycle",
        "created": start,
        "currency": "eur",
        "customer_email": "donateur@example.org",
        "customer_name": "Donatrice Mensuelle",
        "lines": {
            "object": "list",
            "data": [
                {
                    "object": "line_item",
                    "amount": amount,
                    "metadata": metadata,
                    "period": {"start": start, "end": start + 30 * 86400},
                    "subscription": subscription,
                }
            ],
        },
        "payment_intent": reference,
        "status": "paid" if paid else "open",
        "status_transitions": {"paid_at": start + 60 if paid else None},
        "subscription": subscription,
        "subscription_details": {"metadata": metadata},
    }


def _month_key(reference: str, start: int) -> str:
    local = timezone.localtime(dt.datetime.fromtimestamp(start, tz=dt.UTC))
    return f"bench-sub:{reference}:{local.year:04d}-{local.month:02d}"


def build_deliveries(seed: int = 4242) -> tuple[list[Delivery], dict[str, tuple[int, str]]]:
    """The shuffled deliveries, and what each PaymentIntent must end as: (amount, status)."""
    deliveries, expected, _keys = build_all(seed)
    return deliveries, expected


def build_all(seed: int = 4242):
    """build_deliveries, and the idempotency key each PaymentIntent's payment must carry."""
    rng = random.Random(seed)
    now = int(time.time())
    events: list[tuple[str, str, str, bytes]] = []  # (reference, event id, kind, body)
    expected: dict[str, tuple[int, str]] = {}
    keys: dict[str, str] = {}
    counter = iter(range(1, 100_000))

    def add(reference, kind, event_type, obj, created):
        event_id = f"evt_1Bench{next(counter):06d}"
        events.append((reference, event_id, kind, _event(event_type, obj, created, event_id)))

    for index in range(PAYMENTS):
        reference = f"pi_3Bench{index:05d}"
        amount = rng.randrange(500, 20_001, 100)
        paid_at = now - 7200 + index
        roll = rng.random()
        keys[reference] = f"bench:{reference}"
        if roll >= 0.90:  # a month of a card subscription
            start = paid_at - 3600
            keys[reference] = _month_key(reference, start)
            if roll >= 0.9667:  # declined first, paid on Stripe's retry of the same invoice
                failed = _invoice(reference, amount, start, paid=False)
                add(reference, "failure", "invoice.payment_failed", failed, paid_at - 120)
            paid = _invoice(reference, amount, start, paid=True)
            add(reference, "success", "invoice.paid", paid, paid_at)
        elif roll < 0.05:  # asynchronous: awaited first, received later
            unpaid, paid = (
                _session(reference, amount, "unpaid"),
                _session(reference, amount, "paid"),
            )
            add(reference, "pending", "checkout.session.completed", unpaid, paid_at - 300)
            add(reference, "success", "checkout.session.async_payment_succeeded", paid, paid_at)
        else:
            if roll < 0.15:  # a declined card first
                intent = {
                    "id": reference,
                    "object": "payment_intent",
                    "amount": amount,
                    "currency": "eur",
                    "last_payment_error": {"code": "card_declined", "type": "card_error"},
                    "metadata": {"essaim_key": f"bench:{reference}"},
                }
                add(reference, "failure", "payment_intent.payment_failed", intent, paid_at - 120)
            paid = _session(reference, amount, "paid")
            add(reference, "success", "checkout.session.completed", paid, paid_at)
        status = "succeeded"
        if rng.random() < 0.2:
            charge = {
                "id": "ch_3Bench" + reference[9:],
                "object": "charge",
                "amount": amount,
                "amount_refunded": amount,
                "billing_details": {"email": "donateur@example.org", "name": "Donatrice"},
                "created": paid_at,
                "currency": "eur",
                # An invoice's charge carries no metadata of ours (Stripe copies none).
                "metadata": {} if roll >= 0.90 else {"essaim_key": f"bench:{reference}"},
                "payment_intent": reference,
                "payment_method_details": {"type": "card"},
                "refunded": True,
            }
            add(reference, "refund", "charge.refunded", charge, paid_at + 600)
            status = "refunded"
        expected[reference] = (amount, status)

    copies = [2] * len(events)
    while sum(copies) < DELIVERIES:
        index = rng.randrange(len(events))
        if copies[index] < 5:
            copies[index] += 1
    deliveries = [
        Delivery(reference, event_id, kind, body)
        for (reference, event_id, kind, body), n in zip(events, copies, strict=True)
        for _ in range(n)
    ]
    rng.shuffle(deliveries)
    return deliveries, expected, keys


def _out_of_order(deliveries: list[Delivery]) -> tuple[int, int]:
    """(refunds first delivered before their success, failures first delivered after it)."""
    first: dict[tuple[str, str], int] = {}
    for position, delivery in enumerate(deliveries):
        first.setdefault((delivery.reference, delivery.kind), position)
    refunds = sum(
        1
        for (reference, kind), position in first.items()
        if kind == "refund" and position < first[(reference, "success")]
    )
    failures = sum(
        1
        for (reference, kind), position in first.items()
        if kind == "failure" and position > first[(reference, "success")]
    )
    return refunds, failures


def _send(url: str, delivery: Delivery) -> tuple[int, float, str]:
    timestamp = int(time.time())
    signature = stripe_adapter.sign(delivery.body, SIGNING_SECRET, timestamp)
    request = urllib.request.Request(
        url,
        data=delivery.body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Stripe-Signature": f"t={timestamp},v1={signature}",
        },
    )
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read().decode(errors="replace")
    elapsed = (time.perf_counter() - start) * 1000
    outcome = body.split('"outcome": "', 1)[-1].split('"', 1)[0] if '"outcome"' in body else ""
    return status, elapsed, outcome


# --- The benchmark ------------------------------------------------------------------------


def _fresh_account(user) -> tuple[Association, ProviderAccount]:
    with scopes_disabled():
        association = Association.objects.filter(slug=SLUG).first()
    if association is None:
        association = core_services.association_create(
            acting_user=user, name="Bench — Dons en ligne", slug=SLUG
        )
    with scope(association=association):
        WebhookDelivery.objects.filter(association=association).delete()
        Payment.objects.filter(association=association).delete()
        ProviderAccount.objects.filter(association=association).delete()
        account = online.provider_account_save(
            association=association,
            acting_user=user,
            provider="stripe",
            secret_key=SECRET_KEY,
            webhook_secret=SIGNING_SECRET,
        )
    return association, account


@register(
    "webhooks_replay",
    target=0,
    unit="wrong payments",
    description="1,000 concurrent Stripe deliveries (duplicates, out of order) → one payment each",
)
def webhooks_replay(context: Context) -> Result:
    if not context.database.is_postgresql:
        out("Measured on SQLite: correctness must hold there too; the throughput is indicative.")
    user = data.bench_user()
    association, account = _fresh_account(user)
    deliveries, expected, keys = build_all()
    refunds_first, failures_late = _out_of_order(deliveries)
    distinct = len({d.event_id for d in deliveries})
    out(
        f"{len(deliveries):,} deliveries of {distinct} events about {len(expected)} payments "
        f"({sum(1 for a, s in expected.values() if s == 'refunded')} refunded, "
        f"{sum(1 for k in keys.values() if k.startswith('bench-sub:'))} months of card "
        f"subscriptions); "
        f"{refunds_first} refunds delivered before their success, {failures_late} declined "
        f"cards delivered after the success."
    )

    # The limiter stays on (its cost is part of each request), set above this burst.
    with override_settings(ESSAIM_WEBHOOK_RATE_LIMIT=100_000):
        server, thread = serve(WORKERS)
        url = f"http://127.0.0.1:{server.server_address[1]}{account.webhook_path()}"
        try:
            with Stopwatch() as watch, ThreadPoolExecutor(max_workers=WORKERS) as clients:
                results = list(clients.map(lambda d: _send(url, d), deliveries))
        finally:
            server.shutdown()
            server.close_worker_connections()
            server.server_close()
            thread.join(timeout=10)

    statuses = Counter(status for status, _ms, _outcome in results)
    outcomes = Counter(outcome for _status, _ms, outcome in results)
    latencies = [ms for _status, ms, _outcome in results]
    with scope(association=association):
        recorded = list(
            Payment.objects.filter(association=association).values(
                "provider_reference", "amount_cents", "status", "idempotency_key"
            )
        )
        per_reference = Counter(row["provider_reference"] for row in recorded)
        events = WebhookDelivery.objects.filter(association=association).aggregate(
            rows=Count("id"), attempts=Sum("attempts")
        )
    final = {row["provider_reference"]: row for row in recorded}
    wrong = []
    for reference, (amount, status) in expected.items():
        row = final.get(reference)
        if (
            per_reference[reference] != 1
            or row["amount_cents"] != amount
            or row["status"] != status
            or row["idempotency_key"] != keys[reference]
        ):
            wrong.append(reference)
    strays = [ref for ref in per_reference if ref not in expected]
    wrong_count = len(wrong) + len(strays)
    rate = len(deliveries) / watch.seconds

    table = Table(
        [
            ("deliveries", -10),
            ("events", -7),
            ("payments", -9),
            ("expected", -9),
            ("wrong", -6),
            ("wall s", -7),
            ("deliv/s", -8),
            ("p50 ms", -7),
            ("p95 ms", -7),
            ("HTTP", 18),
        ]
    )
    table.header()
    table.row(
        len(deliveries),
        distinct,
        len(recorded),
        len(expected),
        wrong_count,
        f"{watch.seconds:.1f}",
        f"{rate:.0f}",
        f"{percentile(latencies, 50):.0f}",
        f"{percentile(latencies, 95):.0f}",
        " ".join(f"{code}×{n}" for code, n in sorted(statuses.items())),
    )
    out(
        "Answers: "
        + ", ".join(f"{outcome or '?'} {n}" for outcome, n in sorted(outcomes.items()))
        + f"; delivery records {events['rows']} (attempts {events['attempts']})."
    )
    all_answered = statuses == Counter({200: len(deliveries)})
    bookkept = events["rows"] == distinct and events["attempts"] == len(deliveries)
    ok = wrong_count == 0 and all_answered and bookkept and len(recorded) == len(expected)
    result = Result(
        name="webhooks_replay", value=wrong_count, unit="wrong payments", target=0, ok=ok
    )
    result.notes.append(
        f"{len(deliveries):,} deliveries ({WORKERS} at once) of {distinct} events → "
        f"{len(recorded)} payments for {len(expected)} PaymentIntents, {wrong_count} wrong "
        f"(target 0: exactly one per payment, in its final state); "
        f"{'every answer a 200' if all_answered else 'NOT every answer a 200'}; "
        f"{rate:.0f} deliveries/s, p95 {percentile(latencies, 95):.0f} ms, on "
        f"{'PostgreSQL' if context.database.is_postgresql else 'SQLite'}."
    )
    if wrong:
        result.notes.append(f"wrong: {', '.join(wrong[:10])}")
    return result
