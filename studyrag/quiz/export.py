"""The question bank for other tools: an Anki deck (.apkg, via genanki) and plain CSV.

One note per question: the question, the model answer (or, for an outline question, what to
cover), its key points, the source file (with its page) and heading, and the follow-ups; topic,
difficulty and kind as tags. A cloze question is a note of Anki's Cloze type, its sentence with
the term as ``{{c1::term}}`` and the citation under it.

Note GUIDs and note/card ids derive from the question id, and the model and deck ids
are constants, so importing a re-export updates the notes already in Anki instead of adding
copies (Anki matches notes by GUID and updates them when the export is newer).
"""

from __future__ import annotations

import csv
import hashlib
import html
import itertools
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from studyrag.quiz.bank import Question, QuestionBank
from studyrag.quiz.document_questions import CLOZE_BLANK
from studyrag.types import StudyragError

DECK_ID = 1_733_011_200_001  # constants: a re-export must land in the same deck and note type
MODEL_ID = 1_733_011_200_002
CLOZE_MODEL_ID = 1_733_011_200_003
DECK_NAME = "studyrag::LLM interview questions"
FIELDS = ("Question", "Answer", "KeyPoints", "Source", "Heading", "FollowUps", "QuestionId")
CSV_COLUMNS = (
    "id",
    "question",
    "answer",
    "key_points",
    "follow_ups",
    "topic",
    "difficulty",
    "kind",
    "source",
    "heading",
    "answer_start",
    "answer_end",
    "page",
    "citation",
    "cloze",
)
CLOZE_FIELDS = ("Text", "Extra", "Source", "Heading", "QuestionId")
_TAG_UNSAFE = re.compile(r"[^\w:-]+")
_ID_BASE = 1_500_000_000_000  # note ids read as creation times (ms); keep them plausible
_ID_SPAN = 10**11

_CARD_FRONT = """<div class="topic">{{Tags}}</div>
<div class="question">{{Question}}</div>"""
_CARD_BACK = """{{FrontSide}}
<hr id="answer">
<div class="answer">{{Answer}}</div>
{{#KeyPoints}}<h4>Key points</h4>{{KeyPoints}}{{/KeyPoints}}
{{#FollowUps}}<h4>Follow-ups</h4>{{FollowUps}}{{/FollowUps}}
<div class="source">{{Source}} &middot; {{Heading}}</div>"""
_CLOZE_FRONT = """<div class="topic">{{Tags}}</div>
<div class="question">{{cloze:Text}}</div>"""
_CLOZE_BACK = """{{cloze:Text}}
{{#Extra}}<hr id="answer"><div class="answer">{{Extra}}</div>{{/Extra}}
<div class="source">{{Source}} &middot; {{Heading}}</div>"""
_CSS = """.card { font-family: sans-serif; font-size: 18px; text-align: left; }
.topic, .source { color: #777; font-size: 13px; }
.question { font-weight: bold; margin: 8px 0; }"""


def tag(prefix: str, value: str) -> str:
    """An Anki tag (no spaces): ``topic::RAG_Systems``."""
    return f"{prefix}::{_TAG_UNSAFE.sub('_', value.strip()).strip('_') or 'none'}"


def note_id_of(question_id: str) -> int:
    """A stable even note id for a question (its card takes the next odd number)."""
    digest = int.from_bytes(hashlib.sha256(question_id.encode("utf-8")).digest()[:8], "big")
    return _ID_BASE + 2 * (digest % _ID_SPAN)


def _html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def _html_list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{_html(i)}</li>" for i in items) + "</ul>" if items else ""


def anki_cloze(question: Question) -> str:
    """A cloze question's sentence in Anki's cloze syntax (HTML): ``... {{c1::term}} ...``."""
    if not question.is_cloze:
        return ""
    term = question.term.replace("}}", "} }").replace("::", ": :")
    before, _, after = question.cloze.partition(CLOZE_BLANK)
    return f"{_html(before)}{{{{c1::{_html(term)}}}}}{_html(after)}"


def _source(question: Question) -> str:
    return " · ".join(part for part in (question.source, question.locator) if part)


