"""The PDFs of recognition (reportlab): the attestation de bénévolat, the yearly hours
statement for the Compte d'Engagement Citoyen and the passeport bénévole.

Each function takes the plain document of recognition.py and returns the PDF's bytes, A4,
flowing onto more pages when a volunteer has many missions.
"""

import io
import logging
from xml.sax.saxutils import escape

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import HRFlowable

from essaim.lib.pdf import font_names
from essaim.members.card import qr_image

from . import recognition

logger = logging.getLogger(__name__)
MARGIN = 18 * mm
PRIMARY = colors.HexColor("#0f4c81")
MUTED = colors.HexColor("#555555")
GOOD = colors.HexColor("#1b6e3a")
SHORT = colors.HexColor("#9a3412")


def _styles():
    regular, bold = font_names()
    return {
        "title": ParagraphStyle(
            "title", fontName=bold, fontSize=17, leading=21, textColor=PRIMARY, spaceAfter=6
        ),
        "h2": ParagraphStyle("h2", fontName=bold, fontSize=11.5, leading=15, spaceBefore=8),
        "body": ParagraphStyle("body", fontName=regular, fontSize=10, leading=14, spaceAfter=3),
        "small": ParagraphStyle(
            "small", fontName=regular, fontSize=8.5, leading=11, textColor=MUTED
        ),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=9, leading=11.5),
        "cellb": ParagraphStyle("cellb", fontName=bold, fontSize=9, leading=11.5),
        "org": ParagraphStyle("org", fontName=bold, fontSize=12, leading=15),
        "good": ParagraphStyle("good", fontName=bold, fontSize=10, leading=14, textColor=GOOD),
        "short": ParagraphStyle("short", fontName=bold, fontSize=10, leading=14, textColor=SHORT),
    }


def _p(text, style) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _date(value) -> str:
    return date_format(value, "j F Y") if value else ""


def _doc(buffer, title: str, author: str) -> SimpleDocTemplate:
    return SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author=author,
        creator="Essaim",
    )


def _table(rows, widths, header_rows=1) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=header_rows)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, PRIMARY),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _logo(file) -> Image | None:
    if not file:
        return None
    try:
        with file.open("rb") as handle:
            data = io.BytesIO(handle.read())
        reader = ImageReader(data)
        width, height = reader.getSize()
        data.seek(0)
        scale = min(30 * mm / width, 18 * mm / height)
        return Image(data, width=width * scale, height=height * scale)
    except (OSError, ValueError) as exc:  # a missing or broken file: the document goes without
        logger.warning("attestation: logo unreadable: %s", exc)
        return None


