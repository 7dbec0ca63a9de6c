"""The collection catalog: names, ids, the settings each collection gets, and what deleting
one removes (the index itself is dropped by the pipeline: tests/test_collection_index.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studyrag.collections import CollectionCatalog
from studyrag.settings import Settings
from studyrag.types import StudyragError


@pytest.fixture
def catalog(tmp_path: Path) -> CollectionCatalog:
    return CollectionCatalog(Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus"))


def test_the_corpus_folder_collection_is_always_first_and_keeps_its_paths(
    catalog: CollectionCatalog,
) -> None:
    home = catalog.list()[0]
    assert home.home and home.id == "study" and home.name == "corpus/"
    settings = catalog.settings_for(home)
    assert settings is catalog.base
    assert settings.index.uploads_dir == catalog.base.index.data_dir / "uploads"
    assert settings.quiz_db_path == catalog.base.index.data_dir / "quiz.sqlite3"


def test_a_new_collection_gets_its_own_index_folder_and_progress(
    catalog: CollectionCatalog,
) -> None:
    created = catalog.create("  Statistics   101 ")
    assert created.name == "Statistics 101" and created.id == "statistics-101"
    settings = catalog.settings_for(created)
    home = catalog.base
    assert settings.index.collection_name == "statistics-101_minilm"
    assert (
        settings.index.edge_path != home.index.edge_path
        and settings.index.index_dir != home.index.index_dir
    )
    assert settings.index.corpus_dir == settings.index.uploads_dir  # its files are its uploads
    assert settings.index.uploads_dir.is_dir()
    assert settings.quiz_db_path.parent == home.index.data_dir / "collections" / "statistics-101"
    assert settings.conversations_path == home.conversations_path  # one list, by collection
    assert [c.name for c in catalog.list()] == ["corpus/", "Statistics 101"]


def test_names_are_unique_without_regard_to_case_and_ids_never_collide(
    catalog: CollectionCatalog,
) -> None:
    first = catalog.create("Biology")
    with pytest.raises(StudyragError, match="already a collection named"):
        catalog.create("biology")
    with pytest.raises(StudyragError, match="already a collection named"):
        catalog.create("CORPUS/")
    catalog.rename(first, "Biology I")
    second = catalog.create("Biology")
    assert second.id == "biology-2"  # the first one kept its id when renamed
    with pytest.raises(StudyragError, match="give the collection a name"):
        catalog.create("   ")
    with pytest.raises(StudyragError, match="at most 60"):
        catalog.create("x" * 61)
    only_symbols = catalog.create("???")
    assert only_symbols.id == "collection"


def test_renaming_keeps_the_id_and_finds_by_either(catalog: CollectionCatalog) -> None:
    created = catalog.create("Chemistry")
    renamed = catalog.rename(created, "Organic chemistry")
    assert renamed.id == created.id
    assert catalog.get("organic CHEMISTRY").id == created.id
    assert catalog.get(created.id).name == "Organic chemistry"
    home = catalog.rename(catalog.list()[0], "LLM notes")
    assert catalog.get("llm notes").home and home.id == "study"
    with pytest.raises(StudyragError, match="no collection named 'Physics'"):
        catalog.get("Physics")


def test_forgetting_removes_the_folder_but_never_the_corpus_collection(
    catalog: CollectionCatalog,
) -> None:
    created = catalog.create("Physics")
    folder = catalog.settings_for(created).index.collection_folder
    assert folder is not None
    (folder / "files" / "notes.md").write_text("# Notes\n", encoding="utf-8")
    catalog.forget(created)
    assert not folder.exists() and [c.name for c in catalog.list()] == ["corpus/"]
    with pytest.raises(StudyragError, match="cannot be deleted"):
        catalog.forget(catalog.list()[0])
    assert catalog.base.index.corpus_dir == catalog.settings_for(catalog.list()[0]).index.corpus_dir


def test_a_damaged_catalog_is_one_clear_error_and_is_not_overwritten(
    catalog: CollectionCatalog,
) -> None:
    catalog.create("Maths")
    catalog.path.write_text("{not json", encoding="utf-8")
    with pytest.raises(StudyragError, match=r"collection list .* is damaged"):
        catalog.list()
    with pytest.raises(StudyragError, match="is damaged"):
        catalog.create("Other")
    assert catalog.path.read_text(encoding="utf-8") == "{not json"


def test_two_catalogs_on_one_folder_see_each_others_changes(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus")
    one, two = CollectionCatalog(settings), CollectionCatalog(settings)
    one.create("History")
    two.create("Geography")
    assert [c.name for c in one.list()] == ["corpus/", "Geography", "History"]
    data = json.loads(settings.catalog_path.read_text(encoding="utf-8"))
    assert {c["id"] for c in data["collections"]} == {"history", "geography"}
