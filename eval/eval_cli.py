"""`studyrag eval`: retrieval metrics, RAGAS, BEIR benchmarks and the CI gate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from studyrag.cli_support import fail, load_settings, user_errors, with_pipeline
from studyrag.settings import EmbeddingModelName, RetrievalMode
from studyrag.types import StudyragError

if TYPE_CHECKING:
    from studyrag.eval.gold import GoldQuestion
    from studyrag.eval.reports import Report
    from studyrag.pipeline import StudyPipeline
    from studyrag.settings import Settings

eval_app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Evaluate retrieval and answers on the gold set; benchmark on BEIR datasets.",
)

T = TypeVar("T")
DEFAULT_GOLD = Path("eval/data/study_qa.jsonl")
DEFAULT_REPORTS = Path("eval/reports")
DEFAULT_THRESHOLDS = Path("eval/gate_thresholds.json")
DEFAULT_BASELINE = Path("eval/baseline_retrieval.json")
DEFAULT_ANSWER_BASELINE = Path("eval/baseline_answers.json")

GoldOption = Annotated[Path, typer.Option(help="Gold JSONL with exact spans.", dir_okay=False)]
ReportsOption = Annotated[Path, typer.Option(help="Where run folders and history.jsonl go.")]
ModesOption = Annotated[
    list[RetrievalMode] | None,
    typer.Option("--mode", "-m", help="Configuration to run (repeatable; default: all four)."),
]


def _say(message: str) -> None:
    typer.echo(f"  {message}", err=True)


def _settings(**overrides: object) -> Settings:
    return load_settings(**overrides)


def _publish(report: Report, reports_dir: Path, enabled: bool) -> None:
    if not enabled:
        return
    from studyrag.eval.reports import write_report

    written = write_report(report, reports_dir)
    typer.echo(f"\nreport: {written.markdown}")
    if written.previous is not None:
        typer.echo(f"compared with the previous run: {written.previous.get('folder')}")


def _gold(settings: Settings, path: Path, limit: int | None = None) -> list[GoldQuestion]:
    from studyrag.eval.gold import load_gold

    with user_errors():
        if not path.is_file():
            raise StudyragError(f"gold file {path} not found")
        questions = load_gold(path, settings.index.corpus_dir)
    return questions[:limit] if limit else questions


@eval_app.command()
def retrieval(
    gold: GoldOption = DEFAULT_GOLD,
    mode: ModesOption = None,
    reports_dir: ReportsOption = DEFAULT_REPORTS,
    report: Annotated[bool, typer.Option(help="Write a report folder.")] = True,
) -> None:
    """Recall@5/10, hit@5, MRR@10, nDCG@10 and per-question misses for each configuration."""
    from studyrag.eval.reports import summary_table
    from studyrag.eval.retrieval_eval import evaluate_modes, retrieval_report, summary_with_latency

    settings = _settings()
    questions = _gold(settings, gold)
    modes = mode or list(RetrievalMode)

    def work(pipeline: StudyPipeline) -> None:
        _say(f"scoring {len(questions)} questions x {len(modes)} configurations")
        reports = evaluate_modes(pipeline, questions, modes)
        typer.echo(summary_table({r.mode: summary_with_latency(r) for r in reports}))
        for result in reports:
            misses = result.misses(5)
            typer.echo(f"\n{result.mode}: {len(misses)} of {len(result.scores)} missed at 5")
            for miss in misses:
                where = "not in top 10" if miss.first_relevant is None else miss.first_relevant
                typer.echo(f"  {miss.qid} (gold at {where}) {miss.question}")
        _publish(retrieval_report(reports, f"gold:{gold.name}"), reports_dir, report)

    with_pipeline(settings, work)


@eval_app.command()
def answers(
    gold: GoldOption = DEFAULT_GOLD,
    split: Annotated[str, typer.Option(help="Questions to score: all, dev or heldout.")] = "all",
    max_words: Annotated[
        int | None, typer.Option(min=20, max=1000, help="Answer word budget (extractive).")
    ] = None,
    baseline: Annotated[
        bool, typer.Option(help="Also score the first-N-words-of-the-top-passage baseline.")
    ] = True,
    reports_dir: ReportsOption = DEFAULT_REPORTS,
    report: Annotated[bool, typer.Option(help="Write a report folder.")] = True,
) -> None:
    """Key-fact recall, all-facts rate and answer length, per question and overall."""
    from studyrag.eval.answers import (
        answers_report,
        comparison_table,
        evaluate_answers,
        first_words_baseline,
    )

    if split not in ("all", "dev", "heldout"):
        fail("--split must be all, dev or heldout")
    settings = _settings()
    questions = [q for q in _gold(settings, gold) if split == "all" or q.split == split]

    def work(pipeline: StudyPipeline) -> None:
        from studyrag.assistant import Assistant

        assistant = Assistant(pipeline)
        _say(f"answering {len(questions)} questions")
        composed = evaluate_answers(assistant, questions, max_words, _say)
        reports = [composed]
        if baseline:
            words = int(composed.summary()["median_words"])
            reports.append(first_words_baseline(questions, composed.answers, words))
        typer.echo(comparison_table(reports))
        for score in composed.scores:
            if score.missing:
                typer.echo(f"  {score.qid} missing {score.missing}: {score.question}")
        _publish(answers_report(reports, f"gold:{gold.name}:{split}"), reports_dir, report)

    with_pipeline(settings, work)


@eval_app.command()
def ragas(
    gold: GoldOption = DEFAULT_GOLD,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N questions.")] = None,
    judge_url: Annotated[
        str | None, typer.Option(help="OpenAI-compatible judge URL (STUDYRAG_JUDGE_BASE_URL).")
    ] = None,
    judge_model: Annotated[str | None, typer.Option(help="Judge model name.")] = None,
    judge_runs: Annotated[
        int | None, typer.Option(min=1, max=10, help="Repeat the judge metrics N times.")
    ] = None,
    reports_dir: ReportsOption = DEFAULT_REPORTS,
    report: Annotated[bool, typer.Option(help="Write a report folder.")] = True,
) -> None:
    """RAGAS over the assistant's answers: LLM-free metrics always, judge metrics with a judge."""
    settings = _settings(judge_base_url=judge_url, judge_model=judge_model, judge_runs=judge_runs)
    questions = _gold(settings, gold, limit)

    def work(pipeline: StudyPipeline) -> None:
        from studyrag.offline import pin_offline

        pin_offline()  # before ragas and its clients import
        from studyrag.eval import ragas_eval
        from studyrag.eval.reports import summary_table

        assistant = ragas_eval.load_assistant(pipeline)
        records = ragas_eval.collect_records(assistant, pipeline, questions, _say)
        minilm = pipeline.models.embedder(
            settings.index.model_copy(update={"embedding_model": EmbeddingModelName.MINILM})
        )
        embeddings = ragas_eval.EmbedderEmbeddings(minilm)
        outcome = ragas_eval.run_ragas(records, settings, embeddings, _say)
        typer.echo(summary_table({"assistant": outcome.summary()}))
        typer.echo("\n" + ragas_eval.judge_section(outcome, settings.eval.judge_runs))
        label = f"gold:{gold.name}:{len(questions)}"
        _publish(ragas_eval.ragas_report(outcome, label, settings), reports_dir, report)

    with_pipeline(settings, work)


