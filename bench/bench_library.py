"""App library benchmark, in a real browser: a ~300-page PDF uploaded to its first cited answer,
and the page and an answer with 1,000 saved conversations in the data folder.

Usage: python bench/bench_library.py [--data-dir .studyrag] [--conversations 1000] [--runs 3]
       [--upload-runs 3] [--pdf eval/documents/pdf/gnuplot.pdf]

Copies the ingested corpus index (`make ingest`) to a temporary folder, saves N conversations of
three real answers each into it, starts `studyrag serve` on it and drives headless Chromium
(`make chromium`): page load to chat ready and question to cited answer (a fresh browser per
run); then, per upload run, a new collection made in the sidebar, the PDF dropped on it, the time
to "added" and to the first answer citing one of its pages. Prints a Markdown table of medians.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

from studyrag.assistant import Assistant  # noqa: E402
from studyrag.conversations import ConversationStore, Turn  # noqa: E402
from studyrag.pipeline import StudyPipeline  # noqa: E402
from studyrag.settings import Settings  # noqa: E402
from tests.browser.driver import (  # noqa: E402
    QUESTION,
    SERVER_START_TIMEOUT_S,
    ask_timed,
    button,
    chromium,
    idle,
    open_expander,
    serving,
    visible,
    waiting,
)

PDF_QUESTION = "How do I put a label on the x axis of my plot?"
SEED_QUESTIONS = ("What is LoRA?", "How much memory does it save?", "What rank is typical?")


def seed(data_dir: Path, conversations: int) -> float:
    """Save ``conversations`` conversations of three real answers each; seconds per 100."""
    settings = Settings(data_dir=data_dir, corpus_dir=REPO / "corpus")
    with StudyPipeline(settings) as pipeline:
        assistant = Assistant(pipeline)
        answers = [assistant.ask(q) for q in SEED_QUESTIONS]
    store = ConversationStore(settings.conversations_path)
    begin = time.perf_counter()
    for number in range(conversations):
        saved = store.create("study", f"{number}: {SEED_QUESTIONS[0]}")
        for question, answer in zip(SEED_QUESTIONS, answers, strict=True):
            store.add_turn(saved.id, Turn(question, answer=answer, backend="extractive"))
    return (time.perf_counter() - begin) / max(conversations, 1) * 100


def page_and_answer(url: str, work: Path, run: int) -> tuple[float, float, int]:
    """A fresh browser: seconds to a usable chat, seconds to a cited answer, conversations
    listed in the sidebar."""
    with chromium(work / f"profile-{run}", work / "downloads") as browser:
        wait = waiting(browser, SERVER_START_TIMEOUT_S, 0.05)
        begin = time.perf_counter()
        browser.get(url)
        wait.until(
            lambda d: (el := visible(d, '[data-testid="stChatInputTextArea"]')) and el.is_enabled()
        )
        ready = time.perf_counter() - begin
        listed = len(browser.find_elements(By.CSS_SELECTOR, '[data-testid="stButton"] button'))
        _message, answered = ask_timed(browser, QUESTION, "[1]")
    return ready, answered, listed


def upload_to_answer(url: str, work: Path, pdf: Path, run: int) -> tuple[float, float, float]:
    """A new collection, the PDF dropped on it: seconds to "added", then to a cited answer, and
    the ingest's own time (its summary line)."""
    with chromium(work / f"upload-profile-{run}", work / "downloads") as browser:
        wait = waiting(browser, SERVER_START_TIMEOUT_S, 0.1)
        browser.get(url)
        wait.until(lambda d: visible(d, '[data-testid="stChatInputTextArea"]'))
        open_expander(browser, "Collections")
        name = wait.until(lambda d: visible(d, 'input[aria-label="New collection"]'))
        name.send_keys(f"Bench upload {run}")
        name.send_keys(Keys.TAB)
        wait.until(idle)
        button(wait, "Create").click()
        wait.until(lambda d: visible(d, '[data-testid="stAlert"]', "This collection is empty"))
        open_expander(browser, "Add documents")
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, 'input[type="file"]')).send_keys(
            str(pdf)
        )
        add = button(wait, "Add to the index")
        begin = time.perf_counter()
        add.click()
        waiting(browser, 600, 0.1).until(
            lambda d: visible(d, '[data-testid="stAlert"]', f"added {pdf.name}")
        )
        indexed = time.perf_counter() - begin
        summary = visible(browser, '[data-testid="stAlert"]', "chunks embedded")
        found = re.search(r"\(([\d.]+) s\)", summary.text if summary else "")
        ingest = float(found.group(1)) if found else float("nan")
        _message, asked = ask_timed(browser, PDF_QUESTION, f"{pdf.name} · p. ")
        answered = indexed + asked
    return indexed, answered, ingest


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO / ".studyrag")
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--upload-runs", type=int, default=3)
    parser.add_argument("--pdf", type=Path, default=REPO / "eval/documents/pdf/gnuplot.pdf")
    args = parser.parse_args(argv)
    if not (args.data_dir / "edge").is_dir():
        sys.exit(f"no index in {args.data_dir}: run `make ingest` first")
    with tempfile.TemporaryDirectory(prefix="studyrag-bench-library-") as tmp:
        work = Path(tmp)
        data = work / "data"
        shutil.copytree(args.data_dir, data, ignore=shutil.ignore_patterns("*.lock"))
        (data / "conversations.sqlite3").unlink(missing_ok=True)
        per_100 = seed(data, args.conversations)
        print(f"saved {args.conversations} conversations ({per_100:.2f} s per 100)", flush=True)
        with serving(data, work / "serve.log") as (url, _started):
            visits = [page_and_answer(url, work, run) for run in range(args.runs)]
            uploads = [upload_to_answer(url, work, args.pdf, r) for r in range(args.upload_runs)]
    load = os.getloadavg()[0]
    print(f"\nruns: {args.runs} visits, {args.upload_runs} uploads; 1-min load {load:.1f}")
    print("| measure | median | runs |\n|---|---|---|")
    rows = [
        ("page load to chat ready", [v[0] for v in visits]),
        ("question (Enter) to cited answer visible", [v[1] for v in visits]),
        (f"{args.pdf.name}: upload click to 'added'", [u[0] for u in uploads]),
        (f"{args.pdf.name}: to 'added', plus Enter to cited answer", [u[1] for u in uploads]),
        (f"{args.pdf.name}: the ingest itself (its summary line)", [u[2] for u in uploads]),
    ]
    for label, values in [(label, values) for label, values in rows if values]:
        shown = ", ".join(f"{v:.2f}" for v in values)
        print(f"| {label} | {statistics.median(values):.2f} s | {shown} |")
    print(f"\nsidebar buttons with {args.conversations} saved conversations: {visits[0][2]}")


if __name__ == "__main__":
    main()
