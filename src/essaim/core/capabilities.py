"""Capabilities: what a role lets its holder do in one association.

Views and API endpoints check capabilities, never role names: an association may rename
"Trésorière" or create "Responsable adhésions" and the checks still hold.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Capability:
    name: str
    label: Promise
    help_text: Promise
    sensitive: bool  # handles money, votes or member lists: MFA required


CAPABILITIES: tuple[Capability, ...] = (
    Capability(
        "can_view_members",
        _("See contacts"),
        _("Read the list of contacts and their details."),
        True,
    ),
    Capability(
        "can_manage_members",
        _("Manage contacts and members"),
        _("Add, edit, merge, import and erase contacts."),
        True,
    ),
    Capability(
        "can_manage_finances",
        _("Manage finances"),
        _("Record payments, dues and gifts."),
        True,
    ),
    Capability(
        "can_issue_receipts",
        _("Issue tax receipts"),
        _("Issue and cancel tax receipts (reçus fiscaux)."),
        True,
    ),
    Capability(
        "can_run_votes",
        _("Run assemblies and votes"),
        _("Convene general meetings, open and close votes."),
        True,
    ),
    Capability(
        "can_send_mailings",
        _("Send mailings"),
        _("Write and send e-mails to contacts."),
        False,
    ),
    Capability(
        "can_manage_volunteers",
        _("Coordinate volunteers"),
        _("Publish missions, manage shifts and approve hours."),
        False,
    ),
    Capability(
        "can_change_settings",
        _("Administer the association"),
        _("Change settings, roles and invitations; read the activity log; API tokens."),
        True,
    ),
)

CAPABILITY_NAMES: tuple[str, ...] = tuple(c.name for c in CAPABILITIES)
SENSITIVE_CAPABILITIES: frozenset[str] = frozenset(c.name for c in CAPABILITIES if c.sensitive)
BY_NAME = {c.name: c for c in CAPABILITIES}

# The bureau presets offered to every new association. Keys are stable identifiers; labels
# are shown (and editable) in the association's own words.
PRESETS: dict[str, tuple[Promise, frozenset[str]]] = {
    "presidence": (_("President"), frozenset(CAPABILITY_NAMES)),
    "tresorerie": (
        _("Treasurer"),
        frozenset(
            {"can_view_members", "can_manage_members", "can_manage_finances", "can_issue_receipts"}
        ),
    ),
    "secretariat": (
        _("Secretary"),
        frozenset(
            {
                "can_view_members",
                "can_manage_members",
                "can_run_votes",
                "can_send_mailings",
            }
        ),
    ),
    "conseil": (_("Board member"), frozenset({"can_view_members"})),
    "benevole": (_("Volunteer"), frozenset()),
}
PRESET_ORDER = ("presidence", "tresorerie", "secretariat", "conseil", "benevole")
