"""PDF through pdfium (pypdfium2): page-aware blocks with the page each starts on.

Per page, pdfium's text lines are read with their position and font. Then:
- running headers and footers (a line in the top or bottom margin that recurs on other pages once
  its digits are ignored, or a bare page number) are dropped;
- table-of-contents and index pages (most lines end in a page number) are kept out;
- headings come from the PDF outline (bookmarks) where it has one, else from font size and
  weight; a run-in heading ("Valid The valid(x) function ...") is split from its paragraph;
- lines of a monospace font are code blocks; bullet and numbered lines are list items;
- other lines are joined into paragraphs (a soft hyphen at a line end is removed, ligatures are
  spelled out), across a page break when the sentence runs on.
"""

from __future__ import annotations

import ctypes
import itertools
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studyrag.ingest.readers.base import (
    MONOSPACE_FONT,
    DocumentBuilder,
    Mark,
    MarkedTerm,
    PageProgress,
    PageUnit,
    ReadDocument,
    Reader,
    SkipFile,
    run_terms,
    squash,
)

_BOLD = re.compile(r"bold|black|heavy|semibold|demi|cmbx|cmb\d|sfbx|\bbx", re.I)
_ITALIC = re.compile(r"italic|oblique|cmti|cmsl(?!tt)|cmbxti|sfti|[-,](?:it|ita)$", re.I)
_LIGATURES = re.compile("[\ufb00-\ufb06]")
_SOFT_HYPHEN = "\ufffe\u00ad\u0002"
_TOC_LINE = re.compile(r"(?:\.\s*){3,}\s*[\divxlc]+\s*$|\S\s+\d{1,4}(?:\s*[,–-]\s*\d{1,4})*\s*$")
_BULLET = re.compile(r"^(?:[•◦▪▫‣●○■□–—*·-]\s+|\(?\d{1,2}[.)]\s+|\(?[a-z][.)]\s+)")
_CONTENTS_TITLE = re.compile(r"\b(?:contents|index)\b", re.IGNORECASE)
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?[\divxlcdm]{1,8}(?:\s*(?:/|of)\s*\d+)?$", re.I)
_DIGITS = re.compile(r"\d+")
_SENTENCE_END = re.compile(r"[.!?:;)\"”’]\s*$")
_MARGIN = 0.085  # share of the page height at the top and bottom where running heads sit
_MIN_TEXT_CHARS_PER_PAGE = 8


@dataclass
class PdfLine:
    text: str
    page: int  # 1-based
    x0: float
    x1: float
    y: float  # baseline-ish: bottom of the first character
    size: float
    bold: bool
    mono: bool
    bold_lead: bool  # the line opens in a bold face (a run-in heading may sit there)
    y_end: float = 0.0  # bottom of the last character (pdfium may join two visual lines)
    terms: tuple[MarkedTerm, ...] = ()  # words set in a code, italic or bold face


def _word_mark(font: str) -> Mark | None:
    """How a word's font marks it (math italics such as CMMI are variables, not emphasis)."""
    if MONOSPACE_FONT.search(font):
        return Mark.CODE
    if _ITALIC.search(font):
        return Mark.EMPHASIS
    if _BOLD.search(font):
        return Mark.STRONG
    return None


def _line_terms(raw_page: Any, text: str, start: int, end: int) -> tuple[MarkedTerm, ...]:
    """The marked terms of one line: runs of words in the same code, italic or bold face."""
    words = []
    for match in re.finditer(r"\S+", text[start:end]):
        font, _flags = _font_info(raw_page, start + match.start())
        words.append((_clean(match.group(0)) + " ", _word_mark(font)))
    # A stop or comma set in the term's face ends the sentence, not the term.
    terms = (MarkedTerm(t.mark, t.text.rstrip(".,;:")) for t in run_terms(words))
    return tuple(t for t in terms if t.text)


def _font_info(textpage: Any, index: int) -> tuple[str, int]:
    import pypdfium2.raw as pdfium_c

    buffer = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    pdfium_c.FPDFText_GetFontInfo(textpage, index, buffer, 128, ctypes.byref(flags))
    return buffer.value.decode("latin-1", "replace"), flags.value


