"""Reading before/after, side by side: the same gold questions asked of two studyrag builds.

Offsets cannot be compared across readers (each reads a file into different text), so both builds
are scored on text alone: a top-k passage "holds" a gold span when at least half of the span's
words appear in it in order (whitespace, hyphenation and case ignored), and an answer states a
fact as the answer gate scores it (eval.answers.states_fact).

    python bench/compare_reading.py --old-commit 0e2a6f3 [--family pdf --family html ...]

The old build runs from a git worktree of ``--old-commit`` with this checkout's installed
packages; each family's documents (eval/documents/<family>) are ingested into fresh folders.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import mean

from studyrag.eval.answers import states_fact
from studyrag.eval.gold import GoldQuestion, load_gold

REPO = Path(__file__).resolve().parents[1]
FAMILIES = ("pdf", "html", "office")
_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u00ad", "").replace("-\n", ""))


def holds(passage: str, span: str) -> bool:
    """At least half of the span's words, in order, inside the passage."""
    want, have = _words(span), " ".join(_words(passage))
    need = max(1, len(want) // 2)
    return any(" ".join(want[i : i + need]) in have for i in range(0, len(want) - need + 1))


def _old_tree(commit: str, work: Path) -> Path:
    """A package tree of ``commit`` importable as ``studyrag`` (its top-level folders mapped)."""
    checkout = work / "checkout"
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", str(checkout), commit],
        check=True,
        capture_output=True,
    )
    tree = work / "pkg"
    shutil.copytree(checkout / "studyrag", tree / "studyrag", symlinks=True)
    for name in ("ingest", "retrieval", "eval"):
        (tree / "studyrag" / name).symlink_to(checkout / name)
    return tree


def _studyrag(python_path: Path | None, data_dir: Path, corpus: Path, *args: str) -> str:
    env = dict(os.environ, STUDYRAG_CORPUS_DIR=str(corpus), HF_HUB_OFFLINE="1")
    code = "from studyrag.cli import main; main()"
    if python_path is not None:
        env["PYTHONPATH"] = str(python_path)
        code = "import sys; sys.path.insert(0, sys.argv.pop(1)); " + code
        argv = [sys.executable, "-c", code, str(python_path), "--data-dir", str(data_dir), *args]
    else:
        argv = [sys.executable, "-c", code, "--data-dir", str(data_dir), *args]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, cwd="/")
    if done.returncode:
        raise SystemExit(done.stderr[-2000:])
    return done.stdout


def _score(label: str, questions: list[GoldQuestion], tree: Path | None, corpus: Path, work: Path):
    data = work / f"data-{label}"
    _studyrag(tree, data, corpus, "ingest", str(corpus))
    batch = work / "questions.txt"
    batch.write_text("".join(q.question + "\n" for q in questions), encoding="utf-8")
    searched = [
        json.loads(line)
        for line in _studyrag(
            tree, data, corpus, "search", "--batch", str(batch), "--json", "--top-k", "5"
        ).splitlines()
        if line.strip()
    ]
    answered = [
        json.loads(line)
        for line in _studyrag(
            tree, data, corpus, "ask", "--batch", str(batch), "--json"
        ).splitlines()
        if line.strip()
    ]
    at1, at5, facts = [], [], []
    for question, found, answer in zip(questions, searched, answered, strict=True):
        texts = [r["text"] for r in found["results"]]
        span = question.spans[0].text
        at1.append(bool(texts) and holds(texts[0], span))
        at5.append(any(holds(t, span) for t in texts))
        stated = [states_fact(answer["answer"], f) for f in question.facts]
        facts.append(sum(stated) / len(stated) if stated else 1.0)
    return at1, at5, facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old-commit", required=True)
    parser.add_argument("--family", action="append", choices=FAMILIES)
    args = parser.parse_args()
    print("| documents | build | text Recall@1 | text Recall@5 | key facts in the answer |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="studyrag-reading-") as tmp:
        work = Path(tmp)
        old = _old_tree(args.old_commit, work)
        try:
            for family in args.family or FAMILIES:
                corpus = REPO / "eval" / "documents" / family
                questions = load_gold(REPO / "eval" / "data" / f"docs_{family}_qa.jsonl", corpus)
                firsts = []
                for label, tree in ((f"{args.old_commit} (before)", old), ("this build", None)):
                    at1, at5, facts = _score(
                        label.split()[0], questions, tree, corpus, work / family
                    )
                    name = f"{family} ({len(questions)} q)"
                    print(
                        f"| {name} | {label} | {mean(at1):.2f} | {mean(at5):.2f} "
                        f"| {mean(facts):.2f} |"
                    )
                    firsts.append(at1)
                    sys.stdout.flush()
                lost = [q.qid for q, a, b in zip(questions, *firsts, strict=True) if a and not b]
                won = [q.qid for q, a, b in zip(questions, *firsts, strict=True) if b and not a]
                print(f"<!-- {family} at 1: won {won}, lost {lost} -->", file=sys.stderr)
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(work / "checkout")],
                check=False,
                capture_output=True,
            )


if __name__ == "__main__":
    main()
