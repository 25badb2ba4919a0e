"""Signed tokens in links and QR codes: renewal links, card verification.

Signed with SECRET_KEY (django.core.signing): they cannot be forged or altered, carry no
personal data in clear (a membership's UUID only), and renewal links expire.
"""

from django.core import signing

RENEWAL_SALT = "essaim.members.renewal"
CARD_SALT = "essaim.members.card"
RENEWAL_MAX_AGE = 60 * 60 * 24 * 90  # a reminder sent 30 days before still works after the end


def renewal_token(membership) -> str:
    return signing.dumps(str(membership.uuid), salt=RENEWAL_SALT, compress=True)


def renewal_uuid(token: str) -> str | None:
    try:
        return signing.loads(token, salt=RENEWAL_SALT, max_age=RENEWAL_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        return None


def card_token(membership) -> str:
    """Without a timestamp: the same membership always gives the same token, so a card
    printed again carries the same QR code."""
    return signing.Signer(salt=CARD_SALT).sign_object(str(membership.uuid), compress=True)


def card_uuid(token: str) -> str | None:
    """Cards do not expire by signature: the verification page shows the period instead."""
    try:
        return signing.Signer(salt=CARD_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None


PAY_SALT = "essaim.members.pay"
PAY_MAX_AGE = 60 * 60 * 24 * 90


def pay_token(membership) -> str:
    """The link to pay a membership's dues online (sent to the member, shown after joining)."""
    return signing.dumps(str(membership.uuid), salt=PAY_SALT, compress=True)


def pay_uuid(token: str) -> str | None:
    try:
        return signing.loads(token, salt=PAY_SALT, max_age=PAY_MAX_AGE)
    except signing.BadSignature:
        return None
