"""Practice benchmark: the Leitner-to-FSRS migration, progress, FSRS fitting and the exports.

Usage: python bench/bench_practice.py [--questions 233] [--reviews 10] [--runs 3]

Builds a schema-1 (Leitner) progress file with ``questions x reviews`` attempts two days apart,
opens it (the migration replays every attempt through FSRS), reads the progress summaries, fits
FSRS parameters to the history, and exports the corpus's question bank to Anki and CSV. Prints a
Markdown table of medians (paste into BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from studyrag.quiz.bank import load_bank
from studyrag.quiz.export import write_anki, write_csv
from studyrag.quiz.progress import ProgressStore
from studyrag.quiz.schedule import DAY

ROOT = Path(__file__).resolve().parents[1]
START = 1_750_000_000.0
_SCHEMA_1 = """
CREATE TABLE attempts (id INTEGER PRIMARY KEY AUTOINCREMENT, question_id TEXT NOT NULL,
    topic TEXT NOT NULL, difficulty TEXT, score INTEGER NOT NULL, covered INTEGER NOT NULL,
    total INTEGER NOT NULL, answered_at REAL NOT NULL);
CREATE TABLE schedule (question_id TEXT PRIMARY KEY, box INTEGER NOT NULL, due_at REAL NOT NULL,
    last_score INTEGER NOT NULL, attempts INTEGER NOT NULL, updated_at REAL NOT NULL);
PRAGMA user_version = 1;
"""


def leitner_file(path: Path, questions: int, reviews: int) -> int:
    db = sqlite3.connect(path)
    db.executescript(_SCHEMA_1)
    rows = [
        (f"q{q}", f"topic {q % 8}", None, (q * 7 + i * 13) % 101, 1, 2, START + i * 2 * DAY + q)
        for q in range(questions)
        for i in range(reviews)
    ]
    db.executemany(
        "INSERT INTO attempts (question_id, topic, difficulty, score, covered, total, answered_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.commit()
    db.close()
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=233)
    parser.add_argument("--reviews", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    bank = load_bank(ROOT / "corpus")
    times: dict[str, list[float]] = {}
    fitted = ""
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as temp:
            folder = Path(temp)
            count = leitner_file(folder / "quiz.sqlite3", args.questions, args.reviews)
            now = START + args.reviews * 2 * DAY
            begin = time.perf_counter()
            store = ProgressStore(folder / "quiz.sqlite3")
            mark = time.perf_counter()
            assert store.migrated_reviews == count
            store.topic_summaries(now)
            store.due_today(now)
            read = time.perf_counter()
            store.fit_parameters(512)
            fit = time.perf_counter()
            fitted = store.parameters_note(512)
            store.close()
            write_anki(bank, folder / "bank.apkg")
            anki = time.perf_counter()
            write_csv(bank, folder / "bank.csv")
            done = time.perf_counter()
        steps = {
            f"open + migrate {count:,} Leitner reviews": mark - begin,
            "progress: topic summaries + due today": read - mark,
            "fit FSRS parameters (optimizer)": fit - read,
            f"export {len(bank.questions)} questions to .apkg": anki - fit,
            "export to CSV": done - anki,
        }
        for step, seconds in steps.items():
            times.setdefault(step, []).append(seconds)
    load = os.getloadavg()[0]
    print(f"Practice, median of {args.runs} runs, load average {load:.2f} at the end\n")
    print("| step | seconds (median) |\n|---|---:|")
    for step, values in times.items():
        print(f"| {step} | {statistics.median(values):.3f} |")
    print(f"\n{fitted}.")


if __name__ == "__main__":
    main()
