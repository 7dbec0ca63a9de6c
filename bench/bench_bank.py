"""Practice questions per document: how many, which sections they cover, and whether they hold up.

Usage: python bench/bench_bank.py [FOLDER ...] [--samples docs/practice-samples.md] [--no-long-pdf]
(default folders: corpus/ and each folder of eval/documents; a subfolder of a folder is one site)

For corpus/ and every shared real document (eval/documents; the Debian handbook's 127 pages count
as one site), prints one Markdown row: format, pages, sections with content (a section holding a
block of 8+ words), questions by kind, the share of those sections where some question's cited
span overlaps the section's text, and seconds to build the bank. Then, per format family, over
every written question (not a sample): the answer is in the cited span of the file as read, the
blank is a content term (a word outside NLTK's English stopwords, at word boundaries in the span),
and no two questions of a document cite the same span. Last, the seconds to build the bank of a
1,017-page PDF (R-intro nine times over). ``--samples`` writes 30 random questions per document,
with what they are graded against and their citations, for a reader to judge.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from studyrag.index.lexical import english_stopwords
from studyrag.ingest.cleaner import clean_text
from studyrag.ingest.loaders import SkipFile, SourceFile, discover, load_document
from studyrag.ingest.readers.base import BlockKind, ReadDocument
from studyrag.quiz.bank import Question, QuestionBank
from studyrag.quiz.document_questions import CLOZE_BLANK

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = REPO / "eval" / "documents"
_MIN_WORDS = 8
_FAMILY = {"markdown": "text", "html": "html", "pdf": "pdf", "docx": "office", "pptx": "office"}
_FAMILY["epub"] = "office"
_WORD = re.compile(r"[^\W_]{2,}")


@dataclass
class Unit:
    """One document as a student brings it: a file, or a saved site (a folder of pages)."""

    name: str
    files: list[SourceFile]
    documents: list[ReadDocument]


DEFAULT = [REPO / "corpus", *sorted(p for p in DOCUMENTS.glob("*/") if p.is_dir())]


def _units(folders: Sequence[Path]) -> list[Unit]:
    units = []
    for folder in folders:
        files, _refused, _roots = discover([folder])
        groups: dict[str, list[SourceFile]] = {}
        for file in files:
            parts = Path(file.source).parts
            key = parts[0] if len(parts) > 1 else file.source
            groups.setdefault(f"{folder.name}/{key}", []).append(file)
        for name, members in sorted(groups.items()):
            documents = []
            for file in members:
                try:
                    documents.append(load_document(file, 100 * 2**20))
                except SkipFile:
                    continue
            units.append(Unit(name, members, documents))
    return units


Sections = dict[tuple[str, tuple[str, ...]], list[tuple[int, int]]]


def _sections(documents: Sequence[ReadDocument]) -> Sections:
    """Each section with content (a block of 8+ words) and the citation spans of its blocks."""
    spans: Sections = {}
    content: set[tuple[str, tuple[str, ...]]] = set()
    for document in documents:
        for block in document.blocks:
            if block.kind is BlockKind.HEADING or not block.section:
                continue
            key = (document.source, block.section)
            spans.setdefault(key, []).append(document.to_original(block.start, block.end))
            if len(document.text[block.start : block.end].split()) >= _MIN_WORDS:
                content.add(key)
    return {key: spans[key] for key in content}


def _covered(sections: Sections, bank: QuestionBank) -> int:
    """Sections where some question's cited span overlaps one of its blocks."""
    by_source: dict[str, list[Question]] = {}
    for question in bank:
        by_source.setdefault(question.source, []).append(question)
    covered = 0
    for (source, _section), spans in sections.items():
        if any(
            q.answer_start < end and start < q.answer_end
            for q in by_source.get(source, [])
            for start, end in spans
        ):
            covered += 1
    return covered


def _squeezed(text: str) -> str:
    return re.sub(r"[\s*`]+", "", text)


def answer_in_span(question: Question, span: str) -> bool:
    """The cloze's term sits where its blank is; an open question's answer is the span's text."""
    if question.is_cloze:
        cloze = _squeezed(question.cloze)
        return any(
            _squeezed(span[:at] + CLOZE_BLANK + span[at + len(question.term) :]) == cloze
            for at in range(len(span))
            if span.startswith(question.term, at)
        )
    return _squeezed(question.answer) == _squeezed(span) or (
        question.kind in ("qa", "outline") and bool(span.strip())
    )


def blank_is_content(question: Question, span: str, stopwords: frozenset[str]) -> bool:
    words = [w.lower() for w in _WORD.findall(question.term)]
    if not any(w not in stopwords for w in words) and not re.search(r"\d", question.term):
        return False
    for match in re.finditer(re.escape(question.term), span):
        before = span[match.start() - 1] if match.start() else " "
        after = span[match.end()] if match.end() < len(span) else " "
        if not (before.isalnum() or after.isalnum()):
            return True
    return False


