"""Which files are indexed, with their content hash and chunk ids (for incremental re-ingest)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from studyrag.index.files import atomic_write_json

MANIFEST_VERSION = 1


@dataclass
class ManifestEntry:
    source: str
    path: str  # absolute path the file was read from
    sha256: str
    chunk_ids: list[str]
    ingested_at: float
    encoding: str = "utf-8"
    pages: int = 0  # pages or slides read (0: a format without pages)


@dataclass
class Manifest:
    """The ingested state of one collection; written last, atomically, by each ingest."""

    entries: dict[str, ManifestEntry] = field(default_factory=dict)
    embedding_model: str = ""
    chunker_version: str = ""
    updated_at: float = 0.0
    # Fingerprint of the BM25 sidecar built from the collection; "" while an ingest is changing
    # the collection, so a sidecar is trusted on open without re-reading every chunk only when
    # the last ingest finished.
    sidecar_fingerprint: str = ""

    @classmethod
    def load(cls, path: Path) -> Manifest | None:
        """The manifest at ``path``; ``None`` when missing; ValueError when unreadable."""
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != MANIFEST_VERSION:
                raise ValueError(f"unknown manifest version {data.get('version')!r}")
            entries = {k: ManifestEntry(**v) for k, v in data["entries"].items()}
            return cls(
                entries=entries,
                embedding_model=data.get("embedding_model", ""),
                chunker_version=data.get("chunker_version", ""),
                updated_at=float(data.get("updated_at", 0.0)),
                sidecar_fingerprint=str(data.get("sidecar_fingerprint", "")),
            )
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ValueError(f"manifest {path} is corrupted ({error})") from error

    def save(self, path: Path) -> None:
        atomic_write_json(
            path,
            {
                "version": MANIFEST_VERSION,
                "embedding_model": self.embedding_model,
                "chunker_version": self.chunker_version,
                "updated_at": self.updated_at,
                "sidecar_fingerprint": self.sidecar_fingerprint,
                "entries": {k: asdict(v) for k, v in sorted(self.entries.items())},
            },
        )

    @property
    def chunk_count(self) -> int:
        return sum(len(e.chunk_ids) for e in self.entries.values())
