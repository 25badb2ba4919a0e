"""The PDF of the minutes (procès-verbal), drawn with reportlab from `Minutes.figures` and
its texts. Every page's footer prints the version and the SHA-256 of the minutes' content
(`content_hash`: canonical JSON of the figures and texts); the SHA-256 of the file itself is
stored with it and shown on the page (a file cannot print its own hash)."""

import hashlib
import io
import json
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from essaim.lib.pdf import font_names

from .models import Minutes


def content_hash(minutes: Minutes) -> str:
    content = {
        "assembly": str(minutes.assembly.uuid),
        "version": minutes.version,
        "previous": minutes.previous.content_sha256 if minutes.previous_id else "",
        "figures": minutes.figures,
        "chair": minutes.chair_name,
        "secretary": minutes.secretary_name,
        "opening": minutes.opening_text,
        "items": minutes.item_texts,
        "closing": minutes.closing_text,
        "correction": minutes.correction_note,
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _paragraphs(text: str, style) -> list:
    """A Markdown-like text: blank lines separate paragraphs, "- " starts a bullet,
    **bold** is bold. Everything else is escaped."""
    flow = []
    for block in (text or "").replace("\r\n", "\n").split("\n\n"):
        block = block.strip()
        if not block:
            continue
        lines = []
        for line in block.split("\n"):
            line = escape(line.strip())
            parts = line.split("**")
            line = "".join(f"<b>{p}</b>" if i % 2 else p for i, p in enumerate(parts))
            if line.startswith("- "):
                line = "• " + line[2:]
            lines.append(line)
        flow.append(Paragraph("<br/>".join(lines), style))
    return flow


def minutes_pdf(minutes: Minutes) -> bytes:
    regular, bold = font_names()
    figures = minutes.figures
    minutes.content_sha256 = content_hash(minutes)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=22 * mm,
        title=_("Minutes: %(title)s") % {"title": figures["title"]},
        author=figures["association"],
        creator="Essaim",
    )
    title = ParagraphStyle("title", fontName=bold, fontSize=15, leading=19, spaceAfter=4)
    h2 = ParagraphStyle("h2", fontName=bold, fontSize=11.5, leading=15, spaceBefore=8)
    text = ParagraphStyle("text", fontName=regular, fontSize=10, leading=13.5, spaceAfter=3)
    small = ParagraphStyle("small", parent=text, fontSize=8.5, leading=11)
    cell = ParagraphStyle("cell", fontName=regular, fontSize=9, leading=11)

    def p(value, style=text):
        return Paragraph(escape(str(value)), style)

    story = [
        p(figures["association"], ParagraphStyle("assoc", parent=text, fontName=bold)),
        p(_("Minutes of the %(kind)s") % {"kind": figures["kind"]}, title),
        p(figures["title"], h2),
    ]
    if minutes.previous_id:
        story.append(
            p(
                _(
                    "Version %(version)d, correcting version %(previous)d "
                    "(content SHA-256 %(hash)s)."
                )
                % {
                    "version": minutes.version,
                    "previous": minutes.previous.version,
                    "hash": minutes.previous.content_sha256,
                },
                small,
            )
        )
        story += _paragraphs(minutes.correction_note, small)
    where = figures["place"] or ""
    story.append(
        p(
            _("Held on %(date)s at %(time)s, %(mode)s%(place)s, on %(convocation)s.")
            % {
                "date": figures["date"],
                "time": figures["time"],
                "mode": figures["mode"],
                "place": f" ({where})" if where else "",
                "convocation": figures["convocation"],
            }
        )
    )
    if figures.get("convened_on"):
        notice = (
            _("the notice period of %(days)d days was met")
            if figures.get("notice_met")
            else _("the notice period of %(days)d days was not met")
        ) % {"days": figures["notice_days"]}
        story.append(
            p(
                _(
                    "The members were convened on %(date)s: %(email)d by e-mail, %(letter)d "
                    "by letter; %(notice)s."
                )
                % {
                    "date": figures["convened_on"],
                    "email": figures["convened_email"],
                    "letter": figures["convened_letter"],
                    "notice": notice,
                }
            )
        )
    story.append(
        p(
            _("Chair: %(chair)s. Secretary: %(secretary)s.")
            % {"chair": minutes.chair_name, "secretary": minutes.secretary_name}
        )
    )

    q = figures["quorum"]
    story.append(p(_("Attendance and quorum"), h2))
    unit = _("votes") if q["weighted"] else _("members")
    story.append(
        p(
            _(
                "Members with voting rights: %(voters)d %(unit)s. Present: %(present)d. "
                "Represented (proxies): %(represented)d. Present or represented: %(total)d."
            )
            % {
                "voters": q["voters"],
                "unit": unit,
                "present": q["present"],
                "represented": q["represented"],
                "total": q["present"] + q["represented"],
            }
        )
    )
    if q["rule"]:
        reached = _("The quorum was reached") if q["reached"] else _("The quorum was not reached")
        story.append(
            p(
                _("%(reached)s at the opening: %(rule)s required, that is %(required)d.")
                % {"reached": reached, "rule": q["rule"], "required": q["required"]}
            )
        )
    else:
        story.append(p(_("No quorum applied to this meeting.")))
    story.append(p(_("The signature sheet is annexed to these minutes."), small))
    story += _paragraphs(minutes.opening_text, text)

    story.append(p(_("Agenda and resolutions"), h2))
    story.append(p(_("Majority required by the statutes: %(m)s.") % {"m": figures["majority"]}))
    for index, item in enumerate(figures["items"], start=1):
        block = [p(f"{index}. {item['title']}", ParagraphStyle("it", parent=text, fontName=bold))]
        if item.get("description"):
            block.append(p(item["description"], small))
        block += _paragraphs(minutes.item_texts.get(item["uuid"], ""), text)
        for vote in item["votes"]:
            block.append(_vote_table(vote, cell, bold))
            block.append(Spacer(1, 3))
        if item["is_resolution"] and not item["votes"]:
            block.append(p(_("No vote recorded in Essaim for this resolution."), small))
        story.append(KeepTogether(block))

    if figures.get("other_votes"):
        block = [
            p(_("Other votes during the meeting"), ParagraphStyle("ov", parent=text, fontName=bold))
        ]
        for vote in figures["other_votes"]:
            block.append(_vote_table(vote, cell, bold))
            block.append(Spacer(1, 3))
        story.append(KeepTogether(block))

    if figures.get("closed_at"):
        story.append(p(_("The meeting was closed at %(time)s.") % {"time": figures["closed_at"]}))
    story += _paragraphs(minutes.closing_text, text)
    story.append(Spacer(1, 10 * mm))
    signatures = Table(
        [
            [p(_("The chair"), text), p(_("The secretary"), text)],
            [p(minutes.chair_name, text), p(minutes.secretary_name, text)],
            ["", ""],
        ],
        colWidths=[85 * mm, 85 * mm],
        rowHeights=[None, None, 25 * mm],
    )
    signatures.setStyle(TableStyle([("LINEBELOW", (0, 2), (-1, 2), 0.5, colors.grey)]))
    story.append(KeepTogether([signatures]))

    if minutes.frozen_at:
        footer = _("Minutes version %(v)d, final on %(date)s") % {
            "v": minutes.version,
            "date": date_format(timezone.localtime(minutes.frozen_at), "j F Y H:i"),
        }
        footer_hash = _("Content SHA-256: %(hash)s") % {"hash": minutes.content_sha256}
    else:
        footer = _("DRAFT of version %(v)d, not final: figures as of %(date)s") % {
            "v": minutes.version,
            "date": date_format(timezone.localtime(), "j F Y H:i"),
        }
        footer_hash = ""

    def on_page(canvas, document):
        canvas.saveState()
        canvas.setFont(regular, 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(20 * mm, 13 * mm, footer)
        if footer_hash:
            canvas.drawString(20 * mm, 9.5 * mm, footer_hash)
        canvas.drawRightString(A4[0] - 20 * mm, 8 * mm, _("Page %(n)d") % {"n": document.page})
        canvas.restoreState()

    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def _vote_table(vote: dict, cell, bold) -> Table:
    head = ParagraphStyle("vh", parent=cell, fontName=bold)
    rows = [
        [Paragraph(escape(vote["title"]), head), ""],
        [Paragraph(escape(_("Method")), cell), Paragraph(escape(vote["method"]), cell)],
        [Paragraph(escape(_("How it was held")), cell), Paragraph(escape(vote["how"]), cell)],
        [Paragraph(escape(_("Voters")), cell), Paragraph(escape(vote["voters"]), cell)],
    ]
    if vote["majority"]:
        rows.insert(
            3,
            [
                Paragraph(escape(_("Majority required")), cell),
                Paragraph(escape(vote["majority"]), cell),
            ],
        )
    for label, value in vote["counts"]:
        rows.append([Paragraph(escape(label), cell), Paragraph(escape(value), cell)])
    if vote["abstentions"]:
        rows.append([Paragraph(escape(_("Abstentions")), cell), vote["abstentions"]])
    if vote["blank"]:
        rows.append([Paragraph(escape(_("Blank ballots")), cell), vote["blank"]])
    if vote["adopted"] is not None:
        verdict = (
            _("adopted (majority reached)")
            if vote["adopted"]
            else _("rejected (majority not reached)")
        )
        rows.append([Paragraph(escape(_("Result")), cell), Paragraph(escape(verdict), head)])
    if vote["winner"]:
        rows.append([Paragraph(escape(_("Result")), cell), Paragraph(escape(vote["winner"]), head)])
    elif vote["tie"]:
        text = vote.get("tie_explanation") or _("tie")
        rows.append([Paragraph(escape(_("Result")), cell), Paragraph(escape(text), head)])
    if vote["final_hash"]:
        rows.append(
            [
                Paragraph(escape(_("Ballot box final hash")), cell),
                Paragraph(
                    escape(vote["final_hash"]), ParagraphStyle("hash", parent=cell, fontSize=7)
                ),
            ]
        )
    table = Table(rows, colWidths=[55 * mm, 115 * mm])
    table.setStyle(
        TableStyle(
            [
                ("SPAN", (0, 0), (-1, 0)),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table
