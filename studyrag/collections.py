"""Named collections of one data folder: a course or a subject each, with its own index.

The corpus folder's collection (``IndexSettings.collection``, ``corpus/`` by default) is always
there and cannot be deleted. Every other collection gets an id made from its first name (the Qdrant
collection and folder names never change; renaming changes the name shown) and a folder under
``data_dir/collections/<id>`` for its files and practice progress. The catalog is one JSON file,
changed under a file lock so two app sessions or a CLI call cannot lose each other's changes.
"""

from __future__ import annotations

import builtins  # the catalog's list() method hides the builtin inside the class
import json
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from filelock import FileLock

from studyrag.index.files import atomic_write_json
from studyrag.settings import Settings
from studyrag.types import StudyragError

CATALOG_VERSION = 1
MAX_NAME = 60
_ID_CHARS = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Collection:
    """One collection: a stable id (its index and folder), a name students see."""

    id: str
    name: str
    created_at: float
    home: bool = False  # the corpus folder's collection


def clean_name(name: str) -> str:
    """A collection name as typed, trimmed; one clear error when it is empty or too long."""
    text = " ".join(str(name).split())
    if not text:
        raise StudyragError("give the collection a name, like 'Statistics 101'")
    if len(text) > MAX_NAME:
        raise StudyragError(f"a collection name has at most {MAX_NAME} characters")
    return text


class CollectionCatalog:
    """The collections of ``settings.index.data_dir``; ``settings`` names the corpus folder's
    one."""

    def __init__(self, settings: Settings) -> None:
        self.base = settings
        self.path = settings.catalog_path
        self._lock = FileLock(str(self.path) + ".lock", timeout=10)

    # Reading ---------------------------------------------------------------------------------
    def _home(self, names: dict[str, str]) -> Collection:
        folder = self.base.index.corpus_dir.name or str(self.base.index.corpus_dir)
        return Collection(
            self.base.index.collection,
            names.get(self.base.index.collection, f"{folder}/"),
            0.0,
            home=True,
        )

    def _load(self) -> tuple[dict[str, str], list[Collection]]:
        if not self.path.exists():
            return {}, []
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") != CATALOG_VERSION:
                raise ValueError(f"unknown version {data.get('version')!r}")
            names = {str(k): str(v) for k, v in data.get("home_names", {}).items()}
            others = [Collection(**entry) for entry in data.get("collections", [])]
        except (OSError, ValueError, TypeError) as error:
            raise StudyragError(
                f"the collection list {self.path} is damaged ({error}); restore it or delete it "
                "(the collections' indexes stay on disk)"
            ) from None
        return names, [c for c in others if c.id != self.base.index.collection]

    def list(self) -> list[Collection]:
        """The corpus folder's collection first, then the others by name."""
        names, others = self._load()
        return [self._home(names), *sorted(others, key=lambda c: c.name.lower())]

    def get(self, key: str) -> Collection:
        """A collection by id or by name (case does not matter)."""
        wanted = key.strip().lower()
        for collection in self.list():
            if wanted in (collection.id.lower(), collection.name.lower()):
                return collection
        known = ", ".join(c.name for c in self.list())
        raise StudyragError(f"no collection named {key!r}; there is {known}")

    def settings_for(self, collection: Collection) -> Settings:
        """The settings that point every stage at ``collection``."""
        if collection.home:
            return self.base
        folder = self.base.index.data_dir / "collections" / collection.id
        return self.base.replace(
            collection=collection.id, collection_folder=folder, corpus_dir=folder / "files"
        )

    # Changing --------------------------------------------------------------------------------
    @contextmanager
    def _editing(self) -> Iterator[tuple[dict[str, str], builtins.list[Collection]]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            names, others = self._load()
            yield names, others
            atomic_write_json(
                self.path,
                {
                    "version": CATALOG_VERSION,
                    "home_names": names,
                    "collections": [asdict(c) for c in others],
                },
            )

    def _check_free(
        self, name: str, names: dict[str, str], others: builtins.list[Collection]
    ) -> None:
        taken = [self._home(names), *others]
        if any(c.name.lower() == name.lower() for c in taken):
            raise StudyragError(f"there is already a collection named {name!r}")

    def create(self, name: str) -> Collection:
        """A new, empty collection (its folder is made now, its index on the first upload)."""
        name = clean_name(name)
        with self._editing() as (names, others):
            self._check_free(name, names, others)
            stem = _ID_CHARS.sub("-", name.lower()).strip("-")[:40] or "collection"
            taken = {c.id for c in others} | {self.base.index.collection}
            ident, n = stem, 2
            while ident in taken or (self.base.index.data_dir / "collections" / ident).exists():
                ident, n = f"{stem}-{n}", n + 1
            created = Collection(ident, name, time.time())
            others.append(created)
        self.settings_for(created).index.uploads_dir.mkdir(parents=True, exist_ok=True)
        return created

    def rename(self, collection: Collection, name: str) -> Collection:
        """Show ``collection`` under another name (its index and folder keep their id)."""
        name = clean_name(name)
        with self._editing() as (names, others):
            if name.lower() != collection.name.lower():
                self._check_free(name, names, others)
            if collection.home:
                names[collection.id] = name
                return Collection(collection.id, name, collection.created_at, home=True)
            renamed = Collection(collection.id, name, collection.created_at)
            others[:] = [renamed if c.id == collection.id else c for c in others]
            return renamed

    def forget(self, collection: Collection) -> None:
        """Remove a collection from the list and delete its folder (files, practice progress).
        Its index is the pipeline's to drop (:meth:`StudyPipeline.drop`), before this."""
        if collection.home:
            raise StudyragError(
                "the corpus folder's collection cannot be deleted; remove files from "
                f"{self.base.index.corpus_dir} instead"
            )
        with self._editing() as (_names, others):
            others[:] = [c for c in others if c.id != collection.id]
        folder = self.settings_for(collection).index.collection_folder
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
