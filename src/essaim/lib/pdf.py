"""Helpers for the PDFs Essaim draws with reportlab (cards, tax receipts)."""

from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

# DejaVu covers the names reportlab's built-in Helvetica cannot draw (Nguyễn, Đào,
# Wałęsa…); Debian installs it with most desktops and browsers. Without it, Helvetica.
_FONT_FILES = {
    "EssaimSans": ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",),
    "EssaimSans-Bold": ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",),
}
_fonts: tuple[str, str] | None = None


def font_names() -> tuple[str, str]:
    """(regular, bold) font names, registered with reportlab on first use."""
    global _fonts
    if _fonts is None:
        try:
            for name, paths in _FONT_FILES.items():
                path = next(p for p in paths if Path(p).exists())
                pdfmetrics.registerFont(TTFont(name, path))
            _fonts = ("EssaimSans", "EssaimSans-Bold")
        except (StopIteration, OSError):
            _fonts = ("Helvetica", "Helvetica-Bold")
    return _fonts


def fit_text(
    text: str, font: str, size: float, width: float, minimum: float = 6
) -> tuple[str, float]:
    """Shrink the text to fit `width`, down to `minimum` points, then cut it with an ellipsis."""
    while size > minimum and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    if pdfmetrics.stringWidth(text, font, size) > width:
        while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
            text = text[:-1]
        text = text.rstrip() + "…"
    return text, size