def _answer(question: Question) -> str:
    if question.answer:
        return question.answer
    cover = "; ".join(question.sub_points)
    return f"Outline question (no model answer in the corpus). Cover: {cover}" if cover else ""


def _rows(bank: QuestionBank) -> Iterator[tuple[Question, list[str]]]:
    for question in sorted(bank, key=lambda q: q.id):
        points = [p.text for p in bank.key_points(question)]
        yield question, points


def write_anki(bank: QuestionBank, path: Path) -> int:
    """Write the bank as an Anki package at ``path`` (atomically); returns the note count."""
    import genanki

    class StableNote(genanki.Note):  # type: ignore[misc]  # genanki has no types: Note is Any
        """A note whose note and card ids come from its question id, not the export time."""

        def __init__(self, note_id: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.note_id = note_id

        def write_to_db(self, cursor: Any, timestamp: float, deck_id: int, id_gen: Any) -> None:
            ids = itertools.chain([self.note_id, self.note_id + 1], id_gen)
            super().write_to_db(cursor, timestamp, deck_id, ids)

    model = genanki.Model(
        MODEL_ID,
        "studyrag interview question",
        fields=[{"name": name} for name in FIELDS],
        templates=[{"name": "Recall the answer", "qfmt": _CARD_FRONT, "afmt": _CARD_BACK}],
        css=_CSS,
    )
    cloze_model = genanki.Model(
        CLOZE_MODEL_ID,
        "studyrag cloze",
        fields=[{"name": name} for name in CLOZE_FIELDS],
        templates=[{"name": "Cloze", "qfmt": _CLOZE_FRONT, "afmt": _CLOZE_BACK}],
        css=_CSS,
        model_type=genanki.Model.CLOZE,
    )
    deck = genanki.Deck(DECK_ID, DECK_NAME)
    for question, points in _rows(bank):
        tags = [tag("topic", question.topic), tag("kind", question.kind)]
        if question.difficulty:
            tags.append(tag("difficulty", question.difficulty))
        if question.is_cloze:
            forms = ", ".join(question.term_forms)
            note_model, fields = (
                cloze_model,
                [
                    anki_cloze(question),
                    _html(f"Also accepted: {forms}") if forms else "",
                    _html(_source(question)),
                    _html(question.heading),
                    question.id,
                ],
            )
        else:
            note_model, fields = (
                model,
                [
                    _html(question.prompt),
                    _html(_answer(question)),
                    _html_list(points),
                    _html(_source(question)),
                    _html(question.heading),
                    _html_list(list(question.follow_ups)),
                    question.id,
                ],
            )
        deck.add_note(
            StableNote(
                note_id_of(question.id),
                model=note_model,
                fields=fields,
                tags=tags,
                guid=genanki.guid_for("studyrag", question.id),
            )
        )
    _write_atomically(path, lambda temp: genanki.Package(deck).write_to_file(temp, time.time()))
    return len(deck.notes)


def write_csv(bank: QuestionBank, path: Path) -> int:
    """Write the bank as CSV (UTF-8, one row per question); returns the row count."""
    count = 0

    def write(temp: str) -> None:
        nonlocal count
        with open(temp, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for question, points in _rows(bank):
                writer.writerow(
                    [
                        question.id,
                        question.prompt,
                        _answer(question),
                        "\n".join(points),
                        "\n".join(question.follow_ups),
                        question.topic,
                        question.difficulty or "",
                        question.kind,
                        question.source,
                        question.heading,
                        question.answer_start,
                        question.answer_end,
                        question.page if question.page is not None else "",
                        question.citation_label,
                        anki_cloze(question),
                    ]
                )
                count += 1

    _write_atomically(path, write)
    return count


def _write_atomically(path: Path, write: Any) -> None:
    """Write through a temporary file beside ``path``: a failed export leaves the old one."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise StudyragError(f"cannot write {path}: folder {folder} does not exist")
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    os.close(handle)
    try:
        write(temp)
        os.replace(temp, path)
    except OSError as error:
        raise StudyragError(f"cannot write {path}: {error.strerror or error}") from error
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
