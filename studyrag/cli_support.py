"""What every `studyrag` command shares: settings with command-line overrides, one-line errors,
and the pipeline's lifetime. The root CLI and its `eval` and `quiz` groups import this module; it
imports none of them (no cycles)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError

from studyrag.settings import Settings, settings_error
from studyrag.types import StudyragError

if TYPE_CHECKING:
    from studyrag.pipeline import StudyPipeline

T = TypeVar("T")


class _State:
    overrides: dict[str, Any] = {}  # noqa: RUF012 - one CLI invocation, one state
    collection: str | None = None  # --collection: a name or id from the catalog


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one clear line on stderr and exit."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def load_base_settings(**extra: Any) -> Settings:
    """Settings from STUDYRAG_* variables plus command-line overrides, before --collection."""
    values = {k: v for k, v in {**_State.overrides, **extra}.items() if v is not None}
    try:
        return Settings(**values)
    except ValidationError as error:
        fail(settings_error(error))
        raise  # unreachable; keeps type checkers happy


def load_settings(**extra: Any) -> Settings:
    """Settings from STUDYRAG_* variables plus command-line overrides, pointed at the
    collection ``--collection`` names (default: the corpus folder's)."""
    settings = load_base_settings(**extra)
    if _State.collection is None:
        return settings
    from studyrag.collections import CollectionCatalog

    with user_errors():
        catalog = CollectionCatalog(settings)
        return catalog.settings_for(catalog.get(_State.collection))
    raise AssertionError("unreachable")


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn expected failures into one line and an exit code, never a traceback."""
    try:
        yield
    except StudyragError as error:
        fail(str(error))
    except KeyboardInterrupt:
        fail("interrupted; the previous index is still intact", 130)


def open_pipeline(settings: Settings) -> StudyPipeline:
    from studyrag.pipeline import StudyPipeline

    return StudyPipeline(settings)


def with_pipeline(settings: Settings, work: Callable[[StudyPipeline], T]) -> T:
    """Open the pipeline, run ``work`` with it, close it; user errors exit with one line."""
    with user_errors():
        pipeline = open_pipeline(settings)
        try:
            return work(pipeline)
        finally:
            pipeline.close()
    raise AssertionError("unreachable")