def _long_pdf(folder: Path) -> Path:
    import pypdfium2 as pdfium

    target = folder / "R-intro-x9.pdf"
    document = pdfium.PdfDocument.new()
    source = pdfium.PdfDocument(str(DOCUMENTS / "pdf" / "R-intro.pdf"))
    for _ in range(9):
        document.import_pages(source)
    document.save(str(target))
    return target


def _write_samples(path: Path, samples: dict[str, list[Question]]) -> None:
    lines = [
        "# Practice questions written from real documents: samples",
        "",
        "Written by `python bench/bench_bank.py --samples docs/practice-samples.md` (seeded): 30",
        "questions per document, drawn at random, exactly as the Practice page asks them, with",
        "what they are graded against and where it is cited. No LLM wrote them.",
        "",
    ]
    for name, questions in samples.items():
        lines += [f"## {name}", ""]
        if not questions:
            lines += ["A question bank: only its own questions, none written.", ""]
        for number, q in enumerate(questions, start=1):
            lines.append(f"{number}. **[{q.kind}]** {q.prompt}")
            if q.is_cloze:
                forms = f" (also: {', '.join(q.term_forms)})" if q.term_forms else ""
                lines.append(f"   - blank: `{q.term}`{forms} · marked as {q.term_mark}")
            else:
                answer = " ".join(q.answer.split())
                lines.append(
                    f"   - graded against: {answer[:300]}{'…' if len(answer) > 300 else ''}"
                )
            lines.append(f"   - cites: {q.citation_label}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, default=DEFAULT)
    parser.add_argument("--samples", type=Path, help="write 30 sample questions per document")
    parser.add_argument("--no-long-pdf", action="store_true")
    args = parser.parse_args(argv)
    print(f"load average (1 min) at start: {os.getloadavg()[0]:.1f}\n")
    print(
        "| document | format | pages | sections with content | questions (cloze / definition "
        "/ section / Q&A) | sections covered | bank s |"
    )
    print("|---|---|---|---|---|---|---|")
    stopwords = english_stopwords()
    rng = random.Random(24)
    families: dict[str, list[tuple[Question, str]]] = {}
    duplicates: Counter[str] = Counter()
    samples: dict[str, list[Question]] = {}
    for unit in _units(args.folders):
        begin = time.perf_counter()
        bank = QuestionBank.from_files(unit.files, 100 * 2**20)
        seconds = time.perf_counter() - begin
        sections = _sections(unit.documents)
        kinds = Counter(q.kind for q in bank)
        formats = {d.format for d in unit.documents}
        pages = sum(d.pages for d in unit.documents) or len(unit.documents)
        share = _covered(sections, bank) / len(sections) if sections else 1.0
        print(
            f"| {unit.name} | {'/'.join(sorted(formats))} | {pages} | {len(sections)} | "
            f"{len(bank)} ({kinds['cloze']} / {kinds['definition']} / {kinds['section']} / "
            f"{kinds['qa'] + kinds['outline']}) | {share:.0%} | {seconds:.2f} |"
        )
        texts = {d.source: d for d in unit.documents}
        family = _FAMILY[next(iter(formats))] if formats else "text"
        for question in bank:
            document = texts[question.source]
            span = document.text[question.answer_start : question.answer_end]
            if document.aligned is not None:  # text formats: offsets index the decoded file
                raw = document.path.read_text(encoding="utf-8", errors="replace")
                span = clean_text(raw[question.answer_start : question.answer_end]).text
            families.setdefault(family, []).append((question, span))
        cited = Counter(
            (q.source, q.answer_start, q.answer_end) for q in bank if q.kind != "section"
        )
        duplicates[family] += sum(count - 1 for count in cited.values())
        written = [q for q in bank if q.kind not in ("qa", "outline")]
        samples[unit.name] = sorted(
            rng.sample(written, min(30, len(written))), key=lambda q: (q.source, q.answer_start)
        )
    print("\n| family | questions | written (all checked) | answer in cited span | "
          "blank is a content term (clozes) | questions sharing a span |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for family, pairs in sorted(families.items()):
        # Every written question is checked (a superset of any sample of 100).
        written = [(q, s) for q, s in pairs if q.kind not in ("qa", "outline")]
        inside = sum(answer_in_span(q, s) for q, s in written)
        clozes = [(q, s) for q, s in written if q.is_cloze]
        content = sum(blank_is_content(q, s, stopwords) for q, s in clozes)
        print(
            f"| {family} | {len(pairs)} | {len(written)} | {inside}/{len(written)} | "
            f"{content}/{len(clozes)} | {duplicates[family]} |"
        )
    if not args.no_long_pdf:
        with tempfile.TemporaryDirectory(prefix="studyrag-bench-bank-") as tmp:
            path = _long_pdf(Path(tmp))
            begin = time.perf_counter()
            bank = QuestionBank.from_files([SourceFile(path, path.name)], 2**31)
            seconds = time.perf_counter() - begin
            pages = load_document(SourceFile(path, path.name), 2**31).pages
        print(f"\n{pages}-page R-intro-x9.pdf: bank of {len(bank)} questions in {seconds:.1f} s")
    if args.samples:
        _write_samples(args.samples, samples)
        print(f"\nsamples written to {args.samples}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