def _clean(text: str) -> str:
    text = _LIGATURES.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)
    return text.replace("\u00a0", " ")


def page_lines(page: Any, number: int) -> list[PdfLine]:
    """The text lines of one page, with position and font, super/subscripts merged."""
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()
    try:
        raw_page = textpage.raw
        text = textpage.get_text_range()
        aligned = len(text) == textpage.count_chars()
        lines: list[PdfLine] = []
        for match in re.finditer(r"[^\r\n]+", text):
            body = match.group(0)
            if not body.strip():
                continue
            first = match.start() + len(body) - len(body.lstrip())
            last = match.start() + len(body.rstrip()) - 1
            if aligned:
                left, bottom, _, _ = textpage.get_charbox(first)
                _, bottom_end, right, _ = textpage.get_charbox(last)
                size = pdfium_c.FPDFText_GetFontSize(raw_page, first)
                middle = (first + last) // 2
                lead_font, lead_flags = _font_info(raw_page, first)
                mid_font, mid_flags = _font_info(raw_page, middle)
                end_font, _ = _font_info(raw_page, last)
                weight = pdfium_c.FPDFText_GetFontWeight(raw_page, middle)
                lead_bold = bool(_BOLD.search(lead_font)) or (
                    pdfium_c.FPDFText_GetFontWeight(raw_page, first) >= 600
                )
                bold = lead_bold and (bool(_BOLD.search(mid_font)) or weight >= 600)
                bold = bold and bool(_BOLD.search(end_font) or weight >= 600)
                mono = all(
                    MONOSPACE_FONT.search(name) or flags & 1
                    for name, flags in ((lead_font, lead_flags), (mid_font, mid_flags))
                ) and bool(MONOSPACE_FONT.search(end_font))
                marked = () if bold or mono else _line_terms(raw_page, text, first, last + 1)
            else:
                left = bottom = bottom_end = right = size = 0.0
                bold = mono = lead_bold = False
                marked = ()
            line = PdfLine(
                _clean(body.strip()),
                number,
                left,
                right,
                bottom,
                size,
                bold,
                mono,
                lead_bold,
                min(bottom, bottom_end),
                marked,
            )
            previous = lines[-1] if lines else None
            if (
                previous is not None
                and aligned
                and line.x0 >= previous.x1 - 1
                and abs(line.y - previous.y) < 0.6 * max(previous.size, 1.0)
            ):
                # A superscript or subscript that pdfium put on a line of its own.
                previous.text = f"{previous.text} {line.text}"
                previous.x1 = line.x1
                previous.y_end = min(previous.y_end, line.y_end)
                previous.terms += line.terms
                continue
            lines.append(line)
        return lines
    finally:
        textpage.close()


