"""`studyrag collections`: list, create, rename and delete the data folder's collections."""

from __future__ import annotations

from typing import Annotated

import typer

from studyrag.cli_support import load_base_settings, open_pipeline, user_errors
from studyrag.collections import CollectionCatalog
from studyrag.conversations import ConversationStore

collections_app = typer.Typer(
    no_args_is_help=True, help="Collections: a course or a subject each, with its own index."
)


def _catalog() -> CollectionCatalog:
    return CollectionCatalog(load_base_settings())


@collections_app.command("list")
def list_collections() -> None:
    """Every collection, the corpus folder's first."""
    with user_errors():
        catalog = _catalog()
        for collection in catalog.list():
            where = catalog.settings_for(collection).index.corpus_dir
            typer.echo(f"{collection.name}\tid {collection.id}\tfiles in {where}")


@collections_app.command()
def create(name: Annotated[str, typer.Argument(help="Like 'Statistics 101'.")]) -> None:
    """Make an empty collection; add files with `studyrag --collection NAME ingest FILES`."""
    with user_errors():
        created = _catalog().create(name)
        typer.echo(f"created {created.name} (id {created.id})")


@collections_app.command()
def rename(
    collection: Annotated[str, typer.Argument(help="Its name or id.")],
    name: Annotated[str, typer.Argument(help="The new name.")],
) -> None:
    """Show a collection under another name (its index keeps its id)."""
    with user_errors():
        catalog = _catalog()
        renamed = catalog.rename(catalog.get(collection), name)
        typer.echo(f"renamed to {renamed.name}")


@collections_app.command()
def delete(
    collection: Annotated[str, typer.Argument(help="Its name or id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask.")] = False,
) -> None:
    """Delete a collection: its index, files, practice progress and conversations."""
    with user_errors():
        catalog = _catalog()
        chosen = catalog.get(collection)
        if chosen.home:
            catalog.forget(chosen)  # raises the clear line
        if not yes:
            typer.confirm(f"Delete {chosen.name} and everything in it?", abort=True)
        settings = catalog.settings_for(chosen)
        open_pipeline(settings).drop()
        catalog.forget(chosen)
        removed = ConversationStore(settings.conversations_path).delete_collection(chosen.id)
        typer.echo(f"deleted {chosen.name} ({removed} conversations)")
