"""Start-up benchmark: wall time of whole CLI commands from a shell, each a fresh process.

Usage: python bench/bench_startup.py [--data-dir .studyrag] [--runs 3]

Measures `studyrag ingest corpus` with nothing changed, a cold `studyrag search`, a cold
`studyrag ask`, and `ask --batch` of 20 questions (models loaded once: the warm cost per question).
The index must exist (`make ingest`). Prints a Markdown table of medians (paste into BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STUDYRAG = Path(sys.executable).with_name("studyrag")
QUESTION = "How does LoRA cut fine-tuning cost?"
BATCH = [
    "How does LoRA cut fine-tuning cost?",
    "What is the KV cache of a 70B model?",
    "Why does RLHF add a KL penalty?",
    "What is speculative decoding?",
    "How does RoPE encode position?",
    "What does grouped-query attention save?",
    "How does DPO avoid a reward model?",
    "What is FlashAttention's trick?",
    "Why use RMSNorm instead of LayerNorm?",
    "How does PagedAttention help serving?",
] * 2


def timed(command: Sequence[str], env: dict[str, str], stdin: str | None = None) -> float:
    begin = time.perf_counter()
    subprocess.run(
        command, env=env, input=stdin, text=True, capture_output=True, check=True, cwd=REPO
    )
    return time.perf_counter() - begin


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=REPO / ".studyrag")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    env = {**os.environ, "STUDYRAG_DATA_DIR": str(args.data_dir.resolve())}
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(BATCH) + "\n")
        batch_file = handle.name
    commands = {
        "`studyrag ingest corpus`, nothing changed": [str(STUDYRAG), "ingest", "corpus"],
        "`studyrag search` (cold process)": [str(STUDYRAG), "search", QUESTION],
        "`studyrag ask` (cold process)": [str(STUDYRAG), "ask", QUESTION],
        f"`studyrag ask --batch` of {len(BATCH)} questions": [
            str(STUDYRAG),
            "ask",
            "--batch",
            batch_file,
            "--json",
        ],
    }
    load = os.getloadavg()[0]
    print(f"Start-up, median of {args.runs} runs, load average {load:.1f} at start\n")
    print("| command | wall s (median) | runs |")
    print("|---|---:|---:|")
    for label, command in commands.items():
        values = [timed(command, env) for _ in range(args.runs)]
        print(f"| {label} | {statistics.median(values):.2f} | {args.runs} |", flush=True)
    Path(batch_file).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