@eval_app.command()
def beir(
    path: Annotated[Path, typer.Argument(help="BEIR-layout folder (corpus.jsonl, queries...).")],
    split: Annotated[str, typer.Option(help="qrels split to score.")] = "test",
    mode: ModesOption = None,
    reindex: Annotated[bool, typer.Option(help="Re-embed even if an index exists.")] = False,
    max_queries: Annotated[int | None, typer.Option(min=1, help="Only the first N.")] = None,
    rerank_depth: Annotated[
        list[int] | None,
        typer.Option(min=1, max=200, help="Rerank depth (repeatable; default: the settings')."),
    ] = None,
    reports_dir: ReportsOption = DEFAULT_REPORTS,
    report: Annotated[bool, typer.Option(help="Write a report folder.")] = True,
) -> None:
    """Index a BEIR dataset into its own collection; nDCG@10, Recall@100, MRR@10, latency."""
    from studyrag.eval.beir import beir_markdown, beir_report, run_beir

    settings = _settings()
    with user_errors():
        run = run_beir(
            settings,
            path,
            mode or list(RetrievalMode),
            split=split,
            reindex=reindex,
            max_queries=max_queries,
            progress=_say,
            rerank_depths=rerank_depth,
        )
    typer.echo(beir_markdown(run))
    _publish(beir_report(run), reports_dir, report)


