"""Canonical e-mail addresses: one person, one signature, whatever way they type their address.

The rules (documented in the user guide; the lead keeps them in sync):

1. The whole address is lower-cased and stripped. Providers treat the local part as
   case-insensitive in practice, even though RFC 5321 allows otherwise.
2. ``googlemail.com`` is ``gmail.com`` (the same mailboxes).
3. Gmail ignores dots in the local part (``j.ane.doe`` = ``janedoe``) and everything from
   the first ``+`` (``jane+petition`` = ``jane``).
4. Providers whose documentation says ``name+tag@`` reaches ``name@`` (sub-addressing: Outlook,
   Hotmail, Live, iCloud, Fastmail, Proton, La Poste, GMX, Zoho, Yandex, Posteo, mailbox.org)
   lose the ``+tag``. Elsewhere ``+`` is kept: on an unknown domain ``a+b@`` may be a real,
   different mailbox, and Yahoo's aliases use ``-`` and may belong to someone else.
5. Nothing else is changed: dots stay meaningful everywhere but Gmail (``jean.dupont@orange.fr``
   and ``jeandupont@orange.fr`` are two different people at Orange).

The canonical form is only used to find duplicates; the e-mail is sent to the address as
typed.
"""

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})

# Providers whose documentation says "name+anything@" reaches "name@" (sub-addressing).
PLUS_ALIAS_DOMAINS = frozenset(
    {
        "outlook.com",
        "outlook.fr",
        "hotmail.com",
        "hotmail.fr",
        "live.com",
        "live.fr",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "fastmail.com",
        "fastmail.fm",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "laposte.net",
        "gmx.fr",
        "gmx.com",
        "gmx.de",
        "zoho.com",
        "yandex.ru",
        "yandex.com",
        "posteo.net",
        "posteo.de",
        "mailbox.org",
    }
)


def email_domain(email: str) -> str:
    """The domain of an address, lower-cased (googlemail.com reported as gmail.com)."""
    domain = str(email or "").strip().rsplit("@", 1)[-1].lower().rstrip(".")
    return "gmail.com" if domain == "googlemail.com" else domain


def canonical_email(email: str) -> str:
    """The key two spellings of the same mailbox share (see the module's rules)."""
    email = str(email or "").strip().lower()
    if "@" not in email:
        return email
    local, domain = email.rsplit("@", 1)
    domain = domain.rstrip(".")
    if domain in GMAIL_DOMAINS:
        domain = "gmail.com"
        local = local.split("+", 1)[0].replace(".", "")
    elif domain in PLUS_ALIAS_DOMAINS:
        local = local.split("+", 1)[0]
    return f"{local}@{domain}"
