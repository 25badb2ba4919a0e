"""The tax receipt as a PDF (reportlab), with every mention of the Cerfa models.

Individuals: Cerfa n° 11580*05 ("Reçu au titre des dons à certains organismes d'intérêt
général", CGI art. 200, 238 bis and 978). Companies: Cerfa n° 16216*01 ("Reçu des dons et
versements effectués par les entreprises", CGI art. 238 bis). The official forms need not be
used as such: a receipt is valid when it carries their mentions, which this one prints in
their order. The text is French whatever the language of the user: it is a French legal
document.

`render(document)` takes plain data (ReceiptDocument), no models: the same function serves
a single receipt, an annual one and the benchmark.
"""

import datetime as dt
import io
from dataclasses import dataclass, field

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from essaim.lib.amount_words import euros_in_words
from essaim.lib.money import format_euros
from essaim.lib.pdf import font_names

INDIVIDUAL = "individual"
COMPANY = "company"

CATEGORY_TEXTS = {
    "public_utility": "Association ou fondation reconnue d'utilité publique",
    "general_interest": "Œuvre ou organisme d'intérêt général",
    "alsace_moselle": (
        "Association cultuelle ou de bienfaisance et établissement public des cultes "
        "reconnus d'Alsace-Moselle"
    ),
    "food_aid": (
        "Organisme qui fournit gratuitement une aide alimentaire ou des soins médicaux à des "
        "personnes en difficulté ou favorise leur logement"
    ),
    "cultural": (
        "Organisme ayant pour activité principale la présentation au public d'œuvres "
        "dramatiques, lyriques, musicales, chorégraphiques, cinématographiques, "
        "de cirque ou l'organisation d'expositions d'art contemporain"
    ),
    "other": "Autre organisme",
}
FORMS = [
    ("notarial", "Acte authentique"),
    ("private_deed", "Acte sous seing privé"),
    ("manual", "Déclaration de don manuel"),
    ("other", "Autres"),
]
NATURES = [
    ("money", "Numéraire"),
    ("securities", "Titres de sociétés cotés"),
    ("other", "Autres (1)"),
]
METHODS = [
    ("cash", "Remise d'espèces"),
    ("cheque", "Chèque"),
    ("bank", "Virement, prélèvement, carte bancaire"),
]
INK = HexColor("#1a1a1a")
MUTED = HexColor("#555555")
LINE = HexColor("#888888")


@dataclass
class ReceiptDocument:
    number: str
    donor_kind: str  # INDIVIDUAL or COMPANY
    # The association (bénéficiaire).
    association_name: str
    association_identifier: str  # "SIREN 123456789" or "RNA W751234567"
    association_address: list[str]
    association_objet: str
    category: str
    category_other: str = ""
    public_utility_decree_on: dt.date | None = None
    public_utility_gazette_on: dt.date | None = None
    articles: list[str] = field(default_factory=lambda: ["200"])
    # The donor.
    donor_last_name: str = ""
    donor_first_names: str = ""
    donor_company_name: str = ""
    donor_company_legal_form: str = ""
    donor_company_siren: str = ""
    donor_address: list[str] = field(default_factory=list)
    donor_postcode: str = ""
    donor_city: str = ""
    # The gift(s).
    amount_cents: int = 0
    first_gift_on: dt.date | None = None
    last_gift_on: dt.date | None = None
    annual_year: int | None = None  # an annual receipt: all the gifts of that year
    form: str = "manual"
    nature: str = "money"  # money, securities, in_kind, expenses
    methods: set[str] = field(default_factory=set)  # cash, cheque, bank
    description: str = ""  # of a gift in kind or of waived expenses
    # Signature.
    place: str = ""
    issued_on: dt.date | None = None
    signatory_name: str = ""
    signatory_title: str = ""
    signature_image: bytes | None = None
    logo_image: bytes | None = None
    replaces_number: str = ""


def _date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
WIDTH = PAGE_WIDTH - 2 * MARGIN
PAD = 2.2 * mm
SIZE = 9.5
LEADING = 12.5
BOX = 2.9 * mm  # a check box's side


