"""Secrets of payment services, encrypted at rest.

A Stripe secret key moves money out of the association's account; a HelloAsso client secret
reads every payer's details. A copy of the database (a backup, a dump handed to a volunteer)
must not hand them over: they are stored encrypted with Fernet (AES-128-CBC + HMAC-SHA256,
from the `cryptography` package), under a key derived from settings.SECRET_KEY with HKDF.
The database alone is useless without the server's SECRET_KEY.

Rotating SECRET_KEY: put the old key in SECRET_KEY_FALLBACKS (as Django does for signed
cookies); the secrets still decrypt, and each is re-encrypted under the new key when the
account is next saved.

In Python the decrypted value is a `Secret`: its repr and str are masked, so a secret that
ends up in a log line, an error report or a template shows "sk_live_…4242", never itself.
"""

import base64
import functools
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models
from django.db.models.query_utils import DeferredAttribute

logger = logging.getLogger(__name__)

PREFIX = "fernet:"
# HKDF's "info": a key derived for these secrets is used for nothing else, even though it
# comes from the same SECRET_KEY as sessions and signed links.
_INFO = b"essaim.payments.provider-secrets.v1"


@functools.lru_cache(maxsize=4)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    fernets = []
    for key in keys:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"essaim", info=_INFO).derive(
            key.encode()
        )
        fernets.append(Fernet(base64.urlsafe_b64encode(derived)))
    return MultiFernet(fernets)


def _fernet() -> MultiFernet:
    fallbacks = tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ()) or ())
    return _fernet_for((settings.SECRET_KEY, *fallbacks))


def encrypt(plain: str) -> str:
    """The text as stored: "fernet:" and the Fernet token (random IV: never twice the same)."""
    return PREFIX + _fernet().encrypt(plain.encode()).decode("ascii")


class UndecryptableSecret(Exception):
    """The stored secret was encrypted under a SECRET_KEY this server no longer has."""


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise UndecryptableSecret("not an encrypted value")
    try:
        return _fernet().decrypt(stored[len(PREFIX) :].encode("ascii")).decode()
    except (InvalidToken, UnicodeError, ValueError) as exc:
        raise UndecryptableSecret("cannot decrypt") from exc


class Secret:
    """A secret in memory: `reveal()` to use it, anything else shows it masked."""

    __slots__ = ("_value", "unreadable")

    def __init__(self, value: str = "", *, unreadable: bool = False):
        self._value = value or ""
        # Stored, but encrypted under a key this server no longer has: the treasurer must
        # enter it again. Not the same as empty (never entered).
        self.unreadable = unreadable

    def reveal(self) -> str:
        return self._value

    def masked(self) -> str:
        """What a screen may show: the kind of key and its last four characters."""
        value = self._value
        if not value:
            return ""
        if len(value) < 16:
            return "••••"
        head = ""
        # Stripe keys say what they are ("sk_live_", "whsec_"): worth showing, not secret.
        parts = value.split("_")
        if len(parts) > 1 and all(p.isalpha() and len(p) <= 6 for p in parts[:-1]):
            head = "_".join(parts[:-1]) + "_"
        return f"{head}…{value[-4:]}"

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other) -> bool:
        if isinstance(other, Secret):
            return self._value == other._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)

    def __str__(self) -> str:
        return self.masked()

    def __repr__(self) -> str:
        return f"Secret({self.masked()!r})"


class _SecretAttribute(DeferredAttribute):
    """Whatever is assigned (a str, a Secret, None), the attribute holds a Secret."""

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = self.field.to_python(value)


class EncryptedSecretField(models.TextField):
    """A TextField holding a Fernet token; Python sees a `Secret`, never the token.

    Not searchable (each encryption differs): look accounts up by another column.
    """

    description = "A secret encrypted at rest"
    descriptor_class = _SecretAttribute

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if isinstance(value, Secret):
            return value
        if not value:
            return Secret("")
        if isinstance(value, str) and value.startswith(PREFIX):
            try:
                return Secret(decrypt(value))
            except UndecryptableSecret:
                # WARNING, not ERROR: the site works, one payment service waits for its
                # secret to be entered again (SECRET_KEY changed without a fallback).
                logger.warning("a payment service secret cannot be decrypted with SECRET_KEY")
                return Secret("", unreadable=True)
        return Secret(str(value))

    def get_prep_value(self, value):
        if value is None:
            return ""
        if isinstance(value, Secret):
            value = value.reveal()
        value = str(value)
        return encrypt(value) if value else ""

    def value_to_string(self, obj) -> str:
        # dumpdata and serializers: the stored (encrypted) form, never the clear text.
        return self.get_prep_value(self.value_from_object(obj))
