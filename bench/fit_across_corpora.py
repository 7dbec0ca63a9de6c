"""Choose the retrieval defaults across corpora, by leave-one-corpus-out (issue 22).

Usage: python bench/fit_across_corpora.py [--suite eval/suite.json] [--candidates 100]

Every set of the suite must be ingested (``studyrag eval suite --ingest`` does it). Per question
the dense and lexical candidates are fetched once; for every fusion weight the fused order is
computed, and the cross-encoder scores the units of every passage that reaches any reranked head
(the scores are shared across configurations, so the grid costs one rerank per passage). Then
each configuration (dense weight, rerank depth, rank penalty) is scored by arithmetic alone.

Fitting uses the dev split of each set only; held-out questions are scored, never fitted on.
For each corpus left out: the configuration best on the others' dev questions (mean Recall@1,
then MRR@10) and what it scores on the one left out, beside what that corpus would have chosen
alone. Prints Markdown (paste into BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
from dataclasses import dataclass
from pathlib import Path

from studyrag.eval.gate import GateConfig
from studyrag.eval.gold import GoldQuestion, load_gold
from studyrag.eval.retrieval_eval import judge
from studyrag.eval.suite import load_suite, set_settings
from studyrag.pipeline import StudyPipeline
from studyrag.retrieval.fusion import Fuser
from studyrag.retrieval.options import SearchOptions
from studyrag.settings import RetrievalMode, Settings
from studyrag.types import Chunk

REPO = Path(__file__).resolve().parents[1]
WEIGHTS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
DEPTHS = (0, 5, 10, 15, 20, 30, 40)  # 0: no rerank
PENALTIES = (0.0, 0.1, 0.25, 0.5, 1.0)


@dataclass
class QuestionData:
    qid: str
    split: str
    question: GoldQuestion
    fused: dict[float, list[str]]  # dense weight -> chunk ids, best first
    logits: dict[str, float]  # chunk id -> best unit logit
    chunks: dict[str, Chunk]
    bm25: list[str]


Config = tuple[float, int, float]


def collect(
    pipeline: StudyPipeline, gold: list[GoldQuestion], candidates: int
) -> list[QuestionData]:
    retriever = pipeline.retriever
    reranker = pipeline.unit_reranker()
    rows = []
    for question in gold:
        options = SearchOptions(top_k=candidates, candidates=candidates)
        found = retriever.candidates.run(question.question, options)
        fused: dict[float, list[str]] = {}
        for weight in WEIGHTS:
            hits = Fuser().run(found, SearchOptions(candidates=candidates, dense_weight=weight))
            fused[weight] = [h.chunk.chunk_id for h in hits]
        head = {c for ids in fused.values() for c in ids[: max(DEPTHS)]}
        hits = Fuser().run(found, SearchOptions(candidates=candidates))
        chosen = [h for h in hits if h.chunk.chunk_id in head]
        reranker.run(question.question, chosen, rank_penalty=0.0)
        logits = {h.chunk.chunk_id: float(h.rerank_score or 0.0) for h in chosen}
        bm25 = Fuser().run(found, SearchOptions(mode=RetrievalMode.BM25, candidates=candidates))
        rows.append(
            QuestionData(
                question.qid,
                question.split,
                question,
                fused,
                logits,
                dict(found.chunks),
                [h.chunk.chunk_id for h in bm25],
            )
        )
    return rows


def ranking(row: QuestionData, config: Config) -> list[str]:
    weight, depth, penalty = config
    ids = row.fused[weight]
    if depth == 0:
        return ids
    head = sorted(
        enumerate(ids[:depth]), key=lambda item: -(row.logits[item[1]] - penalty * item[0])
    )
    return [c for _r, c in head] + ids[depth:]


def scores(row: QuestionData, ids: list[str]) -> tuple[float, float, float]:
    relevant, _found = judge(row.question, [row.chunks[c] for c in ids[:10]])
    first = next((i for i, ok in enumerate(relevant, 1) if ok), None)
    return (
        1.0 if first == 1 else 0.0,
        1.0 if first is not None and first <= 5 else 0.0,
        1.0 / first if first else 0.0,
    )


def mean_scores(rows: list[QuestionData], config: Config | None) -> tuple[float, float, float]:
    if not rows:
        return (float("nan"),) * 3
    triples = [scores(r, r.bm25 if config is None else ranking(r, config)) for r in rows]
    return tuple(statistics.fmean(t[i] for t in triples) for i in range(3))  # type: ignore[return-value]


def objective(per_set: dict[str, list[QuestionData]], config: Config, names: list[str]) -> tuple:
    results = [mean_scores(per_set[n], config) for n in names]
    r1 = statistics.fmean(r[0] for r in results)
    mrr = statistics.fmean(r[2] for r in results)
    worst = min(r[0] for r in results)
    return (round(r1 + mrr + 0.5 * worst, 6), r1, mrr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--suite", type=Path, default=REPO / "eval/suite.json")
    parser.add_argument("--candidates", type=int, default=100)
    args = parser.parse_args()
    base = Settings()
    data: dict[str, list[QuestionData]] = {}
    sizes: dict[str, int] = {}
    for entry in load_suite(args.suite):
        config = GateConfig.load(entry.gate)
        settings = set_settings(base, entry, config)
        gold = load_gold(Path(config.gold), settings.index.corpus_dir)
        with StudyPipeline(settings) as pipeline:
            data[entry.name] = collect(pipeline, gold, args.candidates)
            sizes[entry.name] = pipeline.store.count()
        print(f"collected {entry.name}: {len(gold)} questions, {sizes[entry.name]} chunks")
    grid: list[Config] = list(itertools.product(WEIGHTS, DEPTHS, PENALTIES))
    dev = {n: [r for r in rows if r.split == "dev"] for n, rows in data.items()}
    held = {n: [r for r in rows if r.split == "heldout"] for n, rows in data.items()}
    fitted = [n for n in dev if dev[n]]

    def cell(rows: list[QuestionData], config: Config | None) -> str:
        r1, r5, mrr = mean_scores(rows, config)
        return f"{r1:.3f} / {r5:.3f} / {mrr:.3f}"

    print(
        "\n### Leave one corpus out (R@1 / R@5 / MRR@10 on the left-out set, all its questions)\n"
    )
    print("| left out | chunks | fitted on the others | its score | alone it would pick | alone |")
    print("|---|---|---|---|---|---|")
    for out in data:
        others = [n for n in fitted if n != out]
        best = max(grid, key=lambda c: objective(dev, c, others))
        own_rows = dev[out] or data[out]
        own = max(grid, key=lambda c: objective({out: own_rows}, c, [out]))
        print(
            f"| {out} | {sizes[out]} | w={best[0]} depth={best[1]} penalty={best[2]} | "
            f"{cell(data[out], best)} | w={own[0]} depth={own[1]} penalty={own[2]} | "
            f"{cell(data[out], own)} |"
        )
    shared = max(grid, key=lambda c: objective(dev, c, fitted))
    current: Config = (0.4, 5, 0.5)
    print(
        f"\nShared choice on every dev split: w={shared[0]} depth={shared[1]} penalty={shared[2]}"
    )
    print("\n| set | split | bm25 | today (w 0.4, depth 5, pen. 0.5) | hybrid | shared |")
    print("|---|---|---|---|---|---|")
    for name in data:
        for split, rows in (("dev", dev[name]), ("heldout", held[name])):
            if rows:
                print(
                    f"| {name} | {split} | {cell(rows, None)} | {cell(rows, current)} | "
                    f"{cell(rows, (shared[0], 0, 0.0))} | {cell(rows, shared)} |"
                )
    print(
        "\n### Depth on its own (w and penalty shared), R@1 / R@5 / MRR@10 per set, all questions\n"
    )
    print("| depth | " + " | ".join(data) + " |")
    print("|---|" + "---|" * len(data))
    for depth in DEPTHS:
        config = (shared[0], depth, shared[2])
        print(f"| {depth} | " + " | ".join(cell(data[n], config) for n in data) + " |")


if __name__ == "__main__":
    main()
