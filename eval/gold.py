"""Gold question sets: each question with the exact corpus spans that answer it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from studyrag.types import Chunk, StudyragError


@dataclass(frozen=True)
class GoldSpan:
    source: str
    text: str
    start: int
    end: int

    def covered_by(self, chunk: Chunk) -> bool:
        """A chunk covers a span when it holds at least half of it."""
        if chunk.source != self.source:
            return False
        overlap = min(self.end, chunk.end) - max(self.start, chunk.start)
        return overlap >= max(1, (self.end - self.start) // 2)


@dataclass(frozen=True)
class GoldQuestion:
    qid: str
    question: str
    kind: str
    spans: tuple[GoldSpan, ...]
    reference_answer: str = ""
    extra: dict[str, object] = field(default_factory=dict)
    facts: tuple[tuple[str, ...], ...] = ()  # each fact: alternatives, any of which counts
    split: str = "dev"  # "dev" (tuned on) or "heldout" (never tuned on)


def citable_text(path: Path) -> str:
    """The text that citation offsets index: a text file's own characters, else what its reader
    made of it (a PDF's, a web page's, a slide deck's text)."""
    from studyrag.ingest.loaders import SourceFile, load_document
    from studyrag.ingest.readers import reader_for

    if reader_for(path).format == "markdown":
        return path.read_text(encoding="utf-8")
    return load_document(SourceFile(path, path.name), 2**31).text


def load_gold(path: Path, corpus_dir: Path) -> list[GoldQuestion]:
    """Load a gold JSONL and locate every span in its source file (exact text match)."""
    texts: dict[str, str] = {}
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            spans = []
            for span in row["spans"]:
                source = span["source"]
                if source not in texts:
                    texts[source] = citable_text(corpus_dir / source)
                start = texts[source].find(span["text"])
                if start < 0:
                    raise ValueError(f"span not found in {source}: {span['text'][:60]!r}")
                spans.append(GoldSpan(source, span["text"], start, start + len(span["text"])))
            questions.append(
                GoldQuestion(
                    qid=row["id"],
                    question=row["question"],
                    kind=row.get("kind", ""),
                    spans=tuple(spans),
                    reference_answer=row.get("reference_answer", ""),
                    facts=tuple(_fact(f) for f in row.get("facts", ())),
                    split=row.get("split", "dev"),
                )
            )
        except (KeyError, ValueError, OSError, TypeError) as error:
            raise StudyragError(f"{path}:{number}: bad gold row ({error})") from error
    return questions


def _fact(value: object) -> tuple[str, ...]:
    """A fact as alternatives: ``"21.5 GB"`` or ``["2 * d * r", "2dr"]``."""
    if isinstance(value, str):
        alternatives: tuple[object, ...] = (value,)
    elif isinstance(value, (list, tuple)):
        alternatives = tuple(value)
    else:
        alternatives = ()
    if not alternatives or not all(isinstance(a, str) and a.strip() for a in alternatives):
        raise ValueError(f"bad fact {value!r}: a non-empty string or list of strings")
    return tuple(str(a) for a in alternatives)


def load_questions(path: Path) -> list[tuple[str, str]]:
    """``(id, question)`` pairs from a JSONL with ``id`` and ``question`` fields."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [(row["id"], row["question"]) for row in rows]
