"""Build small text PDFs with pdfium itself, for reader tests (no PDF-writing dependency)."""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

Line = tuple[str, float, float, float, str]  # text, x, y, size, font ("Helvetica", "Courier"...)


def _text_object(
    document: pdfium.PdfDocument, fonts: dict[str, object], text: str, font: str, size: float
) -> object:
    if font not in fonts:  # one font object per document: loading one per line is slow
        fonts[font] = pdfium_c.FPDFText_LoadStandardFont(document.raw, font.encode())
    obj = pdfium_c.FPDFPageObj_CreateTextObj(document.raw, fonts[font], size)
    encoded = (text + "\0").encode("utf-16-le")
    buffer = ctypes.create_string_buffer(encoded)
    pdfium_c.FPDFText_SetText(obj, ctypes.cast(buffer, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
    return obj


def make_pdf(
    path: Path, pages: Sequence[Sequence[Line]], size: tuple[float, float] = (612, 792)
) -> Path:
    """A PDF whose pages hold the given lines at the given positions."""
    document = pdfium.PdfDocument.new()
    fonts: dict[str, object] = {}
    for lines in pages:
        page = document.new_page(*size)
        for text, x, y, font_size, font in lines:
            obj = _text_object(document, fonts, text, font, font_size)
            pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, x, y)
            pdfium_c.FPDFPage_InsertObject(page.raw, obj)
        pdfium_c.FPDFPage_GenerateContent(page.raw)
        page.close()
    document.save(str(path))
    document.close()
    return path


def body_lines(paragraphs: Sequence[str], top: float = 700, size: float = 11) -> list[Line]:
    """Paragraph lines down a page, a blank line between paragraphs."""
    lines: list[Line] = []
    y = top
    for paragraph in paragraphs:
        for line in paragraph.split("\n"):
            lines.append((line, 72, y, size, "Helvetica"))
            y -= size * 1.25
        y -= size * 1.25
    return lines


def repeat_pdf(path: Path, source: Path, times: int) -> Path:
    """A PDF that is ``source`` ``times`` over (pdfium's page import: fast for thousands)."""
    document = pdfium.PdfDocument.new()
    original = pdfium.PdfDocument(str(source))
    for _ in range(times):
        document.import_pages(original)
    document.save(str(path))
    original.close()
    document.close()
    return path