@eval_app.command()
def gate(
    thresholds: Annotated[
        Path, typer.Option(help="Minimums and allowed drops.", dir_okay=False)
    ] = DEFAULT_THRESHOLDS,
    baseline: Annotated[
        Path, typer.Option(help="Committed per-question results.", dir_okay=False)
    ] = DEFAULT_BASELINE,
    answer_baseline: Annotated[
        Path, typer.Option(help="Committed per-question answer facts.", dir_okay=False)
    ] = DEFAULT_ANSWER_BASELINE,
    mode: Annotated[
        RetrievalMode | None, typer.Option(help="Override the gated configuration.")
    ] = None,
    update_baseline: Annotated[
        bool, typer.Option(help="Write this run as the new baseline (after an intended change).")
    ] = False,
    ingest: Annotated[bool, typer.Option(help="Ingest the corpus first (incremental).")] = False,
    reports_dir: ReportsOption = DEFAULT_REPORTS,
    report: Annotated[bool, typer.Option(help="Also write a report folder.")] = False,
) -> None:
    """CI gate: fail (exit 1) on a metric under its minimum or a drop against the baseline.

    Retrieval first, then (when configured) the answers' key facts.
    """
    from studyrag.eval import answers as answering
    from studyrag.eval import gate as gating
    from studyrag.eval.retrieval_eval import evaluate

    with user_errors():
        config = gating.GateConfig.load(thresholds)
    # A gold set about other documents than the corpus folder is gated on those documents.
    settings = _settings(**({"corpus_dir": Path(config.corpus)} if config.corpus else {}))
    with user_errors():
        trusted = None if update_baseline else gating.Baseline.load(baseline)
        trusted_answers = (
            answering.AnswerBaseline.load(answer_baseline)
            if config.answers is not None and not update_baseline
            else None
        )
    questions = _gold(settings, Path(config.gold))
    chosen = mode or config.mode

    def work(pipeline: StudyPipeline) -> bool:
        from studyrag.assistant import Assistant

        if ingest:
            typer.echo(pipeline.ingest().summary(), err=True)
        _say(f"gating {chosen.value} on {len(questions)} questions")
        scored = evaluate(pipeline, questions, chosen)
        answered = None
        if config.answers is not None:
            _say("gating the answers' key facts")
            answered = answering.evaluate_answers(Assistant(pipeline), questions)
        if trusted is None:
            gating.Baseline.from_report(scored).save(baseline)
            typer.echo(f"baseline written to {baseline} ({scored.summary()})")
            if answered is not None:
                answering.AnswerBaseline.from_report(answered).save(answer_baseline)
                typer.echo(f"baseline written to {answer_baseline} ({answered.summary()})")
            return True
        result = gating.check(scored, config, trusted)
        typer.echo(gating.render(result))
        _publish(gating.gate_report(result, f"gold:{Path(config.gold).name}"), reports_dir, report)
        passed = result.passed
        if answered is not None and config.answers is not None and trusted_answers is not None:
            verdict = answering.check_answers(answered, config.answers, trusted_answers)
            typer.echo("\n" + answering.render_answer_gate(verdict))
            passed = passed and verdict.passed
        return passed

    if not with_pipeline(settings, work):
        raise typer.Exit(1)


DEFAULT_SUITE = Path("eval/suite.json")


