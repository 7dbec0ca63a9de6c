"""Reading speed: pages per second of each reader, and 1,000-plus-page PDFs from ingest to
searchable.

    python bench/bench_reading.py [--repeat 3] [--no-ingest]

Prints a Markdown table (median of --repeat runs); pypdf's plain text extraction (what ingest used
before the document model) is timed beside the PDF reader. The long PDFs are built with pdfium's
page import into a temporary folder: the R manual nine times over (1,017 pages, ~3 chunks a page,
like a textbook) and the gnuplot manual four times over (1,244 pages, a denser reference).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from studyrag.ingest.loaders import SourceFile, load_document

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = REPO / "eval" / "documents"


def _median_seconds(work, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _read(path: Path) -> int:
    return load_document(SourceFile(path, path.name), 2**31).pages


def _pypdf_text(path: Path) -> None:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    "\n\n".join(page.extract_text() or "" for page in reader.pages)


def _long_pdf(folder: Path, name: str, times: int) -> Path:
    import pypdfium2 as pdfium

    target = folder / f"{Path(name).stem}-x{times}.pdf"
    document = pdfium.PdfDocument.new()
    source = pdfium.PdfDocument(str(DOCUMENTS / "pdf" / name))
    for _ in range(times):
        document.import_pages(source)
    document.save(str(target))
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-ingest", action="store_true")
    args = parser.parse_args()
    print(f"load average (1 min) at start: {os.getloadavg()[0]:.1f}\n")
    print("| document | pages | reader | median s | pages/s |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="studyrag-bench-reading-") as tmp:
        folder = Path(tmp)
        pdfs = [DOCUMENTS / "pdf" / "R-intro.pdf", DOCUMENTS / "pdf" / "gnuplot.pdf"]
        long_pdfs = [_long_pdf(folder, "R-intro.pdf", 9), _long_pdf(folder, "gnuplot.pdf", 4)]
        pdfs.extend(long_pdfs)
        for path in pdfs:
            pages = _read(path)
            for label, work in (
                ("studyrag PdfReader (pypdfium2)", lambda p=path: _read(p)),
                ("pypdf extract_text (before)", lambda p=path: _pypdf_text(p)),
            ):
                seconds = _median_seconds(work, args.repeat)
                rate = pages / seconds
                print(f"| {path.name} | {pages} | {label} | {seconds:.2f} | {rate:.0f} |")
        others = [
            DOCUMENTS / "html" / "git-user-manual.html",
            *sorted((DOCUMENTS / "html" / "debian-handbook").glob("*.html")),
            *sorted((DOCUMENTS / "office").glob("*.*")),
        ]
        site = [p for p in others if p.parent.name == "debian-handbook"]
        rest = [p for p in others if p.parent.name != "debian-handbook"]

        def read_site() -> None:
            for page in site:
                try:
                    _read(page)
                except Exception:  # the site's index page is navigation only: skipped
                    continue

        seconds = _median_seconds(read_site, args.repeat)
        print(f"| debian-handbook/ ({len(site)} HTML pages) | - | HtmlReader | {seconds:.2f} | - |")
        for path in rest:
            seconds = _median_seconds(lambda p=path: _read(p), args.repeat)
            print(f"| {path.name} | - | {path.suffix[1:].upper()} reader | {seconds:.2f} | - |")
        if args.no_ingest:
            return
        env = dict(os.environ, HF_HUB_OFFLINE="1")
        for long_pdf in long_pdfs:
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "studyrag.cli", "--data-dir",
                 str(folder / f"data-{long_pdf.stem}"), "ingest", str(long_pdf)],
                env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip
            seconds = time.perf_counter() - started
            summary = done.stdout.strip().splitlines()[-1]
            print(f"\n`studyrag ingest` of {long_pdf.name} to searchable: {seconds:.1f} s wall")
            print(f"({summary})")


if __name__ == "__main__":
    main()
