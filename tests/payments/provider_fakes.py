"""A fake Stripe and a fake HelloAsso on 127.0.0.1, and helpers to build their notifications.

The fake server answers the calls the adapters make, with the payloads the services document
(Stripe: POST /v1/checkout/sessions; HelloAsso: POST /oauth2/token, POST
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
        self.tokens: set[str] = set()
        self.token_calls = 0
        self.intents: dict[int, dict] = {}
        self.payments: dict[int, dict] = {}  # HelloAsso payments the API knows
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
            "payment_status": "unpaid",
            "status": "open",
            "success_url": form["success_url"],
            "cancel_url": form.get("cancel_url"),
            "url": f"https://checkout.stripe.com/c/pay/{session_id}#fidkdWxOYHwnPyd1blpxYHZxWjA0",
            "livemode": False,
        }
        with self.lock:
            if key:
                self.sessions[key] = session
                self.session_params[key] = params
        return handler._send(200, session)

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
