"""The `studyrag` command line: a thin shell over :class:`~studyrag.pipeline.StudyPipeline`."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from studyrag.cli_support import _State, fail, load_settings, with_pipeline
from studyrag.collections_cli import collections_app
from studyrag.eval.eval_cli import eval_app
from studyrag.offline import pin_offline
from studyrag.quiz.quiz_cli import quiz_app
from studyrag.settings import EmbeddingModelName, GeneratorBackend, RetrievalMode
from studyrag.types import StudyragError

if TYPE_CHECKING:
    from studyrag.generate.base import Answer
    from studyrag.pipeline import StudyPipeline

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Offline study assistant: ingest a corpus, search it, get grounded answers.",
)


@app.callback()
def main_options(
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the index lives (STUDYRAG_DATA_DIR).")
    ] = None,
    model: Annotated[
        EmbeddingModelName | None,
        typer.Option(help="Embedding model (STUDYRAG_EMBEDDING_MODEL)."),
    ] = None,
    qdrant_url: Annotated[
        str | None, typer.Option(help="Qdrant server URL instead of local mode.")
    ] = None,
    collection: Annotated[
        str | None,
        typer.Option(
            help="Work in this collection (name or id; `studyrag collections list`). "
            "Default: the corpus folder's."
        ),
    ] = None,
) -> None:
    pin_offline()
    _State.overrides = {"data_dir": data_dir, "embedding_model": model, "qdrant_url": qdrant_url}
    _State.collection = collection


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (default: the corpus folder).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only print the summary.")] = False,
) -> None:
    """Index files incrementally: unchanged files are skipped, deleted ones removed."""
    settings = load_settings()

    def work(pipeline: StudyPipeline) -> None:
        def progress(message: str, _fraction: float) -> None:
            if not quiet:
                typer.echo(f"  {message}", err=True)

        report = pipeline.ingest(paths or None, progress)
        for path, reason in report.skipped:
            typer.echo(f"skipped {path}: {reason}")
        for note in report.notes:
            typer.echo(f"note: {note}")
        typer.echo(report.summary())

    with_pipeline(settings, work)


def _print_result(result: dict[str, Any]) -> None:
    typer.echo(f"\n{result['query']}")
    if not result["results"]:
        typer.echo("  (no passages found)")
    for row in result["results"]:
        why = []
        if row["dense_rank"]:
            why.append(f"dense #{row['dense_rank']}")
        if row["bm25_rank"]:
            why.append(f"bm25 #{row['bm25_rank']}")
        if row["rerank_score"] is not None:
            why.append(f"rerank {row['rerank_score']:.2f}")
        typer.echo(f"  [{row['rank']}] {row['source']} :: {row['heading']}")
        typer.echo(f"      chars {row['start']}-{row['end']}; {', '.join(why)}")
        snippet = " ".join(row["text"].split())
        typer.echo(f"      {snippet[:220]}{'...' if len(snippet) > 220 else ''}")


@app.command()
def search(
    query: Annotated[str | None, typer.Argument(help="The question.")] = None,
    top_k: Annotated[int | None, typer.Option("--top-k", "-k", min=1, max=100)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per query.")] = False,
    batch: Annotated[
        Path | None, typer.Option(help="File with one question per line.", dir_okay=False)
    ] = None,
    mode: Annotated[RetrievalMode | None, typer.Option(help="Retriever configuration.")] = None,
    source: Annotated[
        list[str] | None, typer.Option(help="Only search these source files (repeatable).")
    ] = None,
) -> None:
    """Search the index: dense + BM25, fused, reranked."""
    if (query is None) == (batch is None):
        fail("give a question or --batch FILE (not both)")
    settings = load_settings()
    if batch is not None:
        try:
            questions = batch.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            fail(f"cannot read {batch}: {error}")
    else:
        questions = [query or ""]

    def work(pipeline: StudyPipeline) -> None:
        for question in questions:
            if batch is not None and not question.strip():
                continue
            try:
                result = pipeline.search(question, top_k=top_k, mode=mode, sources=source)
            except StudyragError as error:
                if batch is None:
                    raise
                typer.echo(json.dumps({"query": question, "error": str(error), "results": []}))
                continue
            data = result.to_dict()
            if as_json:
                typer.echo(json.dumps(data, ensure_ascii=False))
            else:
                _print_result(data)

    with_pipeline(settings, work)


def _answer_json(answer: Answer) -> dict[str, Any]:
    """The documented shape, plus the nearest passages when the answer is a refusal."""
    from studyrag.types import Citation

    data = answer.to_dict()
    if answer.refused:
        data["nearest"] = [Citation.of_chunk(p.chunk, p.n).to_dict() for p in answer.passages]
    return data


def _print_answer(answer: Answer) -> None:
    typer.echo(answer.text)
    for warning in answer.warnings:
        typer.echo(f"note: {warning}")
    shown = [(c.n, c.passage) for c in answer.citations]
    if answer.refused:
        shown = [(p.n, p.chunk) for p in answer.passages]
    if shown:
        typer.echo("\nNearest passages:" if answer.refused else "\nSources:")
    for n, chunk in shown:
        typer.echo(f"  [{n}] {chunk.citation_label}")


def _read_batch(batch: Path) -> list[str]:
    """Lines of a batch file, or one clear error."""
    try:
        return batch.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read {batch}: {error}")
        raise  # unreachable


@app.command()
def ask(
    question: Annotated[str | None, typer.Argument(help="The question.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per question.")] = False,
    batch: Annotated[
        Path | None,
        typer.Option(help="File with one question per line (models load once).", dir_okay=False),
    ] = None,
    backend: Annotated[
        GeneratorBackend | None, typer.Option(help="Answer generator (STUDYRAG_BACKEND).")
    ] = None,
    top_k: Annotated[int | None, typer.Option("--top-k", "-k", min=1, max=100)] = None,
    max_words: Annotated[
        int | None,
        typer.Option(
            min=20, max=1000, help="Extractive answer budget (STUDYRAG_ANSWER_MAX_WORDS)."
        ),
    ] = None,
    source: Annotated[
        list[str] | None, typer.Option(help="Only answer from these source files (repeatable).")
    ] = None,
) -> None:
    """Answer from the corpus with [n] citations, or say the corpus does not cover it."""
    if (question is None) == (batch is None):
        fail("give a question or --batch FILE (not both)")
    settings = load_settings()
    questions = _read_batch(batch) if batch is not None else [question or ""]

    def work(pipeline: StudyPipeline) -> None:
        from studyrag.assistant import AskRequest, Assistant
        from studyrag.generate.base import Answer

        assistant = Assistant(pipeline)
        request = AskRequest(
            backend=backend,
            top_k=top_k,
            sources=frozenset(source) if source else None,
            max_words=max_words,
        )
        live = not as_json and assistant.generator(request.backend).streams
        for line in questions:
            if batch is not None and not line.strip():
                continue
            try:
                stream = assistant.ask_stream(line, request=request)
                for item in stream:
                    if not isinstance(item, Answer):
                        if live:  # LLM tokens as they arrive; the checked answer follows
                            typer.echo(item, nl=False, err=True)
                        continue
                    if live:
                        typer.echo("", err=True)
                    if as_json:
                        typer.echo(json.dumps(_answer_json(item), ensure_ascii=False))
                    else:
                        _print_answer(item)
            except StudyragError as error:
                if batch is None:
                    raise
                if as_json:
                    typer.echo(json.dumps({"question": line, "error": str(error)}))
                else:
                    typer.echo(f"\n{line[:80]}\nerror: {error}")

    with_pipeline(settings, work)


@app.command()
def status() -> None:
    """Show what the index holds."""
    import datetime

    settings = load_settings()

    def work(pipeline: StudyPipeline) -> None:
        info = pipeline.status()
        when = (
            datetime.datetime.fromtimestamp(info.last_ingest).isoformat(timespec="seconds")
            if info.last_ingest
            else "never"
        )
        typer.echo(f"collection: {info.collection} ({info.embedding_model}) at {info.location}")
        typer.echo(f"engine: {info.engine}; lexical path: {info.lexical}")
        typer.echo(f"files: {len(info.files)}; chunks: {info.chunks}; last ingest: {when}")
        for name in info.files:
            typer.echo(f"  {name}")
        for note in info.notes:
            typer.echo(f"note: {note}")

    with_pipeline(settings, work)


@app.command()
def documents(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array.")] = False,
) -> None:
    """List the collection's documents: pages, chunks, when indexed, where from."""
    import datetime

    settings = load_settings()

    def work(pipeline: StudyPipeline) -> None:
        listed = pipeline.documents()
        if as_json:
            rows = [
                {
                    "source": d.source,
                    "pages": d.pages,
                    "chunks": d.chunks,
                    "indexed_at": d.indexed_at,
                    "uploaded": d.uploaded,
                }
                for d in listed
            ]
            typer.echo(json.dumps(rows, indent=2))
            return
        for d in listed:
            when = datetime.datetime.fromtimestamp(d.indexed_at).isoformat(timespec="minutes")
            pages = f"{d.pages} pages, " if d.pages else ""
            origin = "uploaded" if d.uploaded else "corpus folder"
            typer.echo(f"{d.source}: {pages}{d.chunks} chunks, indexed {when} ({origin})")
        typer.echo(f"{len(listed)} documents")

    with_pipeline(settings, work)


