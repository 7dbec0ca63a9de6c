"""The Anki deck and CSV export, read back: the .apkg with sqlite3, the CSV with csv."""

from __future__ import annotations

import csv
import html
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from studyrag.ingest.loaders import SourceFile
from studyrag.quiz.bank import QuestionBank, load_bank
from studyrag.quiz.export import (
    CLOZE_FIELDS,
    CLOZE_MODEL_ID,
    DECK_ID,
    FIELDS,
    MODEL_ID,
    write_anki,
    write_csv,
)
from studyrag.types import StudyragError
from tests.conftest import CORPUS, DOCUMENTS


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return load_bank(CORPUS)


def _collection(apkg: Path, folder: Path) -> sqlite3.Connection:
    with zipfile.ZipFile(apkg) as package:
        assert "collection.anki2" in package.namelist()
        package.extract("collection.anki2", folder)
    return sqlite3.connect(folder / "collection.anki2")


def test_the_apkg_is_an_anki_collection_with_one_note_per_question(bank, tmp_path) -> None:
    apkg = tmp_path / "deck.apkg"
    assert write_anki(bank, apkg) == len(bank.questions)
    db = _collection(apkg, tmp_path / "one")
    notes = db.execute("SELECT id, guid, mid, flds, tags FROM notes").fetchall()
    assert len(notes) == len(bank.questions) == len({n[1] for n in notes})
    kinds = {n[2]: q.is_cloze for n in notes for q in [bank.get(n[3].split("\x1f")[-1])]}
    assert {mid for mid, cloze in kinds.items() if not cloze} == {MODEL_ID}
    models, decks = db.execute("SELECT models, decks FROM col").fetchone()
    assert str(MODEL_ID) in models and str(DECK_ID) in decks
    cards = db.execute("SELECT nid, did FROM cards").fetchall()
    assert sorted(c[0] for c in cards) == sorted(n[0] for n in notes)
    assert {c[1] for c in cards} == {DECK_ID}

    by_id = {n[3].split("\x1f")[-1]: n for n in notes}
    question = next(q for q in bank if q.has_answer and q.follow_ups and q.difficulty)
    fields = dict(zip(FIELDS, by_id[question.id][3].split("\x1f"), strict=True))
    assert fields["Source"] == question.source
    assert question.answer.split()[0] in fields["Answer"]
    points = bank.key_points(question)
    assert fields["KeyPoints"].count("<li>") == len(points) > 0
    assert fields["FollowUps"].count("<li>") == len(question.follow_ups)
    tags = by_id[question.id][4].split()
    assert f"difficulty::{question.difficulty}" in tags
    assert any(t.startswith("topic::") and " " not in t for t in tags)
    outline = next(q for q in bank if not q.has_answer)
    assert "kind::outline" in by_id[outline.id][4].split()


def test_a_re_export_keeps_every_id_so_anki_updates_instead_of_duplicating(bank, tmp_path):
    first, second = tmp_path / "a.apkg", tmp_path / "b.apkg"
    write_anki(bank, first)
    write_anki(bank, second)
    query = "SELECT id, guid, flds, tags FROM notes ORDER BY id"
    a = _collection(first, tmp_path / "a").execute(query).fetchall()
    b = _collection(second, tmp_path / "b").execute(query).fetchall()
    assert a == b
    cards = "SELECT id, nid FROM cards ORDER BY id"
    assert (
        _collection(first, tmp_path / "a2").execute(cards).fetchall()
        == _collection(second, tmp_path / "b2").execute(cards).fetchall()
    )


def test_csv_has_one_row_per_question(bank, tmp_path) -> None:
    path = tmp_path / "bank.csv"
    assert write_csv(bank, path) == len(bank.questions)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(bank.questions)
    row = next(r for r in rows if r["key_points"])
    question = bank.get(row["id"])
    assert row["question"] == question.prompt and row["source"] == question.source
    assert row["key_points"].split("\n") == [p.text for p in bank.key_points(question)]


def test_an_unwritable_target_is_one_clear_error_and_leaves_nothing_behind(bank, tmp_path):
    with pytest.raises(StudyragError, match="does not exist"):
        write_anki(bank, tmp_path / "missing" / "deck.apkg")
    taken = tmp_path / "deck.apkg"
    taken.mkdir()  # a folder where the file should go
    (taken / "keep.txt").write_text("mine")
    with pytest.raises(StudyragError, match="cannot write"):
        write_csv(bank, taken)
    assert (taken / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deck.apkg"]  # no temporary left


@pytest.fixture(scope="module")
def manual_bank() -> QuestionBank:
    path = DOCUMENTS / "pdf" / "R-intro.pdf"
    return QuestionBank.from_files([SourceFile(path, path.name)])


def test_cloze_questions_are_anki_cloze_notes_with_their_citation(manual_bank, tmp_path) -> None:
    apkg = tmp_path / "manual.apkg"
    assert write_anki(manual_bank, apkg) == len(manual_bank)
    db = _collection(apkg, tmp_path / "m")
    models = json.loads(db.execute("SELECT models FROM col").fetchone()[0])
    assert models[str(CLOZE_MODEL_ID)]["type"] == 1  # Anki's cloze note type
    assert models[str(MODEL_ID)]["type"] == 0
    notes = {
        flds.split("\x1f")[-1]: (mid, flds.split("\x1f"))
        for mid, flds in db.execute("SELECT mid, flds FROM notes")
    }
    clozes = [q for q in manual_bank if q.is_cloze]
    assert clozes and len(clozes) < len(manual_bank)
    for question in clozes:
        mid, values = notes[question.id]
        fields = dict(zip(CLOZE_FIELDS, values, strict=True))
        assert mid == CLOZE_MODEL_ID
        term = html.escape(question.term).replace("::", ": :")  # "::" would start a hint
        assert f"{{{{c1::{term}}}}}" in fields["Text"]
        assert fields["Text"].count("{{c1::") == 1 and "_____" not in fields["Text"]
        assert fields["Source"] == f"{question.source} · p. {question.page}"
    other = next(q for q in manual_bank if not q.is_cloze)
    assert notes[other.id][0] == MODEL_ID


def test_csv_carries_the_page_citation_and_anki_cloze_text(manual_bank, tmp_path) -> None:
    path = tmp_path / "manual.csv"
    write_csv(manual_bank, path)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = {r["id"]: r for r in csv.DictReader(handle)}
    question = next(q for q in manual_bank if q.is_cloze)
    row = rows[question.id]
    assert row["page"] == str(question.page)
    assert row["citation"].startswith(f"R-intro.pdf · p. {question.page} · ")
    assert "{{c1::" in row["cloze"] and row["kind"] == "cloze"
    assert all(r["cloze"] == "" for r in rows.values() if r["kind"] != "cloze")
