from django import template
from django.utils.translation import gettext as _

from essaim.lib.money import format_euros

register = template.Library()


@register.filter
def money(cents) -> str:
    """1250 → "12,50 €" (with the no-break spaces of French typography)."""
    try:
        return format_euros(int(cents or 0))
    except (TypeError, ValueError):
        return ""


@register.filter
def donor_name(donor) -> str:
    """The donor as a receipt printed them (TaxReceipt.donor): "LE GOFF Émilie" or the
    company's name; a dash once the retention rule blanked them."""
    donor = donor if isinstance(donor, dict) else {}
    if donor.get("kind") == "company" and donor.get("company_name"):
        return donor["company_name"]
    name = " ".join(p for p in (donor.get("last_name", ""), donor.get("first_names", "")) if p)
    return name or _("(donor data deleted)")


@register.filter
def donor_address(donor) -> str:
    donor = donor if isinstance(donor, dict) else {}
    parts = [*donor.get("address", []), f"{donor.get('postcode', '')} {donor.get('city', '')}"]
    return ", ".join(p.strip() for p in parts if p and p.strip())