class _Writer:
    """Draws the receipt top-down on a reportlab canvas.

    Straight canvas drawing with reportlab's line splitting, no platypus: issuing 10,000
    annual receipts is dominated by the PDF drawing, and paragraphs parsed from markup cost
    several times more for the same page.
    """

    def __init__(self, pdf: canvas.Canvas, fonts: tuple[str, str]):
        self.pdf = pdf
        self.regular, self.bold = fonts
        self.y = PAGE_HEIGHT - 14 * mm
        self.section_top: float | None = None

    def _room(self, height: float) -> None:
        if self.y - height < 14 * mm:
            self._close_box()
            self.pdf.showPage()
            self.y = PAGE_HEIGHT - 14 * mm
            if self.section_top is not None:
                self.section_top = self.y

    def text(self, text: str, *, bold=False, size=SIZE, color=INK, indent=0.0, center=False):
        font = self.bold if bold else self.regular
        width = WIDTH - 2 * PAD - indent
        self.pdf.setFillColor(color)
        for line in simpleSplit(text, font, size, width) or [""]:
            self._room(size * 1.32)
            self.y -= size * 1.32
            self.pdf.setFont(font, size)
            if center:
                self.pdf.drawCentredString(PAGE_WIDTH / 2, self.y + 2, line)
            else:
                self.pdf.drawString(MARGIN + PAD + indent, self.y + 2, line)

    def labelled(self, label: str, value: str, *, bold_value=False) -> None:
        """ "Label : value", the value wrapped after the label."""
        label = f"{label} : "
        offset = stringWidth(label, self.regular, SIZE)
        font = self.bold if bold_value else self.regular
        lines = simpleSplit(value or "", font, SIZE, WIDTH - 2 * PAD - offset) or [""]
        for index, line in enumerate(lines):
            self._room(LEADING)
            self.y -= LEADING
            if index == 0:
                self.pdf.setFont(self.regular, SIZE)
                self.pdf.setFillColor(INK)
                self.pdf.drawString(MARGIN + PAD, self.y + 2, label)
            self.pdf.setFont(font, SIZE)
            self.pdf.drawString(MARGIN + PAD + offset, self.y + 2, line)

    def boxes(self, label: str, items: list[tuple[bool, str]]) -> None:
        """ "Label : ☒ one ☐ two …": check boxes drawn as squares, wrapped as whole items."""
        pdf = self.pdf
        x_start = MARGIN + PAD
        right = MARGIN + WIDTH - PAD
        self._room(LEADING)
        self.y -= LEADING
        pdf.setFillColor(INK)
        x = x_start
        if label:
            pdf.setFont(self.regular, SIZE)
            text = f"{label} : "
            pdf.drawString(x, self.y + 2, text)
            x += stringWidth(text, self.regular, SIZE)
        for checked, item in items:
            words = simpleSplit(item, self.regular, SIZE, right - x_start - BOX - 6)
            needed = BOX + 4 + stringWidth(words[0], self.regular, SIZE)
            if x + needed > right and x > x_start:
                self._room(LEADING)
                self.y -= LEADING
                x = x_start
            pdf.setStrokeColor(INK)
            pdf.setLineWidth(0.7)
            pdf.rect(x, self.y + 1.2, BOX, BOX, stroke=1, fill=0)
            if checked:  # a letter, not lines: the text of the PDF says which box is ticked
                pdf.setFont(self.bold, SIZE - 1)
                pdf.drawCentredString(x + BOX / 2, self.y + 2, "X")
            x += BOX + 4
            pdf.setFont(self.regular, SIZE)
            for index, word_line in enumerate(words):
                if index:
                    self._room(LEADING)
                    self.y -= LEADING
                    x = x_start + BOX + 4
                pdf.drawString(x, self.y + 2, word_line)
            x += stringWidth(words[-1], self.regular, SIZE) + 12

    def space(self, height: float) -> None:
        self.y -= height

    def open_box(self, title: str) -> None:
        self._room(5 * LEADING)
        self.section_top = self.y
        self.pdf.setFillColor(HexColor("#eeeeee"))
        self.pdf.rect(MARGIN, self.y - 15, WIDTH, 15, stroke=0, fill=1)
        self.y -= 12
        self.pdf.setFillColor(INK)
        self.pdf.setFont(self.bold, 10.5)
        self.pdf.drawString(MARGIN + PAD, self.y, title)
        self.y -= 3

    def _close_box(self) -> None:
        if self.section_top is None:
            return
        self.pdf.setStrokeColor(LINE)
        self.pdf.setLineWidth(0.6)
        bottom = self.y - 4
        self.pdf.rect(MARGIN, bottom, WIDTH, self.section_top - bottom, stroke=1, fill=0)
        self.pdf.line(MARGIN, self.section_top - 15, MARGIN + WIDTH, self.section_top - 15)

    def close_box(self) -> None:
        self._close_box()
        self.section_top = None
        self.y -= 4 + 3 * mm

    def image(self, data: bytes, max_width: float, max_height: float) -> None:
        try:
            reader = ImageReader(io.BytesIO(data))
            width, height = reader.getSize()
        except Exception:  # an unreadable image must not stop the receipt
            return
        ratio = min(max_width / width, max_height / height)
        self._room(height * ratio + 2)
        self.y -= height * ratio + 2
        self.pdf.drawImage(reader, MARGIN + PAD, self.y, width * ratio, height * ratio, mask="auto")


