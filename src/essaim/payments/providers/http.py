"""The few HTTP calls adapters make, with the standard library (no SDK to keep up to date).

- a timeout on every call: a slow service must not hold a web worker (nor a payer) for long;
- no redirects: urllib would follow one to another host with the Authorization header
  (the secret key) still attached;
- answers are read up to 1 MB and must be JSON;
- errors become ProviderError (the service refused: a bad key, an invalid request) or
  ProviderUnavailable (unreachable, timed out, 5xx, 429: worth trying again later).
"""

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping

from .base import ProviderError, ProviderUnavailable

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
MAX_RESPONSE_BYTES = 1024 * 1024
USER_AGENT = "Essaim (association management software)"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx status


_opener = urllib.request.build_opener(_NoRedirect())


def _read_json(raw: bytes, url: str) -> dict:
    try:
        data = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProviderUnavailable(f"the service answered something else than JSON ({url})") from exc
    if not isinstance(data, dict):
        raise ProviderUnavailable(f"unexpected answer from the service ({url})")
    return data


def call(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    form: list[tuple[str, str]] | Mapping[str, str] | None = None,
    json_body: object = None,
    timeout: float = TIMEOUT_SECONDS,
) -> dict:
    """Call the service and return its JSON answer (a dict)."""
    data = None
    all_headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **(headers or {})}
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif json_body is not None:
        data = json.dumps(json_body).encode()
        all_headers["Content-Type"] = "application/json"
    if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
        raise ProviderError("the service's address must be http(s)")
    # The scheme is checked just above (S310 warns about file: and custom schemes).
    request = urllib.request.Request(url, data=data, headers=all_headers, method=method)  # noqa: S310
    # The path only in messages: the query string may hold identifiers.
    where = urllib.parse.urlsplit(url).path
    try:
        with _opener.open(request, timeout=timeout) as response:
            return _read_json(response.read(MAX_RESPONSE_BYTES), where)
    except urllib.error.HTTPError as error:
        raw = error.read(MAX_RESPONSE_BYTES) if error.fp else b""
        error.close()
        try:
            body = json.loads(raw.decode("utf-8")) if raw else {}
        except (UnicodeDecodeError, ValueError):
            body = {}
        code = ""
        if isinstance(body, dict):
            inner = body.get("error")
            if isinstance(inner, dict):  # Stripe: {"error": {"type", "code", "message"}}
                code = str(inner.get("code") or inner.get("type") or "")
            elif isinstance(inner, str):  # OAuth2: {"error": "invalid_client"}
                code = inner
        message = f"the service answered {error.code} to {method} {where}"
        if error.code >= 500 or error.code == 429:
            raise ProviderUnavailable(message, status=error.code, code=code) from None
        raise ProviderError(message, status=error.code, code=code) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        raise ProviderUnavailable(
            f"the service cannot be reached ({method} {where}: {reason})"
        ) from None
