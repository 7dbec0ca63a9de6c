"""Practice questions per document: how many the bank finds in each real document, beside its
sections with content (the baseline issue 24's generator is measured against).

Usage: python bench/bench_bank.py [FOLDER ...]   (default: corpus/ and eval/documents/*)

Reads each file as ingest does, builds its bank, and prints one Markdown row per document:
format, pages, sections with content (a section holding at least one paragraph, list item,
table or code block of 8+ words), practice questions, and seconds to build the bank.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from studyrag.ingest.loaders import SkipFile, discover, load_document
from studyrag.ingest.readers.base import BlockKind
from studyrag.quiz.bank import QuestionBank

REPO = Path(__file__).resolve().parents[1]
DEFAULT = [REPO / "corpus", *sorted((REPO / "eval" / "documents").glob("*/"))]
_MIN_WORDS = 8


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, default=DEFAULT)
    args = parser.parse_args(argv)
    print("| document | format | pages | sections with content | questions | bank s |")
    print("|---|---|---|---|---|---|")
    totals = [0, 0]
    for folder in args.folders:
        files, _refused, _roots = discover([folder])
        for file in files:
            try:
                document = load_document(file, 100 * 2**20)
            except SkipFile:
                continue
            sections = {
                block.section
                for block in document.blocks
                if block.kind is not BlockKind.HEADING
                and block.section
                and len(document.text[block.start : block.end].split()) >= _MIN_WORDS
            }
            begin = time.perf_counter()
            questions = len(QuestionBank.from_files([file], 100 * 2**20))
            seconds = time.perf_counter() - begin
            totals[0] += len(sections)
            totals[1] += questions
            name = f"{folder.name}/{file.source}"
            print(
                f"| {name} | {document.format} | {document.pages or '—'} | {len(sections)} | "
                f"{questions} | {seconds:.2f} |"
            )
    print(f"| all | | | {totals[0]} | {totals[1]} | |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