@eval_app.command()
def suite(
    suite_file: Annotated[
        Path, typer.Option("--suite", help="The sets to run.", dir_okay=False)
    ] = DEFAULT_SUITE,
    only: Annotated[
        list[str] | None, typer.Option("--set", help="Only this set (repeatable).")
    ] = None,
    ingest: Annotated[bool, typer.Option(help="Ingest each set's documents first.")] = False,
    gate: Annotated[
        bool, typer.Option(help="Check every set against its baseline and floors (exit 1).")
    ] = False,
    update_baseline: Annotated[
        bool, typer.Option(help="Write this run as every set's new baseline.")
    ] = False,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the table as JSON here.")
    ] = None,
    scifact: Annotated[
        Path | None,
        typer.Option(
            help="Also a BEIR folder (e.g. SciFact), indexed and scored with the defaults."
        ),
    ] = None,
    scifact_queries: Annotated[
        int | None, typer.Option(help="Only the first N BEIR queries.", min=1)
    ] = None,
    reports_dir: ReportsOption = DEFAULT_REPORTS,
    report: Annotated[bool, typer.Option(help="Write a report folder (plot included).")] = True,
) -> None:
    """Every gold set with the same defaults: one table, and with --gate one verdict per set."""
    import json

    from studyrag.eval import answers as answering
    from studyrag.eval import gate as gating
    from studyrag.eval import suite as suites
    from studyrag.index.files import atomic_write_text

    base = _settings()
    with user_errors():
        entries = suites.load_suite(suite_file, only)
    results: list[suites.SetResult] = []
    verdicts: list[suites.SetVerdict] = []
    for entry in entries:
        with user_errors():
            config = gating.GateConfig.load(entry.gate)
        settings = suites.set_settings(base, entry, config)

        def work(
            pipeline: StudyPipeline,
            settings: Settings = settings,
            config: gating.GateConfig = config,
            name: str = entry.name,
        ) -> suites.SetResult:
            if ingest:
                typer.echo(f"  {name}: {pipeline.ingest().summary()}", err=True)
            return suites.run_set(pipeline, settings, config, name, _say)

        result = with_pipeline(settings, work)
        results.append(result)
        if update_baseline:
            gating.Baseline.from_report(result.retrieval).save(entry.retrieval_baseline)
            answering.AnswerBaseline.from_report(result.answers).save(entry.answer_baseline)
            typer.echo(f"  {entry.name}: baselines written", err=True)
        elif gate:
            with user_errors():
                verdicts.append(suites.gate_set(result, entry))
    run = suites.SuiteRun(results)
    if scifact is not None:
        from studyrag.eval.beir import run_beir

        with user_errors():
            beir = run_beir(
                base,
                scifact,
                [base.retrieval.mode],
                max_queries=scifact_queries,
                progress=_say,
            )
        row = suites.beir_row(beir.results[0].summary(), beir.queries, beir.index.chunks)
        run.beir[f"{beir.dataset}/{beir.split}"] = row
    typer.echo(suites.suite_table(run.summary()))
    if json_out is not None:
        atomic_write_text(json_out, json.dumps(run.summary(), indent=1) + "\n")
    _publish(suites.suite_report(run), reports_dir, report)
    for verdict in verdicts:
        typer.echo("\n" + verdict.text)
    if verdicts and not all(v.passed for v in verdicts):
        failed = ", ".join(v.name for v in verdicts if not v.passed)
        typer.echo(f"\nsuite gate FAILED on: {failed}")
        raise typer.Exit(1)
    if verdicts:
        typer.echo(f"\nsuite gate PASSED on {len(verdicts)} sets")


@eval_app.command("calibrate-refusal")
def calibrate_refusal(
    model: Annotated[
        list[EmbeddingModelName] | None,
        typer.Option("--model", help="Embedding model (repeatable; default: the settings')."),
    ] = None,
    suite_file: Annotated[
        Path, typer.Option("--suite", help="The sets to calibrate on.", dir_okay=False)
    ] = DEFAULT_SUITE,
    ingest: Annotated[bool, typer.Option(help="Ingest each set first (incremental).")] = False,
    answered: Annotated[
        float, typer.Option(help="Every set must answer at least this share.", min=0, max=1)
    ] = 0.97,
) -> None:
    """Refusal rules chosen across every gold set, each set also scored left out."""
    from studyrag.eval import calibrate_refusal as calibration
    from studyrag.eval import suite as suites

    base = _settings()
    with user_errors():
        entries = suites.load_suite(suite_file)
        for chosen in model or [base.index.embedding_model]:
            settings = base.replace(embedding_model=chosen)
            typer.echo(calibration.run(settings, entries, ingest, answered, _say))
