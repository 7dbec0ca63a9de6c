"""BEIR indexed through the ingest pipeline (now) beside the runner's own loop (before), one run.

    python bench/compare_beir_ingest.py [../shared/benchmarks/scifact] [--old-rev 9d71ea4]

The old runner is ``eval/beir.py`` as of ``--old-rev`` (read with ``git show``; it chunked,
embedded and wrote the sparse vectors in its own loop, fp32); the new one indexes with
``StudyPipeline.ingest_documents``, the steps ``studyrag ingest`` runs. Each indexes from nothing
into its own data folder, then both score the same configurations on the same queries. Prints
indexing time and chunks/s, and nDCG@10 / Recall@100 / MRR@10 per configuration, side by side.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from studyrag.eval import beir as new_beir
from studyrag.settings import RetrievalMode, Settings

REPO = Path(__file__).resolve().parents[1]


def _old_module(rev: str, folder: Path) -> ModuleType:
    source = subprocess.run(
        ["git", "show", f"{rev}:eval/beir.py"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    path = folder / "old_beir.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("old_beir", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_beir"] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "dataset", nargs="?", type=Path, default=REPO / "../shared/benchmarks/scifact"
    )
    parser.add_argument("--old-rev", default="9d71ea4")
    parser.add_argument("--max-queries", type=int, default=None)
    args = parser.parse_args()
    modes = [
        RetrievalMode.BM25,
        RetrievalMode.DENSE,
        RetrievalMode.HYBRID,
        RetrievalMode.HYBRID_RERANK,
    ]
    print(f"load average (1 min) at start: {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="studyrag-beir-compare-") as tmp:
        folder = Path(tmp)
        old = _old_module(args.old_rev, folder)
        runs = {}
        for label, module in (("before: own loop", old), ("now: ingest pipeline", new_beir)):
            settings = Settings(_env_file=None, data_dir=folder / label.split(":")[0])  # type: ignore[call-arg]
            runs[label] = module.run_beir(
                settings, args.dataset, modes, max_queries=args.max_queries,
                progress=lambda m, label=label: print(f"  [{label}] {m}", flush=True),
            )  # fmt: skip
        print(f"\nload average (1 min) at end: {os.getloadavg()[0]:.1f}\n")
        for label, run in runs.items():
            print(f"- {label}: {module_line(run)}")
        print("\n| configuration | " + " | ".join(runs) + " |")
        print("|---|" + "---|" * len(runs))
        first = next(iter(runs.values()))
        for result in first.results:
            cells = []
            for run in runs.values():
                values = next(r for r in run.results if r.mode == result.mode).summary()
                cells.append(
                    f"{values['ndcg@10']:.3f} / {values['recall@100']:.3f} / {values['mrr@10']:.3f}"
                )
            print(f"| {result.mode} (nDCG@10 / R@100 / MRR@10) | " + " | ".join(cells) + " |")


def module_line(run: object) -> str:
    stats = run.index  # type: ignore[attr-defined]
    chunks_per_s = stats.chunks / stats.seconds if stats.seconds else float("nan")
    return (
        f"{stats.documents} documents, {stats.chunks} chunks in {stats.seconds:.0f} s "
        f"({chunks_per_s:.0f} chunks/s)"
    )


if __name__ == "__main__":
    main()
