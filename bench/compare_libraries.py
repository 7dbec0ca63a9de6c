"""The reading-library comparison behind the readers (issue 21): speed and what survives.

    python bench/compare_libraries.py    # any venv; a library that is not installed is skipped

For each PDF library: pages/s (median of 3) and the share of the PDF gold spans
(eval/data/docs_pdf_qa.jsonl) found whole in its text once whitespace and case are ignored (a
sentence broken by a line-end hyphen or a ligature, or interleaved with a running head, is not
found). For HTML: the same share for eval/data/docs_html_qa.jsonl on git-user-manual.html, and
how many navigation strings survive. studyrag's readers are measured with the same yardstick when
studyrag is importable.
"""

from __future__ import annotations

import importlib.util
import json
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "eval" / "documents"
_SPACE = re.compile(r"\s+")


def _flat(text: str) -> str:
    return _SPACE.sub(" ", text).strip().lower()


def _spans(gold: str, source: str) -> list[str]:
    rows = [json.loads(line) for line in (REPO / "eval" / "data" / gold).read_text().splitlines()]
    return [s["text"] for r in rows for s in r["spans"] if s["source"] == source]


def _timed(extract: Callable[[Path], str], path: Path) -> tuple[str, float]:
    times, text = [], ""
    for _ in range(3):
        started = time.perf_counter()
        text = extract(path)
        times.append(time.perf_counter() - started)
    return text, statistics.median(times)


def _pdf_extractors() -> dict[str, Callable[[Path], str]]:
    found: dict[str, Callable[[Path], str]] = {}
    if importlib.util.find_spec("pypdf"):
        from pypdf import PdfReader

        found["pypdf 7 extract_text (BSD)"] = lambda p: "\n".join(
            page.extract_text() or "" for page in PdfReader(str(p)).pages
        )
    if importlib.util.find_spec("pypdfium2"):
        import pypdfium2 as pdfium

        def pdfium_text(path: Path) -> str:
            pdf = pdfium.PdfDocument(str(path))
            return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))

        found["pypdfium2 raw text (Apache-2.0/BSD)"] = pdfium_text
    if importlib.util.find_spec("pdfplumber"):
        import pdfplumber

        def plumber(path: Path) -> str:
            with pdfplumber.open(str(path)) as pdf:
                return "\n".join(page.extract_text() or "" for page in pdf.pages)

        found["pdfplumber (MIT)"] = plumber
    if importlib.util.find_spec("pymupdf"):
        import pymupdf

        found["pymupdf get_text (AGPL-3.0)"] = lambda p: "\n".join(
            page.get_text() for page in pymupdf.open(str(p))
        )
    if importlib.util.find_spec("studyrag"):
        from studyrag.ingest.loaders import SourceFile, load_document

        found["studyrag PdfReader (pypdfium2 + layout)"] = lambda p: (
            load_document(SourceFile(p, p.name), 2**31).text
        )
    return found


def _html_extractors() -> dict[str, Callable[[Path], str]]:
    found: dict[str, Callable[[Path], str]] = {}
    if importlib.util.find_spec("bs4"):
        from bs4 import BeautifulSoup

        found['BeautifulSoup get_text("\\n") (before)'] = lambda p: BeautifulSoup(
            p.read_text(), "html.parser"
        ).get_text("\n")
    if importlib.util.find_spec("trafilatura"):
        import trafilatura

        found["trafilatura 2.3 (Apache-2.0), markdown"] = lambda p: (
            trafilatura.extract(
                p.read_text(),
                output_format="markdown",
                include_tables=True,
                include_formatting=True,
            )
            or ""
        )
    if importlib.util.find_spec("markdownify"):
        from markdownify import markdownify

        found["markdownify (MIT)"] = lambda p: markdownify(p.read_text())
    if importlib.util.find_spec("studyrag"):
        from studyrag.ingest.loaders import SourceFile, load_document

        found["studyrag HtmlReader"] = lambda p: load_document(SourceFile(p, p.name), 2**31).text
    return found


def main() -> None:
    print("| PDF library | pages/s (R-intro, gnuplot) | gold spans found whole |")
    print("|---|---|---|")
    pdfs = [DOCS / "pdf" / "R-intro.pdf", DOCS / "pdf" / "gnuplot.pdf"]
    pages = {"R-intro.pdf": 113, "gnuplot.pdf": 311}
    for name, extract in _pdf_extractors().items():
        rates, found, total = [], 0, 0
        for path in pdfs:
            text, seconds = _timed(extract, path)
            rates.append(f"{pages[path.name] / seconds:.0f}")
            flat = _flat(text)
            spans = _spans("docs_pdf_qa.jsonl", path.name)
            found += sum(_flat(s) in flat for s in spans)
            total += len(spans)
        print(f"| {name} | {', '.join(rates)} | {found}/{total} |")
    print(
        '\n| HTML library | seconds (git-user-manual.html) | gold spans found whole | "Table of'
        ' Contents" left in |'
    )
    print("|---|---|---|---|")
    page = DOCS / "html" / "git-user-manual.html"
    spans = _spans("docs_html_qa.jsonl", page.name)
    for name, extract in _html_extractors().items():
        text, seconds = _timed(extract, page)
        flat = _flat(text)
        found = sum(_flat(s) in flat for s in spans)
        kept = flat.count("table of contents")
        print(f"| {name} | {seconds:.2f} | {found}/{len(spans)} | {kept} |")


if __name__ == "__main__":
    main()