def _normal(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def _running_key(line: PdfLine) -> tuple[str, int]:
    """A running head or foot: its text with digits ignored, at (about) the same height."""
    return _DIGITS.sub("#", squash(line.text).lower()), round(line.y / 12)


def _outline(pdf: Any) -> dict[int, list[tuple[int, str]]]:
    """Bookmarks by 1-based page: (level, title) in outline order."""
    by_page: dict[int, list[tuple[int, str]]] = {}
    try:
        for bookmark in pdf.get_toc(max_depth=8):
            destination = bookmark.get_dest()
            index = destination.get_index() if destination is not None else None
            title = squash(bookmark.get_title() or "")
            if index is None or not title:
                continue
            by_page.setdefault(index + 1, []).append((bookmark.level + 1, title))
    except Exception:  # a broken outline only costs its headings
        return {}
    return by_page


class _Layout:
    """Facts about the whole document that classify each line."""

    def __init__(
        self, pages: list[list[PdfLine]], heights: list[float], widths: list[float]
    ) -> None:
        self.heights = heights
        self.widths = widths
        sizes: Counter[float] = Counter()
        for lines in pages:
            for line in lines:
                sizes[round(line.size, 1)] += len(line.text)
        self.body_size = sizes.most_common(1)[0][0] if sizes else 10.0
        keys: Counter[tuple[str, int]] = Counter()
        for lines in pages:
            for key in {_running_key(line) for line in lines if self.in_margin(line)}:
                keys[key] += 1
        self.running = {key for key, count in keys.items() if count >= 2}
        bigger = sorted({s for s in sizes if s >= self.body_size * 1.15}, reverse=True)
        self.heading_levels = {size: level for level, size in enumerate(bigger[:4], start=1)}
        pitches = [
            a.y - b.y
            for lines in pages[: min(len(pages), 200)]
            for a, b in itertools.pairwise(lines)
            if 0 < a.y - b.y < 3 * self.body_size and not a.mono
        ]
        self.pitch = statistics.median(pitches) if pitches else self.body_size * 1.2

    def in_margin(self, line: PdfLine) -> bool:
        height = self.heights[line.page - 1]
        return line.y > height * (1 - _MARGIN) or line.y < height * _MARGIN

    def is_running(self, line: PdfLine) -> bool:
        if not self.in_margin(line):
            return False
        return bool(_PAGE_NUMBER.match(line.text.strip())) or (_running_key(line) in self.running)

    def heading_level(self, line: PdfLine, sizes_only: bool) -> int:
        """A font-based heading's level (0: not a heading); ``sizes_only``: bold body-size lines
        are not headings (the outline names the sections; larger type still marks one)."""
        text = line.text
        if len(text) > 120 or not re.search(r"[A-Za-z]{2}", text) or text.endswith((".", ",")):
            return 0
        level = self.heading_levels.get(round(line.size, 1), 0)
        if level or sizes_only:
            return level
        if line.bold and not line.mono:
            return len(self.heading_levels) + 1
        return 0


def reading_regions(lines: list[PdfLine], width: float) -> list[list[PdfLine]]:
    """A page's lines in reading order, as regions: one for a single-column page; for a
    two-column page the full-width lines above the columns, the left column, the right column,
    then the full-width lines below (each column top to bottom)."""
    text_lines = [line for line in lines if not line.mono]
    middle, slack = width / 2, width * 0.02
    left = [line for line in lines if line.x1 <= middle + slack]
    right = [line for line in lines if line.x0 >= middle - slack]
    if len(text_lines) < 10 or min(len(left), len(right)) < 0.3 * len(lines):
        return [lines]
    in_columns = {id(line) for line in left + right}
    top = max(line.y for line in left + right)
    full = [line for line in lines if id(line) not in in_columns]
    above = [line for line in full if line.y > top]
    below = [line for line in full if line.y <= top]
    regions = [sorted(group, key=lambda line: -line.y) for group in (above, left, right, below)]
    return [region for region in regions if region]  # each top of the page first


def _is_toc_page(lines: list[PdfLine]) -> bool:
    texts = [line.text for line in lines if len(line.text) > 3]
    if len(texts) < 5:
        return False
    listed = sum(1 for text in texts if _TOC_LINE.search(text))
    return listed / len(texts) >= 0.5


def _match_outline(text: str, title: str) -> int:
    """How many characters of ``text`` the outline ``title`` covers at its start (0: none)."""
    want = _normal(title)
    if not want:
        return 0
    got = _normal(text)
    stripped = re.sub(
        r"^(?:chapter|appendix|section|part)?\s*[\dA-Z]{0,3}(?:\.\d+)*\.?\s+", "", text, flags=re.I
    )
    for candidate in (text, stripped):
        if _normal(candidate) == want:
            return len(text)
    if got.startswith(want) or _normal(stripped).startswith(want):
        # A run-in heading: the title, then the paragraph on the same line.
        lowered = text.lower()
        at = lowered.find(title.lower())
        if at >= 0:
            return at + len(title)
    return 0


class PdfReader(Reader):
    format = "pdf"
    suffixes = frozenset({".pdf"})

    def read(
        self,
        source: str,
        path: Path,
        data: bytes,
        sha256: str,
        progress: PageProgress | None = None,
    ) -> ReadDocument:
        import pypdfium2 as pdfium

        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as error:
            if "password" in str(error).lower():
                raise SkipFile(
                    "encrypted PDF: it needs a password; save an unprotected copy and index that"
                ) from error
            raise SkipFile(f"malformed PDF ({error}); re-save or re-export it") from error
        try:
            return self._read(pdf, source, path, sha256, progress)
        finally:
            pdf.close()

    def _read(
        self,
        pdf: Any,
        source: str,
        path: Path,
        sha256: str,
        progress: PageProgress | None,
    ) -> ReadDocument:
        count = len(pdf)
        if count == 0:
            raise SkipFile("PDF has no pages")
        pages: list[list[PdfLine]] = []
        heights: list[float] = []
        widths: list[float] = []
        for index in range(count):
            page = pdf[index]
            try:
                heights.append(page.get_height())
                widths.append(page.get_width())
                pages.append(page_lines(page, index + 1))
            except Exception as error:  # one unreadable page costs that page only
                heights.append(792.0)
                widths.append(612.0)
                pages.append([])
                if index == 0 and count == 1:
                    raise SkipFile(f"malformed PDF ({error})") from error
            finally:
                page.close()
            if progress and (index % 25 == 24 or index + 1 == count):
                progress(index + 1, count)
        chars = sum(len(line.text) for lines in pages for line in lines)
        if chars < _MIN_TEXT_CHARS_PER_PAGE * count:
            raise SkipFile(
                "looks scanned: no text to index (run OCR first, e.g. `ocrmypdf in.pdf out.pdf`)"
            )
        layout = _Layout(pages, heights, widths)
        outline = _outline(pdf)
        builder = DocumentBuilder()
        skipped = _Assembler(builder, layout, outline).run(pages)
        notes = [f"left out {skipped} table-of-contents or index pages"] if skipped else []
        return self.finish(
            builder,
            source,
            path,
            sha256,
            page_unit=PageUnit.PAGE,
            pages=count,
            notes=notes,
        )


class _Assembler:
    """Joins classified lines into blocks, page after page."""

    def __init__(
        self,
        builder: DocumentBuilder,
        layout: _Layout,
        outline: dict[int, list[tuple[int, str]]],
    ) -> None:
        self.builder = builder
        self.layout = layout
        self.outline = outline
        self.paragraph: list[str] = []
        self.paragraph_terms: list[MarkedTerm] = []
        self.paragraph_page = 0
        self.paragraph_x0 = 0.0
        self.region_break = False  # the next line opens a new column of the page
        self.paragraph_kind = "paragraph"
        self.code: list[PdfLine] = []
        self.previous: PdfLine | None = None

    def run(self, pages: list[list[PdfLine]]) -> int:
        skipped = 0
        pending: list[tuple[int, str]] = []  # outline titles not yet found
        for number, lines in enumerate(pages, start=1):
            body = [line for line in lines if not self.layout.is_running(line)]
            titles = pending + self.outline.get(number, [])
            # A contents or index page is left out, with the outline entries that point at it.
            named = any(_CONTENTS_TITLE.search(title) for _level, title in titles)
            if _is_toc_page(body) and (named or not titles):
                skipped += 1
                pending = []
                continue
            width = self.layout.widths[number - 1]
            leftover = self._page(reading_regions(body, width), titles)
            own = self.outline.get(number, [])
            pending = [t for t in leftover if t in own]  # looked for on the next page, once
        self._flush()
        return skipped

    def _page(
        self, regions: list[list[PdfLine]], titles: list[tuple[int, str]]
    ) -> list[tuple[int, str]]:
        for number, region in enumerate(regions):
            self.region_break = number > 0
            self._region(region, titles)
        return titles

    def _region(self, lines: list[PdfLine], titles: list[tuple[int, str]]) -> None:
        left = min((line.x0 for line in lines if not line.mono), default=0.0)
        right = max((line.x1 for line in lines), default=0.0)
        for line in lines:
            matched = next(
                ((i, c) for i, t in enumerate(titles) if (c := _match_outline(line.text, t[1]))),
                None,
            )
            if matched:
                index, covered = matched
                level, title = titles.pop(index)
                self._flush()
                # The printed heading keeps its number ("6.2 Lists"); a run-in one is cut.
                shown = line.text if covered == len(line.text) else title
                self.builder.heading(shown, level, line.page)
                rest = line.text[covered:].strip()
                self.previous = None
                if rest:
                    self._text(line, rest, left, right, new=True)
                continue
            level = self.layout.heading_level(line, sizes_only=bool(self.outline))
            if level:
                self._flush()
                self.builder.heading(line.text, level, line.page)
                self.previous = None
                continue
            if line.mono:
                self._flush_text()
                self.code.append(line)
                self.previous = line
                continue
            self._text(line, line.text, left, right, new=False)

    def _starts_paragraph(self, line: PdfLine, left: float, right: float) -> bool:
        previous = self.previous
        if previous is None or previous.mono or not self.paragraph:
            return True
        if _BULLET.match(line.text):
            return True
        if line.page != previous.page or self.region_break:
            # A sentence that runs on over a page break or into the next column continues.
            return bool(_SENTENCE_END.search(self.paragraph[-1]))
        gap = previous.y_end - line.y
        if gap > 1.6 * self.layout.pitch or gap < -self.layout.pitch:
            return True
        if self.paragraph_kind == "list":  # an item's lines hang under its text, not its bullet
            return line.x0 < self.paragraph_x0 + 0.8 * self.layout.body_size
        if line.x0 > left + 0.8 * self.layout.body_size and line.x0 > previous.x0 + 2:
            return True  # a first-line indent
        short = previous.x1 < right - 4 * self.layout.body_size
        return short and bool(_SENTENCE_END.search(previous.text))

    def _text(self, line: PdfLine, text: str, left: float, right: float, new: bool) -> None:
        if self.code:
            self._flush_code()
        if new or self._starts_paragraph(line, left, right):
            self._flush_text()
            self.paragraph_page = line.page
            self.paragraph_x0 = line.x0
            self.paragraph_kind = "list" if _BULLET.match(text) else "paragraph"
            self.paragraph = [text]
            self.paragraph_terms = list(line.terms)
        else:
            self.paragraph.append(text)
            self.paragraph_terms.extend(line.terms)
        self.previous = line
        self.region_break = False

    def _flush_text(self) -> None:
        if not self.paragraph:
            return
        text = _join_lines(self.paragraph)
        if self.paragraph_kind == "list":
            marker = _BULLET.match(text)
            body = text[marker.end() :] if marker else text
            sign = marker.group(0).strip() if marker else "-"
            sign = sign if re.match(r"\(?[\da-z]{1,2}[.)]", sign) else "-"
            terms = self.paragraph_terms
            self.builder.list_item(body, marker=sign, page=self.paragraph_page, terms=terms)
        else:
            self.builder.paragraph(text, self.paragraph_page, self.paragraph_terms)
        self.paragraph = []
        self.paragraph_terms = []

    def _flush_code(self) -> None:
        if not self.code:
            return
        left = min(line.x0 for line in self.code)
        width = max(self.layout.body_size * 0.525, 1.0)  # a monospace glyph is ~0.525 em wide
        rendered = [" " * max(0, round((line.x0 - left) / width)) + line.text for line in self.code]
        self.builder.code("\n".join(rendered), self.code[0].page)
        self.code = []

    def _flush(self) -> None:
        self._flush_code()
        self._flush_text()


def _join_lines(lines: list[str]) -> str:
    """Lines of one paragraph as one line: soft hyphens removed, hard hyphens kept unspaced."""
    out = ""
    for line in lines:
        if not out:
            out = line
        elif out[-1] in _SOFT_HYPHEN:
            out = out[:-1] + line
        elif out.endswith("-") and len(out) > 1 and out[-2].isalpha() and line[:1].islower():
            out = out + line
        else:
            out = f"{out} {line}"
    return "".join(c for c in out if c not in _SOFT_HYPHEN)