def _beneficiary(doc: ReceiptDocument, w: _Writer) -> None:
    w.open_box("Bénéficiaire des versements")
    w.labelled("Nom ou dénomination", doc.association_name, bold_value=True)
    w.text(doc.association_identifier)
    w.labelled("Adresse", ", ".join(p for p in doc.association_address if p))
    w.labelled("Objet", doc.association_objet)
    category = CATEGORY_TEXTS.get(doc.category, CATEGORY_TEXTS["other"])
    if doc.category == "public_utility" and doc.public_utility_decree_on:
        category += f" par décret en date du {_date(doc.public_utility_decree_on)}"
        if doc.public_utility_gazette_on:
            category += f" publié au Journal officiel du {_date(doc.public_utility_gazette_on)}"
    if doc.category == "other" and doc.category_other:
        category += f" : {doc.category_other}"
    w.boxes("", [(True, category)])
    w.close_box()


def _donor(doc: ReceiptDocument, w: _Writer) -> None:
    w.open_box("Donateur" if doc.donor_kind == INDIVIDUAL else "Entreprise donatrice")
    if doc.donor_kind == COMPANY:
        w.labelled("Dénomination", doc.donor_company_name, bold_value=True)
        w.labelled("Forme juridique", doc.donor_company_legal_form)
        w.labelled("N° SIREN", doc.donor_company_siren)
    else:
        w.labelled("Nom", doc.donor_last_name, bold_value=True)
        w.labelled("Prénoms", doc.donor_first_names)
    w.labelled("Adresse", ", ".join(p for p in doc.donor_address if p))
    w.text(f"Code postal : {doc.donor_postcode} — Commune : {doc.donor_city}")
    w.close_box()


