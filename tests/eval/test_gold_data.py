"""Sanity checks for the hand-written evaluation data in eval/data/.

Plain pytest: no project imports, only the jsonl files and the raw corpus.
"""

import json
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS_DIR = ROOT / "corpus"
DATA_DIR = ROOT / "eval" / "data"
STUDY_QA = DATA_DIR / "study_qa.jsonl"
OFF_TOPIC = DATA_DIR / "off_topic.jsonl"

QA_KINDS = {"keyword", "paraphrase", "missing_heading", "numeric", "multi_source"}
OFF_TOPIC_KINDS = {"far", "near"}


def _read_jsonl(path: Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:  # pragma: no cover - reported as a failure
                pytest.fail(f"{path.name}:{lineno} is not valid JSON: {exc}")
    return rows


def _corpus_files() -> list[Path]:
    return sorted(CORPUS_DIR.glob("*.txt"))


@pytest.fixture(scope="module")
def study_qa() -> list[dict]:
    return _read_jsonl(STUDY_QA)


@pytest.fixture(scope="module")
def off_topic() -> list[dict]:
    return _read_jsonl(OFF_TOPIC)


@pytest.fixture(scope="module")
def corpus_texts() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in _corpus_files()}


def test_corpus_present() -> None:
    assert len(_corpus_files()) >= 5, f"expected the five corpus files in {CORPUS_DIR}"


def test_study_qa_size(study_qa: list[dict]) -> None:
    assert len(study_qa) >= 60


def test_study_qa_ids_unique(study_qa: list[dict]) -> None:
    ids = [row["id"] for row in study_qa]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes, f"duplicate ids: {dupes}"


def test_study_qa_fields(study_qa: list[dict]) -> None:
    for row in study_qa:
        assert isinstance(row.get("question"), str) and row["question"].strip(), row.get("id")
        assert row.get("kind") in QA_KINDS, (row.get("id"), row.get("kind"))
        assert isinstance(row.get("spans"), list) and row["spans"], row.get("id")
        ref = row.get("reference_answer")
        assert isinstance(ref, str) and ref.strip(), row.get("id")


def test_spans_occur_exactly_once(study_qa: list[dict], corpus_texts: dict[str, str]) -> None:
    problems = []
    for row in study_qa:
        for span in row["spans"]:
            source, text = span["source"], span["text"]
            if source not in corpus_texts:
                problems.append(f"{row['id']}: unknown source {source!r}")
                continue
            count = corpus_texts[source].count(text)
            if count != 1:
                problems.append(f"{row['id']}: span occurs {count}x in {source}: {text[:60]!r}")
    assert not problems, "\n".join(problems)


def test_missing_heading_rows(study_qa: list[dict]) -> None:
    n = sum(1 for row in study_qa if row["kind"] == "missing_heading")
    assert n >= 4, f"only {n} missing_heading rows"


def test_every_corpus_file_covered(study_qa: list[dict], corpus_texts: dict[str, str]) -> None:
    covered = {span["source"] for row in study_qa for span in row["spans"]}
    uncovered = sorted(set(corpus_texts) - covered)
    assert not uncovered, f"corpus files without any span: {uncovered}"


def test_off_topic_size_and_ids(off_topic: list[dict]) -> None:
    assert len(off_topic) >= 20
    ids = [row["id"] for row in off_topic]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes, f"duplicate ids: {dupes}"


def test_off_topic_fields(off_topic: list[dict]) -> None:
    for row in off_topic:
        assert isinstance(row.get("question"), str) and row["question"].strip(), row.get("id")
        assert row.get("kind") in OFF_TOPIC_KINDS, (row.get("id"), row.get("kind"))


def test_no_id_shared_between_files(study_qa: list[dict], off_topic: list[dict]) -> None:
    shared = {row["id"] for row in study_qa} & {row["id"] for row in off_topic}
    assert not shared, f"ids used in both files: {sorted(shared)}"
