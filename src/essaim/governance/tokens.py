"""Signed links of governance: a member's online check-in link (in the convocation).

Signed with SECRET_KEY: the link names one member and one assembly and cannot be altered;
it works only while the assembly can take check-ins (see views), so it needs no expiry.
"""

from django.core import signing

PRESENCE_SALT = "essaim.governance.presence"


def presence_token(assembly, person) -> str:
    return signing.Signer(salt=PRESENCE_SALT).sign_object(
        [str(assembly.uuid), str(person.uuid)], compress=True
    )


def presence_ids(token: str) -> tuple[str, str] | None:
    try:
        value = signing.Signer(salt=PRESENCE_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        return None
    return value[0], value[1]