def _gift(doc: ReceiptDocument, w: _Writer) -> None:
    w.open_box("Dons et versements")
    w.text(
        "Le bénéficiaire reconnaît avoir reçu au titre des dons et versements ouvrant droit à "
        "réduction d'impôt, la somme de :"
    )
    w.text(f"*** {format_euros(doc.amount_cents, sign=False)} euros ***", bold=True, size=12)
    w.labelled("Somme en toutes lettres", euros_in_words(doc.amount_cents))
    if doc.annual_year or (doc.first_gift_on and doc.first_gift_on != doc.last_gift_on):
        w.labelled(
            "Dates des versements ou des dons",
            f"du {_date(doc.first_gift_on)} au {_date(doc.last_gift_on)}"
            + (f" (reçu annuel {doc.annual_year})" if doc.annual_year else ""),
        )
    else:
        w.labelled("Date du versement ou du don", _date(doc.first_gift_on))
    if doc.description:
        w.labelled("Description", doc.description)
    w.space(2)
    w.text(
        "Le bénéficiaire certifie sur l'honneur que les dons et versements qu'il reçoit ouvrent "
        "droit à la réduction d'impôt prévue à l'article :"
    )
    articles = ["200", "238 bis", "978"] if doc.donor_kind == INDIVIDUAL else ["238 bis"]
    w.boxes("", [(a in doc.articles, f"{a} du CGI") for a in articles])
    w.boxes("Forme du don", [(doc.form == key, label) for key, label in FORMS])
    nature_key = doc.nature if doc.nature in ("money", "securities") else "other"
    w.boxes("Nature du don", [(nature_key == key, label) for key, label in NATURES])
    note = {
        "expenses": "(1) Frais engagés par un bénévole, dont il renonce expressément au "
        "remboursement.",
        "in_kind": "(1) Don en nature, pour sa valeur estimée par le bénéficiaire.",
    }.get(
        doc.nature,
        "(1) Notamment : abandon de revenus ou de produits ; frais engagés par les bénévoles, "
        "dont ils renoncent expressément au remboursement.",
    )
    w.text(note, size=8, color=MUTED)
    if doc.nature == "money":
        w.text("En cas de don en numéraire, mode de versement du don :")
        w.boxes("", [(key in doc.methods, label) for key, label in METHODS])
    w.close_box()


def _signature(doc: ReceiptDocument, w: _Writer) -> None:
    w.open_box("Date et signature")
    w.text("Fait" + (f" à {doc.place}" if doc.place else "") + f", le {_date(doc.issued_on)}")
    w.text(doc.signatory_name + (f", {doc.signatory_title}" if doc.signatory_title else ""))
    if doc.signature_image:
        w.image(doc.signature_image, 50 * mm, 20 * mm)
    w.close_box()


STANDARD_FONTS = ("Helvetica", "Helvetica-Bold")


def _fonts_for(doc: ReceiptDocument) -> tuple[str, str]:
    """PDF's standard Helvetica when every text fits its encoding (WinAnsi, i.e. cp1252:
    French names, œ, €, « »): nothing to embed, three times faster to draw. Otherwise (Nguyễn,
    Wałęsa, Đào…) the embedded DejaVu font, which has those letters."""
    texts = [
        value if isinstance(value, str) else " ".join(value)
        for value in vars(doc).values()
        if isinstance(value, str)
        or (isinstance(value, list) and all(isinstance(v, str) for v in value))
    ]
    try:
        "".join(texts).encode("cp1252")
    except UnicodeEncodeError:
        return font_names()
    return STANDARD_FONTS


def render(doc: ReceiptDocument) -> bytes:
    """The receipt as PDF bytes."""
    buffer = io.BytesIO()
    title = (
        "Reçu au titre des dons à certains organismes d'intérêt général"
        if doc.donor_kind == INDIVIDUAL
        else "Reçu des dons et versements effectués par les entreprises"
    )
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=0, pageCompression=1)
    pdf.setTitle(f"{title} n° {doc.number}")
    pdf.setAuthor(doc.association_name)
    pdf.setSubject("Reçu fiscal")
    pdf.setCreator("Essaim")
    w = _Writer(pdf, _fonts_for(doc))
    if doc.logo_image:
        w.image(doc.logo_image, 30 * mm, 15 * mm)
    w.text(title, bold=True, size=13.5, center=True)
    w.text(
        "Cerfa n° 11580*05 — Articles 200, 238 bis et 978 du code général des impôts"
        if doc.donor_kind == INDIVIDUAL
        else "Cerfa n° 16216*01 — Article 238 bis du code général des impôts",
        color=MUTED,
        center=True,
    )
    w.space(3 * mm)
    w.text(f"Numéro d'ordre du reçu : {doc.number}", bold=True)
    if doc.replaces_number:
        w.text(f"Ce reçu annule et remplace le reçu n° {doc.replaces_number}.")
    w.space(3 * mm)
    _beneficiary(doc, w)
    _donor(doc, w)
    _gift(doc, w)
    _signature(doc, w)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