def _header(document, styles) -> list:
    lines = [_p(document.association_name, styles["org"])]
    lines += [_p(line, styles["small"]) for line in document.association_address]
    if document.association_identifiers:
        lines.append(_p(" · ".join(document.association_identifiers), styles["small"]))
    logo = _logo(document.association_logo)
    if logo is None:
        return [*lines, Spacer(1, 6 * mm)]
    table = Table([[lines, logo]], colWidths=[None, 34 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [table, Spacer(1, 6 * mm)]


def _mission_table(lines, styles, *, with_association: bool = False) -> Table:
    width = A4[0] - 2 * MARGIN
    header = [_("Mission"), _("Period"), _("Approved hours"), _("Skills used")]
    widths = [0.34 * width, 0.22 * width, 0.14 * width, 0.30 * width]
    if with_association:
        header[2] = _("Hours")  # a narrower column; the note says which hours count
        header.insert(0, _("Association"))
        widths = [0.2 * width, 0.26 * width, 0.2 * width, 0.12 * width, 0.22 * width]
    rows = [[_p(h, styles["cellb"]) for h in header]]
    for line in lines:
        cells = [line.title, line.period, line.hours, ", ".join(line.skills) or "—"]
        if with_association:
            cells.insert(0, line.association)
        rows.append([_p(c, styles["cell"]) for c in cells])
    return _table(rows, widths)


def attestation_pdf(document: recognition.AttestationDocument) -> bytes:
    styles = _styles()
    buffer = io.BytesIO()
    doc = _doc(
        buffer,
        _("Volunteer attestation — %(name)s") % {"name": document.volunteer_name},
        document.association_name,
    )
    story = _header(document, styles)
    story.append(_p(_("Volunteer attestation"), styles["title"]))
    signatory = document.signatory_name
    if document.signatory_role and signatory:
        signatory = f"{signatory}, {document.signatory_role}"
    if document.issued_by_volunteer or not signatory:
        intro = _(
            "The association %(association)s attests that %(volunteer)s has volunteered with "
            "it, without pay, as follows."
        )
    else:
        intro = _(
            "I, the undersigned %(signatory)s, on behalf of the association %(association)s, "
            "attest that %(volunteer)s has volunteered with it, without pay, as follows."
        )
    story.append(
        _p(
            intro
            % {
                "signatory": signatory,
                "association": document.association_name,
                "volunteer": document.volunteer_name,
            },
            styles["body"],
        )
    )
    if document.year:
        story.append(
            _p(_("Period covered: the year %(year)s.") % {"year": document.year}, styles["small"])
        )
    story.append(Spacer(1, 4 * mm))
    if document.lines:
        story.append(_mission_table(document.lines, styles))
        story.append(Spacer(1, 3 * mm))
        story.append(
            _p(
                _("Total of approved volunteer hours: %(hours)s, from %(first)s to %(last)s.")
                % {
                    "hours": document.total_hours,
                    "first": _date(document.first),
                    "last": _date(document.last),
                },
                styles["h2"],
            )
        )
        if document.skills:
            story.append(
                _p(
                    _("Skills used: %(skills)s.") % {"skills": ", ".join(document.skills)},
                    styles["body"],
                )
            )
    else:
        story.append(
            _p(
                _("No volunteer hours approved by the association for this period."),
                styles["body"],
            )
        )
    story.append(Spacer(1, 6 * mm))
    place = document.association_city
    made = (
        _("Made in %(place)s on %(date)s.") % {"place": place, "date": _date(document.issued_on)}
        if place
        else _("Made on %(date)s.") % {"date": _date(document.issued_on)}
    )
    signature = [_p(made, styles["body"])]
    if document.issued_by_volunteer:
        signature.append(
            _p(
                _(
                    "Issued at the volunteer's request from the hours the association's team "
                    "approved in Essaim."
                ),
                styles["small"],
            )
        )
        if signatory:
            signature.append(
                _p(
                    _("For the association: %(signatory)s.") % {"signatory": signatory},
                    styles["body"],
                )
            )
    elif signatory:
        signature.append(_p(signatory, styles["cellb"]))
    story.append(KeepTogether(signature))
    story.append(Spacer(1, 8 * mm))
    story.append(HRFlowable(width="100%", color=colors.HexColor("#bbbbbb")))
    link = escape(document.verify_url)
    qr = Image(_qr_buffer(document.verify_url), width=30 * mm, height=30 * mm)
    check = [
        _p(_("Verification code: %(code)s") % {"code": document.code}, styles["cellb"]),
        _p(
            _(
                "Scan the code or open the address below to check that this attestation was "
                "issued by the association and has not been altered."
            ),
            styles["small"],
        ),
        Paragraph(
            f'<link href="{link}">{link}</link>',
            styles["small"],
        ),
    ]
    table = Table([[qr, check]], colWidths=[34 * mm, None])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story.append(table)
    doc.build(story)
    return buffer.getvalue()


def _qr_buffer(url: str) -> io.BytesIO:
    data = io.BytesIO()
    qr_image(url).save(data, format="PNG")
    data.seek(0)
    return data


def cec_rule_paragraphs() -> list[str]:
    """The rule of the Compte d'Engagement Citoyen for associative volunteering, as shown on
    the screen and on the PDF (code du travail, art. L5151-9 and D5151-14)."""
    return [
        _(
            "The Compte d'Engagement Citoyen (CEC) credits your Compte Personnel de Formation "
            "for volunteering when, in one calendar year, you give at least 200 hours of "
            "volunteering, of which at least 100 hours in one and the same association."
        ),
        _(
            "Only some volunteering counts: in an association declared for at least three "
            "years whose activities are all of general interest, as a member of its governing "
            "body (board, bureau) or as someone who supervises other volunteers."
        ),
        _(
            "You declare your hours yourself on Le Compte Bénévole (associations.gouv.fr), by "
            "the deadline set for the following year (30 June so far: check it on the site); "
            "the person your association named to validate CEC declarations then confirms "
            "them, and the rights appear on moncompteformation.gouv.fr. This statement helps "
            "you fill in your declaration: it is not the declaration."
        ),
    ]


def statement_pdf(statement: recognition.YearStatement) -> bytes:
    styles = _styles()
    buffer = io.BytesIO()
    doc = _doc(
        buffer,
        _("Volunteer hours %(year)s — %(name)s")
        % {"year": statement.year, "name": statement.volunteer_name},
        statement.volunteer_name,
    )
    story = [
        _p(
            _("Volunteer hours statement %(year)s") % {"year": statement.year},
            styles["title"],
        ),
        _p(statement.volunteer_name, styles["org"]),
        _p(
            _("For the Compte d'Engagement Citoyen. Approved hours only, on %(date)s.")
            % {"date": _date(statement.issued_on)},
            styles["small"],
        ),
        Spacer(1, 4 * mm),
    ]
    if statement.empty:
        story.append(
            _p(
                _("No approved volunteer hours in %(year)s.") % {"year": statement.year},
                styles["body"],
            )
        )
    else:
        width = A4[0] - 2 * MARGIN
        rows = [[_p(h, styles["cellb"]) for h in (_("Association"), _("Approved hours"))]]
        rows += [
            [_p(r.association, styles["cell"]), _p(r.hours, styles["cell"])] for r in statement.rows
        ]
        rows.append([_p(_("Total"), styles["cellb"]), _p(statement.total_hours, styles["cellb"])])
        story.append(_table(rows, [0.7 * width, 0.3 * width]))
    story.append(Spacer(1, 4 * mm))
    story += _threshold_paragraphs(statement, styles)
    story.append(Spacer(1, 4 * mm))
    story.append(_p(_("The rule"), styles["h2"]))
    story += [_p(text, styles["body"]) for text in cec_rule_paragraphs()]
    doc.build(story)
    return buffer.getvalue()


def threshold_texts(statement: recognition.YearStatement) -> list[tuple[bool, str]]:
    total = (
        _("At least 200 hours in the year: reached (%(hours)s).") % {"hours": statement.total_hours}
        if statement.reaches_total
        else _("At least 200 hours in the year: not reached (%(hours)s, %(missing)s missing).")
        % {"hours": statement.total_hours, "missing": statement.missing_total}
    )
    best = recognition.format_minutes(statement.best_minutes)
    one = (
        _("At least 100 hours in one association: reached (%(hours)s).") % {"hours": best}
        if statement.reaches_one
        else _(
            "At least 100 hours in one association: not reached (%(hours)s at most, "
            "%(missing)s missing)."
        )
        % {"hours": best, "missing": statement.missing_one}
    )
    texts = [(statement.reaches_total, total), (statement.reaches_one, one)]
    if not statement.whole_instance:
        texts.append(
            (
                None,
                _(
                    "This statement counts only the hours given to this association; the "
                    "volunteer may have more elsewhere."
                ),
            )
        )
    return texts


def _threshold_paragraphs(statement, styles) -> list:
    out = []
    for reached, text in threshold_texts(statement):
        style = styles["small"] if reached is None else styles["good" if reached else "short"]
        mark = "" if reached is None else ("✓ " if reached else "✗ ")
        out.append(_p(mark + text, style))
    return out


def passport_pdf(passport: recognition.Passport) -> bytes:
    styles = _styles()
    buffer = io.BytesIO()
    doc = _doc(
        buffer,
        _("Volunteer passport — %(name)s") % {"name": passport.volunteer_name},
        passport.volunteer_name,
    )
    story = [
        _p(_("Volunteer passport"), styles["title"]),
        _p(passport.volunteer_name, styles["org"]),
        _p(
            _("Skills and volunteering, on %(date)s.") % {"date": _date(passport.issued_on)},
            styles["small"],
        ),
        Spacer(1, 4 * mm),
        _p(_("My skills"), styles["h2"]),
        _p(", ".join(passport.skills) or _("No skill in the volunteer profile."), styles["body"]),
    ]
    if passport.languages:
        story += [
            _p(_("Languages"), styles["h2"]),
            _p(", ".join(passport.languages), styles["body"]),
        ]
    story.append(_p(_("Missions done"), styles["h2"]))
    if passport.lines:
        story.append(_mission_table(passport.lines, styles, with_association=True))
        story.append(Spacer(1, 3 * mm))
        story.append(
            _p(
                _("%(hours)s of approved volunteering with %(count)s association(s).")
                % {"hours": passport.total_hours, "count": len(passport.associations)},
                styles["body"],
            )
        )
    else:
        story.append(
            _p(_("No approved volunteer hours yet."), styles["body"]),
        )
    story.append(Spacer(1, 5 * mm))
    story.append(
        _p(
            _(
                "Skills used: the skills a mission asked for that are in your volunteer "
                "profile. Hours: those approved by each association."
            ),
            styles["small"],
        )
    )
    doc.build(story)
    return buffer.getvalue()
