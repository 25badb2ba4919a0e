"""PDFs of general meetings (reportlab): convocation letters for members without e-mail, and
the signature sheet (feuille d'émargement).

Letters: one A4 page each; the member's address sits where a French window envelope
(DL 110 × 220 mm, window on the right) shows it: 100 mm from the left edge, 45 mm from the
top. A QR code at the bottom holds the team's check-in address for that member: scanned
at the door with a team member's phone, it opens their check-in.
"""

import io

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from essaim.lib.pdf import fit_text, font_names
from essaim.members.card import qr_image

from . import selectors
from .models import Assembly, Convocation

ADDRESS_X = 100 * mm
ADDRESS_TOP = 45 * mm
MARGIN = 20 * mm


def team_check_in_url(assembly: Assembly, person) -> str:
    return settings.ESSAIM_BASE_URL + reverse(
        "governance:check_in_person",
        kwargs={
            "association_slug": assembly.association.slug,
            "assembly_uuid": assembly.uuid,
            "person_uuid": person.uuid,
        },
    )


def _when(assembly: Assembly) -> str:
    local = timezone.localtime(assembly.starts_at)
    return _("%(date)s at %(time)s") % {
        "date": date_format(local, "l j F Y"),
        "time": date_format(local, "H:i"),
    }


def _paragraph(pdf, text: str, x: float, y: float, width: float, font: str, size: float) -> float:
    pdf.setFont(font, size)
    for line in simpleSplit(text, font, size, width):
        pdf.drawString(x, y, line)
        y -= size * 1.35
    return y


def letters_for(assembly: Assembly) -> list:
    """The convocations to post: members convened by letter, with an address."""
    return list(
        Convocation.objects.filter(
            association=assembly.association,
            assembly=assembly,
            channel=Convocation.Channel.LETTER,
            person__erased_at__isnull=True,
        )
        .select_related("person")
        .order_by("person__sort_name", "person_id")
    )


