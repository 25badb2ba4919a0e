"""The member list as a spreadsheet (CSV for French Excel, or XLSX)."""

from django.utils.translation import gettext_lazy as _

from .services import format_euros

COLUMNS = (
    _("Last name"),
    _("First name"),
    _("E-mail"),
    _("Phone"),
    _("Address"),
    _("Postcode"),
    _("Town"),
    _("Membership type"),
    _("Start"),
    _("End"),
    _("Status"),
    _("Rate"),
    _("Dues (€)"),
    _("Paid on"),
    _("Payment method"),
    _("Household"),
    _("Tags"),
)


def member_export_header() -> list[str]:
    return [str(c) for c in COLUMNS]


def _date(value) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def member_export_rows(memberships):
    """Rows of the export; `memberships` come annotated by selectors (with_status)."""
    for m in memberships:
        p = m.person
        yield [
            p.last_name,
            p.first_name,
            p.email,
            p.phone_display,
            p.address_line1,
            p.postcode,
            p.city,
            m.membership_type.name,
            _date(m.period_start),
            _date(m.period_end),
            m.get_status_display(),
            m.get_rate_display(),
            format_euros(m.amount_due_cents),
            _date(m.paid_on),
            m.payment.get_method_display() if m.payment_id and m.payment else "",
            m.household.name if m.household_id and m.household else "",
            ", ".join(t.name for t in p.tags.all()),
        ]
