"""The petition as delivered to its addressee: title, addressee, text, count and the list of
confirmed signers (name, postcode and département; never an e-mail address)."""

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from essaim.lib.pdf import font_names

from .departements import departement_name


def render(*, petition, association, rows, count: int) -> bytes:
    """rows: (first name, last name, postcode, département, confirmed date) of each signer."""
    regular, bold = font_names()
    styles = {
        "title": ParagraphStyle("title", fontName=bold, fontSize=18, leading=22, spaceAfter=6),
        "meta": ParagraphStyle("meta", fontName=regular, fontSize=10, leading=13),
        "body": ParagraphStyle("body", fontName=regular, fontSize=10.5, leading=14, spaceAfter=6),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=9, leading=11),
        "head": ParagraphStyle("head", fontName=bold, fontSize=9, leading=11),
    }
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=petition.title,
        author=association.name,
    )
    story = [
        Paragraph(escape(petition.title), styles["title"]),
        Paragraph(
            escape(_("To: %(addressee)s") % {"addressee": petition.addressee}), styles["meta"]
        ),
        Paragraph(
            escape(
                _("From: %(association)s — %(date)s")
                % {
                    "association": association.name,
                    "date": timezone.localdate().strftime("%d/%m/%Y"),
                }
            ),
            styles["meta"],
        ),
        Spacer(1, 6 * mm),
    ]
    for paragraph in petition.text.split("\n\n"):
        if paragraph.strip():
            story.append(
                Paragraph(escape(paragraph.strip()).replace("\n", "<br/>"), styles["body"])
            )
    story += [
        Spacer(1, 4 * mm),
        Paragraph(
            escape(_("%(count)s confirmed signatures") % {"count": f"{count:,}".replace(",", " ")}),
            styles["title"],
        ),
    ]
    data = [
        [
            Paragraph(escape(str(label)), styles["head"])
            for label in ("#", _("Name"), _("Postcode"), _("Département"), _("Signed on"))
        ]
    ]
    for index, (first, last, postcode, dep, signed) in enumerate(rows, start=1):
        data.append(
            [
                str(index),
                Paragraph(escape(f"{first} {last}".strip()), styles["cell"]),
                postcode,
                Paragraph(escape(f"{dep} {departement_name(dep)}".strip()), styles["cell"]),
                signed.strftime("%d/%m/%Y") if signed else "",
            ]
        )
    table = LongTable(data, colWidths=[14 * mm, 62 * mm, 22 * mm, 52 * mm, 24 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), regular, 9),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, "#333333"),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), ["#ffffff", "#f2f4f7"]),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    document.build(story)
    return buffer.getvalue()
