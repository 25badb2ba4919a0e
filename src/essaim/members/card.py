"""The membership card: a credit-card sized card on an A4 page (PDF, reportlab).

It carries the association's name and logo, the member's name, the membership type and
period, and a QR code holding the absolute address of the public verification page, with a
signed token (tokens.card_token) that cannot be forged or altered. Printed at home, cut out
along the dotted line; or shown on a phone.
"""

import io
import logging

import qrcode
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from essaim.lib.pdf import fit_text as _fit
from essaim.lib.pdf import font_names as _font_names

from .models import Membership
from .tokens import card_token

logger = logging.getLogger(__name__)

CARD_WIDTH = 85.6 * mm  # ISO/IEC 7810 ID-1, the size of a bank card: it fits a wallet
CARD_HEIGHT = 53.98 * mm
PRIMARY = HexColor("#0f4c81")
MUTED = HexColor("#555555")


def verification_url(membership: Membership) -> str:
    """The absolute address the QR code holds."""
    return settings.ESSAIM_BASE_URL + reverse(
        "members_public:verify", kwargs={"token": card_token(membership)}
    )


def qr_image(data: str):
    """The QR code of `data` as a PIL image (medium error correction: survives a crease)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, box_size=8)
    code.add_data(data)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image()


def _logo(association):
    if not association.logo:
        return None
    try:
        with association.logo.open("rb") as handle:
            return ImageReader(io.BytesIO(handle.read()))
    except (OSError, ValueError) as exc:  # a missing or broken file: the card goes without
        logger.warning("card: logo of %s unreadable: %s", association.slug, exc)
        return None


def _period_text(membership: Membership) -> str:
    if membership.period_end is None:
        return _("Lifetime member since %(date)s") % {
            "date": membership.period_start.strftime("%d/%m/%Y")
        }
    return _("Valid from %(start)s to %(end)s") % {
        "start": membership.period_start.strftime("%d/%m/%Y"),
        "end": membership.period_end.strftime("%d/%m/%Y"),
    }


def _draw_card(pdf, membership: Membership, x: float, y: float) -> None:
    regular, bold = _font_names()
    association = membership.association
    person = membership.person
    radius = 3 * mm
    # Band with the association's name (and logo), inside the card's rounded corners.
    band = 13 * mm
    pdf.saveState()
    outline = pdf.beginPath()
    outline.roundRect(x, y, CARD_WIDTH, CARD_HEIGHT, radius)
    pdf.clipPath(outline, stroke=0, fill=0)
    pdf.setFillColor(PRIMARY)
    pdf.rect(x, y + CARD_HEIGHT - band, CARD_WIDTH, band, stroke=0, fill=1)
    pdf.restoreState()
    # Outline to cut along.
    pdf.setDash(3, 3)
    pdf.setStrokeColor(MUTED)
    pdf.roundRect(x, y, CARD_WIDTH, CARD_HEIGHT, radius, stroke=1, fill=0)
    pdf.setDash()
    text_x = x + 4 * mm
    logo = _logo(association)
    if logo is not None:
        size = band - 3 * mm
        pdf.setFillColor(white)
        pdf.rect(x + 2.5 * mm, y + CARD_HEIGHT - band + 1.5 * mm, size, size, stroke=0, fill=1)
        pdf.drawImage(
            logo,
            x + 2.5 * mm,
            y + CARD_HEIGHT - band + 1.5 * mm,
            width=size,
            height=size,
            preserveAspectRatio=True,
            anchor="c",
            mask="auto",
        )
        text_x += size + 1 * mm
    name, size = _fit(association.name, bold, 11, x + CARD_WIDTH - 3 * mm - text_x)
    pdf.setFillColor(white)
    pdf.setFont(bold, size)
    pdf.drawString(text_x, y + CARD_HEIGHT - band / 2 - size / 3, name)
    # QR code on the right.
    qr_size = 30 * mm
    qr_x = x + CARD_WIDTH - qr_size - 2.5 * mm
    qr_y = y + 3 * mm
    pdf.drawImage(ImageReader(qr_image(verification_url(membership))), qr_x, qr_y, qr_size, qr_size)
    # The member.
    width = qr_x - x - 6 * mm
    left = x + 4 * mm
    top = y + CARD_HEIGHT - band - 6 * mm
    pdf.setFillColor(MUTED)
    pdf.setFont(regular, 6.5)
    pdf.drawString(left, top, _("MEMBERSHIP CARD").upper())
    text, size = _fit(person.full_name or str(person), bold, 11, width)
    pdf.setFillColor(HexColor("#1b1b1b"))
    pdf.setFont(bold, size)
    pdf.drawString(left, top - 6 * mm, text)
    text, size = _fit(membership.membership_type.name, regular, 8.5, width)
    pdf.setFont(regular, size)
    pdf.drawString(left, top - 11.5 * mm, text)
    text, size = _fit(_period_text(membership), regular, 7.5, width, minimum=5)
    pdf.setFont(regular, size)
    pdf.drawString(left, top - 16 * mm, text)
    pdf.setFillColor(MUTED)
    text, size = _fit(_("Scan the code to check this card."), regular, 6, width, minimum=4.5)
    pdf.setFont(regular, size)
    pdf.drawString(left, y + 4 * mm, text)


def membership_card_pdf(membership: Membership) -> bytes:
    """The card of `membership` as a one-page A4 PDF (membership with association, person
    and membership_type loaded)."""
    regular, _bold = _font_names()
    buffer = io.BytesIO()
    page_width, page_height = A4
    title = _("Membership card of %(name)s") % {"name": membership.person}
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1, invariant=False)
    pdf.setTitle(title)
    pdf.setAuthor(membership.association.name)
    pdf.setCreator("Essaim")
    pdf.setSubject(_("Membership card"))
    x = (page_width - CARD_WIDTH) / 2
    y = page_height - 25 * mm - CARD_HEIGHT
    _draw_card(pdf, membership, x, y)
    pdf.setFillColor(MUTED)
    pdf.setFont(regular, 9)
    notes = [
        _("Cut out your card along the dotted line, or keep this file on your phone."),
        _("Anyone can check that it is valid by scanning its QR code."),
        _("Issued on %(date)s.") % {"date": timezone.localdate().strftime("%d/%m/%Y")},
    ]
    for index, line in enumerate(notes):
        pdf.drawCentredString(page_width / 2, y - 10 * mm - index * 5 * mm, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def card_filename(membership: Membership) -> str:
    from django.utils.text import slugify

    name = slugify(f"{membership.person.full_name or 'membre'}")[:60] or "membre"
    return f"carte-adherent-{name}-{membership.period_start.year}.pdf"
