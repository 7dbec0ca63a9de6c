"""Which settings each component reads: a component takes only its group(s) at construction.

The table below is the answer a newcomer looks for; the test reads every signature from the
source (AST, no import) and fails when a component takes a group not listed, misses one, or
takes the whole ``Settings``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from studyrag.settings import GROUPS
from tests.test_architecture import module_files

GROUP_OF_CLASS = {model.__name__: group for group, model in GROUPS.items()}

# component (module:qualified name) -> the settings groups its signature takes
COMPONENT_GROUPS: dict[str, set[str]] = {
    "studyrag.index.store:open_store": {"index"},
    "studyrag.index.store:choose_lexical": {"index"},
    "studyrag.index.store:store_location": {"index"},
    "studyrag.index.store:store_engine_name": {"index"},
    "studyrag.index.edge_store:EdgeStore.__init__": {"index"},
    "studyrag.index.qdrant_store:QdrantStore.__init__": {"index"},
    "studyrag.index.qdrant_store:open_client": {"index"},
    "studyrag.ingest.ingestor:Ingestor.__init__": {"index", "ingest"},
    "studyrag.ingest.migrate:migrate_legacy_index": {"index"},
    "studyrag.registry:ModelRegistry.embedder": {"index"},
    "studyrag.registry:ModelRegistry.generator": {"answer"},
    "studyrag.generate:make_generator": {"answer"},
    "studyrag.generate.chat:ChatGenerator.__init__": {"answer"},
    "studyrag.generate.extractive:ExtractiveGenerator.__init__": {"answer"},
    "studyrag.generate.openai_chat:OpenAIChatGenerator.__init__": {"answer"},
    "studyrag.generate.local_llama:LocalLlamaGenerator.__init__": {"answer"},
    "studyrag.generate.refusal:RefusalPolicy.__init__": {"answer"},
    "studyrag.assistant:Assistant.__init__": {"answer"},
    "studyrag.pipeline:StudyPipeline.generator": {"answer"},
    "studyrag.quiz.grader:Grader.__init__": {"practice"},
    "studyrag.quiz.grader:Cutoffs.from_settings": {"practice"},
    "studyrag.quiz.bank:indexed_bank": {"index", "ingest"},
}
# The composition root: takes the whole Settings and hands each stage its group; these are the
# groups it reads itself.
ROOT_GROUPS = {"studyrag.pipeline:StudyPipeline": {"index", "ingest", "retrieval"}}
# Below the UI, CLI and eval layers nothing takes the whole Settings.
STAGE_PACKAGES = (
    "studyrag.index",
    "studyrag.embedding",
    "studyrag.ingest",
    "studyrag.retrieval",
    "studyrag.generate",
    "studyrag.text",
    "studyrag.assistant",
    "studyrag.registry",
    "studyrag.quiz.grader",
    "studyrag.quiz.bank",
)


def _tree(module: str) -> ast.Module:
    return ast.parse(module_files()[module].read_text(encoding="utf-8"))


def _find(tree: ast.Module, qualified: str) -> ast.AST:
    node: ast.AST = tree
    for part in qualified.split("."):
        node = next(
            child
            for child in ast.iter_child_nodes(node)
            if isinstance(child, ast.FunctionDef | ast.ClassDef) and child.name == part
        )
    return node


def _annotations(function: ast.FunctionDef) -> list[str]:
    arguments = function.args
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    return [ast.unparse(a.annotation) for a in every if a.annotation is not None]


def groups_taken(function: ast.FunctionDef) -> set[str]:
    """The settings groups named in ``function``'s parameter annotations."""
    names = {
        n.id
        for a in _annotations(function)
        for n in ast.walk(ast.parse(a))
        if isinstance(n, ast.Name)
    }
    return {GROUP_OF_CLASS[name] for name in names if name in GROUP_OF_CLASS}


@pytest.mark.parametrize("component", sorted(COMPONENT_GROUPS))
def test_each_component_takes_only_its_groups(component: str) -> None:
    module, qualified = component.split(":")
    function = _find(_tree(module), qualified)
    assert isinstance(function, ast.FunctionDef)
    assert "Settings" not in {a.strip() for a in _annotations(function)}, "takes the whole Settings"
    assert groups_taken(function) == COMPONENT_GROUPS[component]


def test_the_composition_root_reads_the_groups_listed() -> None:
    for root, expected in ROOT_GROUPS.items():
        module, qualified = root.split(":")
        read = {
            node.attr
            for node in ast.walk(_find(_tree(module), qualified))
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "settings"
            and node.attr in GROUPS
        }
        assert read == expected


def test_no_stage_takes_the_whole_settings() -> None:
    offenders = []
    for module, path in module_files().items():
        if not module.startswith(STAGE_PACKAGES):
            continue
        for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and any(
                a == "Settings" or a.startswith("Settings |") for a in _annotations(node)
            ):
                offenders.append(f"{module}:{node.name}")
    assert offenders == []


def test_a_component_given_the_whole_settings_is_caught() -> None:
    """The check itself can fail: a signature taking Settings is reported."""
    source = "def build(settings: Settings, answer: AnswerSettings) -> None: ..."
    function = ast.parse(source).body[0]
    assert isinstance(function, ast.FunctionDef)
    assert "Settings" in _annotations(function)
    assert groups_taken(function) == {"answer"}