@app.command()
def remove(
    source: Annotated[str, typer.Argument(help="The document's name (`documents`).")],
) -> None:
    """Delete an uploaded document from the collection: file, chunks, BM25 entries."""
    settings = load_settings()

    def work(pipeline: StudyPipeline) -> None:
        typer.echo(pipeline.remove_document(source).summary())

    with_pipeline(settings, work)


APP_SCRIPT = Path(__file__).resolve().parents[1] / "app.py"


@app.command("export-feedback")
def export_feedback(
    out: Annotated[
        Path | None, typer.Argument(help="Write here instead of standard output.", dir_okay=False)
    ] = None,
) -> None:
    """Up-voted answers from the app as gold JSONL rows (the format of eval/data/study_qa.jsonl)."""
    from studyrag.ui.feedback import FeedbackStore

    data = FeedbackStore.for_settings(load_settings()).export_gold()
    if out is None:
        sys.stdout.write(data)
        return
    try:
        out.write_text(data, encoding="utf-8")
    except OSError as error:
        fail(f"cannot write {out}: {error.strerror or error}")
    typer.echo(f"wrote {data.count(chr(10))} gold rows to {out}", err=True)


def is_loopback(address: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[] ")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


@app.command()
def serve(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the chat UI.")] = 8501,
    address: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Start the chat UI with its models loading as the server starts, not on the first visit."""
    import logging
    import threading

    from streamlit.web import cli as streamlit_cli

    if any(v is not None for v in _State.overrides.values()) or _State.collection:
        fail(
            "serve reads STUDYRAG_* variables only (the page reads them too); e.g. "
            "STUDYRAG_DATA_DIR=... studyrag serve"
        )
    settings = load_settings()
    if not is_loopback(address) and settings.app.app_password is None:
        fail(
            f"listening on {address} lets anyone who can reach it read your documents; set "
            "STUDYRAG_APP_PASSWORD, or keep the default --address 127.0.0.1"
        )
    if not APP_SCRIPT.is_file():
        fail(f"{APP_SCRIPT} not found; run from a source checkout (make run)")
    log = logging.getLogger("studyrag.serve")

    def preload() -> None:
        from studyrag.ui import state

        try:
            seconds = state.preload(settings)
            typer.echo(f"studyrag: models and index ready ({seconds:.1f} s)", err=True)
        except (StudyragError, RuntimeError) as error:  # the page shows it on first visit
            log.warning("preload failed: %s", error)

    threading.Thread(target=preload, name="studyrag-preload", daemon=True).start()
    streamlit_cli.main.main(
        args=[
            "run",
            str(APP_SCRIPT),
            "--server.headless",
            "true",
            "--server.address",
            address,
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
            # No source watcher: a served app does not reload on edits, and polling every module
            # file competes with indexing for the CPU.
            "--server.fileWatcherType",
            "none",
            # The drop zone states (and enforces) studyrag's own file limit, in whole MB.
            "--server.maxUploadSize",
            str(max(1, math.ceil(settings.ingest.max_file_mb))),
        ],
        prog_name="streamlit",
    )


app.add_typer(eval_app, name="eval")
app.add_typer(collections_app, name="collections")
app.add_typer(quiz_app, name="quiz", help="Mock interviews graded against the corpus.")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except BrokenPipeError:  # `studyrag search ... | head`
        sys.stderr.close()


if __name__ == "__main__":
    main()
