"""A fake Stripe and a fake HelloAsso on 127.0.0.1, and helpers to build their notifications.

The fake server answers the calls the adapters make, with the payloads the services document
(Stripe: POST /v1/checkout/sessions in payment and subscription mode, GET / POST / DELETE
/v1/subscriptions/{id}; HelloAsso: POST /oauth2/token, POST
/v5/organizations/{slug}/checkout-intents, GET /v5/payments/{id}), and checks what a real
service checks (keys, tokens, required fields), so the adapters' real HTTP code runs.
"""

import itertools
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.test import Client
from django_scopes import scope

from essaim.payments import online
from essaim.payments.providers import stripe as stripe_adapter

STRIPE_SECRET_KEY = "sk_test_51FakeKeyForEssaimTests0000000000"
STRIPE_SIGNING_SECRET = "whsec_FakeSigningSecretForEssaimTests00"
HELLOASSO_CLIENT_ID = "0f1e2d3c4b5a4f3e9d8c7b6a5f4e3d2c"
HELLOASSO_CLIENT_SECRET = "HaSecretForEssaimTests/abc+def=0123456789"
HELLOASSO_SLUG = "les-amis-du-quartier"


class FakeProviders:
    """Both services in one server thread; tests read and change its state directly."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []  # (method, path)
        self.sessions: dict[str, dict] = {}  # Stripe, by Idempotency-Key
        self.session_params: dict[str, list] = {}
        self.session_form: dict[str, list] = {}  # Stripe, by session id
        self.tokens: set[str] = set()
        self.token_calls = 0
        self.intents: dict[int, dict] = {}
        self.payments: dict[int, dict] = {}  # HelloAsso payments the API knows
        self.subscriptions: dict[str, dict] = {}  # Stripe subscriptions, by id
        self.subscription_updates: list[tuple[str, list]] = []  # (id, form) of each POST
        self.down = False  # answer 503 to everything
        self.redirect_to = ""  # answer every POST with a redirect there
        self.ids = itertools.count(1000)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def calls(self, method: str, prefix: str) -> int:
        with self.lock:
            return sum(1 for m, p in self.requests if m == method and p.startswith(prefix))

    def add_subscription(self, session: dict, *, subscription_id: str = "") -> dict:
        """The donor paid the subscription checkout `session`: Stripe creates the
        subscription (with the session's subscription_data) and links it to the session."""
        subscription_id = subscription_id or f"sub_1Fake{next(self.ids):06d}Abc"
        form = self.session_form[session["id"]]
        params = dict(form)
        metadata = {
            k[len("subscription_data[metadata][") : -1]: v
            for k, v in form
            if k.startswith("subscription_data[metadata][")
        }
        subscription = stripe_subscription(
            subscription_id,
            amount=int(params["line_items[0][price_data][unit_amount]"]),
            metadata=metadata,
        )
        with self.lock:
            self.subscriptions[subscription_id] = subscription
            session["subscription"] = subscription_id
            session["status"] = "complete"
            session["payment_status"] = "paid"
        return subscription

    def revoke_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def add_helloasso_payment(self, payment_id: int, **fields) -> dict:
        payment = helloasso_payment(payment_id, **fields)
        with self.lock:
            self.payments[payment_id] = payment
        return payment

    # --- HTTP -----------------------------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: dict) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _bearer(self) -> str:
                value = self.headers.get("Authorization") or ""
                return value[7:] if value.startswith("Bearer ") else ""

            def do_GET(self):
                with fake.lock:
                    fake.requests.append(("GET", self.path))
                if fake.down:
                    return self._send(503, {"message": "Service Unavailable"})
                if self.path.startswith("/v5/payments/"):
                    return fake._helloasso_payment(self)
                if self.path.startswith("/v1/subscriptions/"):
                    return fake._stripe_subscription(self, "GET", b"")
                return self._send(404, {"message": "not found"})

            def do_DELETE(self):
                with fake.lock:
                    fake.requests.append(("DELETE", self.path))
                if fake.down:
                    return self._send(503, {"message": "Service Unavailable"})
                if self.path.startswith("/v1/subscriptions/"):
                    return fake._stripe_subscription(self, "DELETE", b"")
                return self._send(404, {"message": "not found"})

            def do_POST(self):
                with fake.lock:
                    fake.requests.append(("POST", self.path))
                body = self._body()
                if fake.down:
                    return self._send(503, {"message": "Service Unavailable"})
                if fake.redirect_to:
                    self.send_response(307)
                    self.send_header("Location", fake.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                if self.path == "/v1/checkout/sessions":
                    return fake._stripe_session(self, body)
                if self.path.startswith("/v1/subscriptions/"):
                    return fake._stripe_subscription(self, "POST", body)
                if self.path == "/oauth2/token":
                    return fake._helloasso_token(self, body)
                if self.path.startswith("/v5/organizations/") and self.path.endswith(
                    "/checkout-intents"
                ):
                    return fake._helloasso_intent(self, body)
                return self._send(404, {"message": "not found"})

        return Handler

    # --- Stripe ---------------------------------------------------------------------------

    def _stripe_session(self, handler, body: bytes) -> None:
        if handler._bearer() != STRIPE_SECRET_KEY:
            return handler._send(
                401,
                {
                    "error": {
                        "type": "invalid_request_error",
                        "message": "Invalid API Key provided: sk_test_****0000",
                    }
                },
            )
        params = urllib.parse.parse_qsl(body.decode(), keep_blank_values=True)
        form = dict(params)
        key = handler.headers.get("Idempotency-Key") or ""
        with self.lock:
            if key and key in self.sessions:
                if self.session_params[key] != params:
                    return handler._send(
                        400,
                        {
                            "error": {
                                "type": "idempotency_error",
                                "message": "Keys for idempotent requests can only be used "
                                "with the same parameters they were first used with.",
                            }
                        },
                    )
                return handler._send(200, self.sessions[key])
        required = (
            "mode",
            "success_url",
            "line_items[0][price_data][currency]",
            "line_items[0][price_data][unit_amount]",
            "line_items[0][price_data][product_data][name]",
            "line_items[0][quantity]",
        )
        missing = [name for name in required if not form.get(name)]
        interval = form.get("line_items[0][price_data][recurring][interval]")
        if not missing and form["mode"] == "subscription":
            if interval not in ("day", "week", "month", "year"):
                missing = ["line_items[0][price_data][recurring]"]
            elif any(name.startswith("payment_intent_data") for name in form):
                return handler._send(
                    400,
                    _stripe_error("You can not pass `payment_intent_data` in `subscription` mode."),
                )
        elif not missing and interval is not None:
            return handler._send(
                400,
                _stripe_error("You specified `payment` mode but passed a recurring price."),
            )
        if missing:
            return handler._send(
                400,
                {
                    "error": {
                        "type": "invalid_request_error",
                        "code": "parameter_missing",
                        "param": missing[0],
                        "message": f"Missing required param: {missing[0]}.",
                    }
                },
            )
        session_id = f"cs_test_{next(self.ids):06d}aBcDeF"
        metadata = {k[len("metadata[") : -1]: v for k, v in params if k.startswith("metadata[")}
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_total": int(form["line_items[0][price_data][unit_amount]"]),
            "currency": form["line_items[0][price_data][currency]"],
            "customer_email": form.get("customer_email"),
            "metadata": metadata,
            "mode": form["mode"],
            "payment_intent": None,
            "subscription": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": form["success_url"],
            "cancel_url": form.get("cancel_url"),
            "url": f"https://checkout.stripe.com/c/pay/{session_id}#fidkdWxOYHwnPyd1blpxYHZxWjA0",
            "livemode": False,
        }
        with self.lock:
            self.session_form[session_id] = params
            if key:
                self.sessions[key] = session
                self.session_params[key] = params
        return handler._send(200, session)

    def _stripe_subscription(self, handler, method: str, body: bytes) -> None:
        if handler._bearer() != STRIPE_SECRET_KEY:
            return handler._send(401, _stripe_error("Invalid API Key provided: sk_test_****0000"))
        subscription_id = handler.path.split("/")[3]
        with self.lock:
            subscription = self.subscriptions.get(subscription_id)
        if subscription is None:
            return handler._send(
                404,
                _stripe_error(
                    f"No such subscription: '{subscription_id}'", code="resource_missing"
                ),
            )
        if method == "GET":
            return handler._send(200, subscription)
        if subscription["status"] == "canceled":
            return handler._send(
                400,
                _stripe_error(
                    "A canceled subscription can only update its cancellation_details and metadata."
                ),
            )
        if method == "DELETE":
            with self.lock:
                subscription["status"] = "canceled"
                subscription["canceled_at"] = int(time.time())
                subscription["ended_at"] = int(time.time())
            return handler._send(200, subscription)
        params = urllib.parse.parse_qsl(body.decode(), keep_blank_values=True)
        form = dict(params)
        with self.lock:
            self.subscription_updates.append((subscription_id, params))
        if "pause_collection" in form:
            if form["pause_collection"] != "":
                return handler._send(400, _stripe_error("Invalid object", param="pause_collection"))
            subscription["pause_collection"] = None
        if "pause_collection[behavior]" in form:
            behavior = form["pause_collection[behavior]"]
            if behavior not in ("keep_as_draft", "mark_uncollectible", "void"):
                return handler._send(400, _stripe_error("Invalid pause_collection[behavior]"))
            resumes_at = form.get("pause_collection[resumes_at]")
            if resumes_at is not None and not resumes_at.isdigit():
                return handler._send(400, _stripe_error("Invalid integer: resumes_at"))
            subscription["pause_collection"] = {
                "behavior": behavior,
                "resumes_at": int(resumes_at) if resumes_at else None,
            }
        if "items[0][id]" in form:
            [item] = subscription["items"]["data"]
            if form["items[0][id]"] != item["id"]:
                return handler._send(
                    400, _stripe_error("Invalid subscription item", param="items[0][id]")
                )
            for name in ("product", "currency", "unit_amount", "recurring][interval"):
                if not form.get(f"items[0][price_data][{name}]"):
                    return handler._send(
                        400,
                        _stripe_error(
                            f"Missing required param: items[0][price_data][{name}].",
                            code="parameter_missing",
                        ),
                    )
            if form["items[0][price_data][product]"] != item["price"]["product"]:
                return handler._send(400, _stripe_error("No such product"))
            if form.get("proration_behavior") not in (
                None,
                "create_prorations",
                "none",
                "always_invoice",
            ):
                return handler._send(400, _stripe_error("Invalid proration_behavior"))
            item["price"] = {
                **item["price"],
                "id": f"price_1Fake{next(self.ids):06d}",
                "unit_amount": int(form["items[0][price_data][unit_amount]"]),
            }
        return handler._send(200, subscription)

    # --- HelloAsso ------------------------------------------------------------------------

    def _helloasso_token(self, handler, body: bytes) -> None:
        form = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_id") != HELLOASSO_CLIENT_ID
            or form.get("client_secret") != HELLOASSO_CLIENT_SECRET
        ):
            return handler._send(
                400, {"error": "unauthorized_client", "error_description": "Invalid client"}
            )
        token = f"eyJhbGciOiJSUzI1NiJ9.fake.{next(self.ids)}"
        with self.lock:
            self.tokens.add(token)
            self.token_calls += 1
        return handler._send(
            200,
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": 1800,
                "refresh_token": f"refresh-{token}",
            },
        )

    def _authorized(self, handler) -> bool:
        with self.lock:
            return handler._bearer() in self.tokens

    def _helloasso_intent(self, handler, body: bytes) -> None:
        if not self._authorized(handler):
            return handler._send(401, {"message": "Authorization has been denied"})
        slug = handler.path.split("/")[3]
        if slug != HELLOASSO_SLUG:
            return handler._send(403, {"message": "Forbidden"})
        try:
            data = json.loads(body)
        except ValueError:
            return handler._send(400, {"errors": [{"message": "invalid JSON"}]})
        problems = []
        for name in ("totalAmount", "initialAmount"):
            if not isinstance(data.get(name), int) or data[name] <= 0:
                problems.append(name)
        for name in ("itemName", "backUrl", "errorUrl", "returnUrl"):
            if not isinstance(data.get(name), str) or not data[name]:
                problems.append(name)
        if not isinstance(data.get("containsDonation"), bool):
            problems.append("containsDonation")
        if not problems and data["totalAmount"] != data["initialAmount"] and not data.get("terms"):
            problems.append("totalAmount")
        if len(json.dumps(data.get("metadata") or {})) > 20000:
            problems.append("metadata")
        if problems:
            return handler._send(
                400, {"errors": [{"code": "ArgumentInvalid", "message": p} for p in problems]}
            )
        intent_id = next(self.ids)
        with self.lock:
            self.intents[intent_id] = data
        return handler._send(
            200,
            {
                "id": intent_id,
                "redirectUrl": (
                    f"https://www.helloasso-sandbox.com/associations/{slug}/checkout/"
                    f"{intent_id:x}a1b2c3"
                ),
            },
        )

    def _helloasso_payment(self, handler) -> None:
        if not self._authorized(handler):
            return handler._send(401, {"message": "Authorization has been denied"})
        try:
            payment_id = int(handler.path.rsplit("/", 1)[1])
        except ValueError:
            return handler._send(400, {"message": "bad id"})
        with self.lock:
            payment = self.payments.get(payment_id)
        if payment is None:
            return handler._send(404, {"message": "Payment not found"})
        return handler._send(200, payment)


