"""A PDF page rendered as an image (pdfium), with quoted spans marked on their character boxes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from studyrag.types import StudyragError

_WINDOWS = (6, 4, 3)  # words searched for at a quote's start and end, longest first
_HIGHLIGHT = (255, 214, 10, 110)


def _find(textpage: Any, words: Sequence[str], from_end: bool) -> tuple[int, int] | None:
    """``(first char, char count)`` of the first (or last) few words of a quote on the page."""
    for size in _WINDOWS:
        if len(words) < size and size != _WINDOWS[-1]:
            continue
        window = words[-size:] if from_end else words[:size]
        searcher = textpage.search(" ".join(window), match_case=False)
        try:
            found = searcher.get_next()
        finally:
            searcher.close()
        if found:
            start, count = found
            return int(start), int(count)
    return None


def quote_char_ranges(textpage: Any, quotes: Sequence[str]) -> list[tuple[int, int]]:
    """Character ranges of the page covered by each quote that can be found on it."""
    ranges = []
    for quote in quotes:
        words = quote.replace("`", " ").split()
        if not words:
            continue
        head = _find(textpage, words, from_end=False)
        tail = _find(textpage, words, from_end=True)
        if head is None:
            continue
        end = tail[0] + tail[1] if tail and tail[0] >= head[0] else head[0] + head[1]
        ranges.append((head[0], end - head[0]))
    return ranges


def render_page(path: Path, page: int, quotes: Sequence[str], scale: float = 1.6) -> Image.Image:
    """Page ``page`` (1-based) of a PDF, with the boxes of the quoted text highlighted."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as error:
        raise StudyragError(f"{path.name} can no longer be opened: {error}") from error
    try:
        if not 1 <= page <= len(pdf):
            raise StudyragError(f"{path.name} has no page {page}; re-index it")
        pdf_page = pdf[page - 1]
        height = pdf_page.get_height()
        image = pdf_page.render(scale=scale).to_pil().convert("RGBA")
        textpage = pdf_page.get_textpage()
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        for first, count in quote_char_ranges(textpage, quotes):
            for index in range(textpage.count_rects(first, count)):
                left, bottom, right, top = textpage.get_rect(index)
                draw.rectangle(
                    (
                        left * scale,
                        (height - top) * scale,
                        right * scale,
                        (height - bottom) * scale,
                    ),
                    fill=_HIGHLIGHT,
                )
        textpage.close()
        pdf_page.close()
        return Image.alpha_composite(image, overlay).convert("RGB")
    finally:
        pdf.close()