def convocation_letters_pdf(assembly: Assembly, convocations: list) -> bytes:
    regular, bold = font_names()
    association = assembly.association
    rules = selectors.rules_for(association)
    items = list(assembly.items.prefetch_related("documents"))
    buffer = io.BytesIO()
    width, height = A4
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(_("Convocations: %(title)s") % {"title": assembly.title})
    pdf.setAuthor(association.name)
    pdf.setCreator("Essaim")
    text_width = width - 2 * MARGIN
    for convocation in convocations:
        person = convocation.person
        # Sender, top left.
        y = height - MARGIN
        pdf.setFont(bold, 11)
        pdf.drawString(MARGIN, y, fit_text(association.name, bold, 11, 80 * mm)[0])
        pdf.setFont(regular, 9)
        for line in (
            association.address_line1,
            association.address_line2,
            f"{association.postcode} {association.city}".strip(),
        ):
            if line:
                y -= 11
                pdf.drawString(MARGIN, y, fit_text(line, regular, 9, 80 * mm)[0])
        # Recipient, in the envelope's window.
        y = height - ADDRESS_TOP
        pdf.setFont(regular, 11)
        for line in (
            person.full_name or str(person),
            person.address_line1,
            person.address_line2,
            f"{person.postcode} {person.city}".strip(),
        ):
            if line:
                pdf.drawString(ADDRESS_X, y, fit_text(line, regular, 11, 90 * mm)[0])
                y -= 14
        y = height - 95 * mm
        pdf.setFont(regular, 10)
        pdf.drawRightString(
            width - MARGIN,
            y,
            _("On %(date)s") % {"date": date_format(timezone.localdate(), "j F Y")},
        )
        y -= 12 * mm
        pdf.setFont(bold, 13)
        title = _("Convocation: %(title)s") % {"title": assembly.title}
        y = _paragraph(pdf, title, MARGIN, y, text_width, bold, 13) - 4
        body = _(
            "Dear %(name)s, as a member of %(association)s, you are convened to the %(kind)s "
            "on %(when)s."
        ) % {
            "name": person.first_name or person.full_name,
            "association": association.name,
            "kind": assembly.get_kind_display(),
            "when": _when(assembly),
        }
        y = _paragraph(pdf, body, MARGIN, y, text_width, regular, 10.5) - 4
        if assembly.place:
            y = _paragraph(
                pdf,
                _("Place: %(place)s") % {"place": assembly.place},
                MARGIN,
                y,
                text_width,
                regular,
                10.5,
            )
        if assembly.convocation_number == 2:
            y = _paragraph(
                pdf,
                _("Second convocation: the first meeting did not reach its quorum."),
                MARGIN,
                y,
                text_width,
                regular,
                10.5,
            )
        y -= 4
        pdf.setFont(bold, 11)
        pdf.drawString(MARGIN, y, _("Agenda"))
        y -= 15
        for index, item in enumerate(items, start=1):
            label = f"{index}. {item.title}"
            if item.is_resolution:
                label += " " + _("(put to the vote)")
            y = _paragraph(pdf, label, MARGIN + 4 * mm, y, text_width - 4 * mm, regular, 10.5)
            if y < 75 * mm:
                break
        y -= 4
        if rules.proxies_allowed:
            text = _(
                "If you cannot come, you may give your proxy to another member: write and sign "
                "“I give my proxy to …” and hand it to them, or give it from your member space."
            )
            y = _paragraph(pdf, text, MARGIN, y, text_width, regular, 9.5)
        # QR code for the team at the door.
        qr_size = 28 * mm
        pdf.drawImage(
            ImageReader(qr_image(team_check_in_url(assembly, person))),
            MARGIN,
            MARGIN,
            qr_size,
            qr_size,
        )
        _paragraph(
            pdf,
            _("Bring this letter: the team scans this code to check you in."),
            MARGIN + qr_size + 5 * mm,
            MARGIN + qr_size / 2,
            text_width - qr_size - 5 * mm,
            regular,
            9,
        )
        pdf.showPage()
    if not convocations:
        pdf.setFont(regular, 11)
        pdf.drawString(MARGIN, height - MARGIN, _("No letter to print."))
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def signature_sheet_pdf(assembly: Assembly) -> bytes:
    """Every member with voting rights: name, weight when votes are weighted, who represents
    them (proxy), and a box to sign; one more column of proxies held."""
    regular, bold = font_names()
    association = assembly.association
    rules = selectors.rules_for(association)
    day = selectors.assembly_day(assembly)
    weights = selectors.voting_weights(association, day)
    persons = list(selectors.voting_members(association, day).order_by("sort_name", "id"))
    proxies = {p.giver_id: p for p in selectors.live_proxies(assembly).select_related("holder")}
    held: dict[int, int] = {}
    for proxy in proxies.values():
        held[proxy.holder_id] = held.get(proxy.holder_id, 0) + 1
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=_("Signature sheet: %(title)s") % {"title": assembly.title},
        author=association.name,
        creator="Essaim",
    )
    title_style = ParagraphStyle("title", fontName=bold, fontSize=14, leading=18)
    text_style = ParagraphStyle("text", fontName=regular, fontSize=9.5, leading=12)
    cell = ParagraphStyle("cell", fontName=regular, fontSize=9, leading=11)
    header = [_("Member"), _("Represented by"), _("Proxies held"), _("Signature")]
    if rules.weighted_votes:
        header.insert(1, _("Votes"))
    rows = [[Paragraph(h, ParagraphStyle("h", parent=cell, fontName=bold)) for h in header]]
    for person in persons:
        proxy = proxies.get(person.pk)
        row = [
            Paragraph(person.full_name or str(person), cell),
            Paragraph(proxy.holder.full_name if proxy else "", cell),
            str(held.get(person.pk, "")) if held.get(person.pk) else "",
            "",
        ]
        if rules.weighted_votes:
            row.insert(1, str(weights.get(person.pk, 1)))
        rows.append(row)
    widths = [60 * mm, 50 * mm, 20 * mm, 50 * mm]
    if rules.weighted_votes:
        widths = [55 * mm, 12 * mm, 45 * mm, 18 * mm, 50 * mm]
    table = Table(
        rows, colWidths=widths, repeatRows=1, rowHeights=[None] + [11 * mm] * len(persons)
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("FONTNAME", (0, 1), (-1, -1), regular),
            ]
        )
    )
    story = [
        Paragraph(_("Signature sheet"), title_style),
        Paragraph(f"{association.name} — {assembly.title} — {_when(assembly)}", text_style),
        Paragraph(assembly.place or assembly.get_mode_display(), text_style),
        Spacer(1, 4 * mm),
        Paragraph(
            _("%(count)d members with voting rights. Each member present signs on their line.")
            % {"count": len(persons)},
            text_style,
        ),
        Spacer(1, 4 * mm),
        table,
    ]
    doc.build(story)
    return buffer.getvalue()