# --- Payloads -----------------------------------------------------------------------------


def _stripe_error(message: str, *, code: str = "", param: str = "") -> dict:
    error = {"type": "invalid_request_error", "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return {"error": error}


def stripe_subscription(
    subscription_id: str,
    *,
    amount: int = 1500,
    metadata: dict | None = None,
    status: str = "active",
    pause_collection: dict | None = None,
    product: str = "prod_FakeMonthlyGift",
) -> dict:
    """A Subscription as GET /v1/subscriptions/{id} and customer.subscription.* give it."""
    now = int(time.time())
    return {
        "id": subscription_id,
        "object": "subscription",
        "billing_cycle_anchor": now,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "collection_method": "charge_automatically",
        "created": now,
        "currency": "eur",
        "current_period_end": now + 30 * 86400,
        "current_period_start": now,
        "customer": "cus_FakeCustomer01",
        "ended_at": None,
        "items": {
            "object": "list",
            "data": [
                {
                    "id": f"si_Fake{subscription_id[-8:]}",
                    "object": "subscription_item",
                    "price": {
                        "id": "price_1FakeInitial",
                        "object": "price",
                        "active": False,
                        "currency": "eur",
                        "product": product,
                        "recurring": {"interval": "month", "interval_count": 1},
                        "type": "recurring",
                        "unit_amount": amount,
                    },
                    "quantity": 1,
                    "subscription": subscription_id,
                }
            ],
            "has_more": False,
        },
        "livemode": False,
        "metadata": metadata or {},
        "pause_collection": pause_collection,
        "status": status,
    }


def stripe_invoice(
    payment_intent: str | None,
    subscription_id: str,
    *,
    amount: int = 1500,
    metadata: dict | None = None,
    period_start: int | None = None,
    paid: bool = True,
    billing_reason: str = "subscription_cycle",
) -> dict:
    """A subscription's Invoice as invoice.paid / invoice.payment_failed carry it."""
    start = period_start or int(time.time())
    end = start + 30 * 86400
    return {
        "id": "in_1Fake" + (payment_intent or "nopayment")[3:],
        "object": "invoice",
        "amount_due": amount,
        "amount_paid": amount if paid else 0,
        "amount_remaining": 0 if paid else amount,
        "attempt_count": 1,
        "attempted": True,
        "billing_reason": billing_reason,
        "collection_method": "charge_automatically",
        "created": start,
        "currency": "eur",
        "customer": "cus_FakeCustomer01",
        "customer_email": "camille.roux@example.org",
        "customer_name": "Camille Roux",
        "lines": {
            "object": "list",
            "data": [
                {
                    "id": "il_1Fake" + subscription_id[4:],
                    "object": "line_item",
                    "amount": amount,
                    "currency": "eur",
                    "metadata": metadata or {},
                    "period": {"start": start, "end": end},
                    "subscription": subscription_id,
                    "type": "subscription",
                }
            ],
            "has_more": False,
        },
        "livemode": False,
        "paid": paid,
        "payment_intent": payment_intent,
        "period_end": start,
        "period_start": start,
        "status": "paid" if paid else "open",
        "status_transitions": {
            "finalized_at": start,
            "paid_at": start + 60 if paid else None,
        },
        "subscription": subscription_id,
        "subscription_details": {"metadata": metadata or {}},
    }


def helloasso_payment(
    payment_id: int,
    *,
    amount: int = 2000,
    state: str = "Authorized",
    updated_at: str = "2026-06-07T14:11:15.3255145+02:00",
    date: str = "2026-06-07T14:11:15.0825381+02:00",
    organization_slug: str = HELLOASSO_SLUG,
    order_id: int = 20499,
    means: str = "Card",
) -> dict:
    """A payment as GET /v5/payments/{id} and the "Payment" notification describe it."""
    return {
        "order": {
            "id": order_id,
            "date": date,
            "formSlug": "default",
            "formType": "Checkout",
            "organizationName": "Les Amis du Quartier",
            "organizationSlug": organization_slug,
            "organizationType": "Association1901",
            "organizationIsUnderColucheLaw": False,
            "formName": "Checkout",
            "meta": {"createdAt": date, "updatedAt": updated_at},
            "isAnonymous": False,
            "isAmountHidden": False,
        },
        "payer": {
            "email": "hugo.dubois@example.org",
            "country": "FRA",
            "firstName": "Hugo",
            "lastName": "Dubois",
        },
        "items": [
            {
                "shareAmount": amount,
                "shareItemAmount": amount,
                "id": order_id,
                "amount": amount,
                "type": "Payment",
                "state": "Processed",
                "name": "Adhésion 2026",
            }
        ],
        "cashOutState": "Transfered",
        "paymentReceiptUrl": (
            f"https://www.helloasso-sandbox.com/associations/{organization_slug}/checkout/"
            f"paiement-attestation/{order_id}"
        ),
        "id": payment_id,
        "amount": amount,
        "date": date,
        "paymentMeans": means,
        "installmentNumber": 1,
        "state": state,
        "meta": {"createdAt": date, "updatedAt": updated_at},
        "refundOperations": [],
    }


def helloasso_notification(payment: dict, *, metadata: dict | None = None) -> bytes:
    body = {"data": payment, "eventType": "Payment"}
    if metadata is not None:
        body["metadata"] = metadata
    return json.dumps(body).encode()


def helloasso_order_notification(payments: list[dict], order_id: int = 20499) -> bytes:
    order = {
        "payer": payments[0]["payer"],
        "items": [],
        "payments": [
            {k: v for k, v in payment.items() if k not in {"order", "payer"}}
            for payment in payments
        ],
        "amount": {"total": sum(p["amount"] for p in payments), "vat": 0, "discount": 0},
        "id": order_id,
        "date": payments[0]["date"],
        "formSlug": "default",
        "formType": "Checkout",
        "organizationName": "Les Amis du Quartier",
        "organizationSlug": HELLOASSO_SLUG,
        "meta": payments[0]["meta"],
    }
    return json.dumps({"data": order, "eventType": "Order"}).encode()


_event_ids = itertools.count(1)


def stripe_event(event_type: str, obj: dict, *, created: int, event_id: str = "", **extra) -> bytes:
    """A Stripe Event as webhooks deliver it (API version 2024-06-20 shape)."""
    event = {
        "id": event_id or f"evt_1Fake{next(_event_ids):08d}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": created,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        **extra,
    }
    return json.dumps(event).encode()


def stripe_session(
    payment_intent: str,
    *,
    amount: int = 2500,
    payment_status: str = "paid",
    metadata: dict | None = None,
    currency: str = "eur",
) -> dict:
    return {
        "id": "cs_test_a1" + payment_intent[3:],
        "object": "checkout.session",
        "amount_subtotal": amount,
        "amount_total": amount,
        "currency": currency,
        "customer_details": {
            "email": "camille.roux@example.org",
            "name": "Camille Roux",
            "address": {"country": "FR"},
        },
        "customer_email": None,
        "livemode": False,
        "metadata": metadata or {},
        "mode": "payment",
        "payment_intent": payment_intent,
        "payment_method_types": ["card"],
        "payment_status": payment_status,
        "status": "complete",
    }


def stripe_charge(
    payment_intent: str,
    *,
    amount: int = 2500,
    refunded: bool = True,
    created: int | None = None,
    metadata: dict | None = None,
) -> dict:
    return {
        "id": "ch_3Fake" + payment_intent[3:],
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": amount if refunded else amount // 2,
        "billing_details": {"email": "camille.roux@example.org", "name": "Camille Roux"},
        "created": created or int(time.time()) - 3600,
        "currency": "eur",
        "metadata": metadata or {},
        "paid": True,
        "payment_intent": payment_intent,
        "payment_method_details": {"type": "card", "card": {"brand": "visa", "last4": "4242"}},
        "refunded": refunded,
        "status": "succeeded",
    }


def stripe_payment_intent(payment_intent: str, *, amount: int = 2500, code="card_declined"):
    return {
        "id": payment_intent,
        "object": "payment_intent",
        "amount": amount,
        "currency": "eur",
        "created": int(time.time()) - 600,
        "last_payment_error": {
            "code": code,
            "decline_code": "insufficient_funds",
            "message": "Your card has insufficient funds.",
            "type": "card_error",
        },
        "metadata": {},
        "receipt_email": None,
        "status": "requires_payment_method",
    }


def stripe_headers(body: bytes, secret: str = STRIPE_SIGNING_SECRET, *, at=None) -> dict:
    timestamp = int(time.time() if at is None else at)
    signature = stripe_adapter.sign(body, secret, timestamp)
    return {"HTTP_STRIPE_SIGNATURE": f"t={timestamp},v1={signature}"}


# --- Accounts and deliveries --------------------------------------------------------------


def stripe_account(association, user, *, base_url: str = "", **fields):
    fields.setdefault("secret_key", STRIPE_SECRET_KEY)
    fields.setdefault("webhook_secret", STRIPE_SIGNING_SECRET)
    fields.setdefault("publishable_key", "pk_test_51FakePublishableKey000000")
    with scope(association=association):
        return online.provider_account_save(
            association=association,
            acting_user=user,
            provider="stripe",
            api_base_url=base_url,
            **fields,
        )


def helloasso_account(association, user, *, base_url: str = "", **fields):
    fields.setdefault("organization_slug", HELLOASSO_SLUG)
    fields.setdefault("client_id", HELLOASSO_CLIENT_ID)
    fields.setdefault("secret_key", HELLOASSO_CLIENT_SECRET)
    with scope(association=association):
        return online.provider_account_save(
            association=association,
            acting_user=user,
            provider="helloasso",
            api_base_url=base_url,
            **fields,
        )


def deliver(account, body: bytes, headers: dict | None = None, client: Client | None = None):
    """POST a notification to the account's address, as the service would."""
    client = client or Client()
    return client.post(
        account.webhook_path(), data=body, content_type="application/json", **(headers or {})
    )
