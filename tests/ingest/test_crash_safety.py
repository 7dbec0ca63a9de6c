"""Ingest killed with a real SIGKILL at several points: the index stays queryable and converges."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from studyrag.index.bm25_sidecar import BM25Sidecar
from studyrag.index.manifest import Manifest
from studyrag.pipeline import StudyPipeline
from tests.conftest import CORPUS, make_settings

# Runs an ingest that SIGKILLs itself the moment a given progress message starts with PREFIX.
KILLER = """
import os, signal, sys
from pathlib import Path
from studyrag.pipeline import StudyPipeline
from studyrag.settings import Settings

data_dir, corpus, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
settings = Settings(data_dir=Path(data_dir), corpus_dir=Path(corpus))

def progress(message: str, fraction: float) -> None:
    print(message, flush=True)
    if message.startswith(prefix):
        os.kill(os.getpid(), signal.SIGKILL)

StudyPipeline(settings).ingest([Path(corpus)], progress)
print("finished", flush=True)
"""


def _state(settings) -> dict[str, object]:
    with StudyPipeline(settings) as pipeline:
        points = {c.chunk_id: c.content_hash for c in pipeline.store.iter_chunks()}
        hit = pipeline.search("What is the KV cache?", top_k=1).hits[0].chunk.chunk_id
    manifest = Manifest.load(settings.index.manifest_path)
    sidecar = BM25Sidecar.load(settings.index.sidecar_path)
    return {
        "points": points,
        "manifest": {k: (v.sha256, v.chunk_ids) for k, v in manifest.entries.items()},
        "sidecar": sorted(sidecar.chunk_ids),
        "top_hit": hit,
    }


def _edit_corpus(folder: Path) -> None:
    """Change one file, add one, delete one."""
    doc = folder / "003_d47b52dac9159beb.txt"
    text = doc.read_text(encoding="utf-8").replace("Positional Encodings", "Position Signals")
    doc.write_text(text + "\n**Q99: What is a crash-test question?**\n\nIt survives.\n", "utf-8")
    shutil.copy(CORPUS / "004_e211572a1213a5d4.txt", folder / "004_e211572a1213a5d4.txt")
    (folder / "000_719700789a3e1e11.txt").unlink()


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", ["embedded", "wrote", "updating the BM25 sidecar"])
def test_sigkill_mid_ingest_keeps_the_index_and_converges(tmp_path: Path, kill_at: str) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("000_719700789a3e1e11.txt", "003_d47b52dac9159beb.txt"):
        shutil.copy(CORPUS / name, corpus / name)
    settings = make_settings(tmp_path / "data", corpus_dir=corpus)
    with StudyPipeline(settings) as pipeline:
        pipeline.ingest()
    before = _state(settings)

    _edit_corpus(corpus)
    run = subprocess.run(
        [sys.executable, "-c", KILLER, str(settings.index.data_dir), str(corpus), kill_at],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == -signal.SIGKILL, run.stdout + run.stderr
    assert "finished" not in run.stdout

    # The previous index is still there and answers queries; the manifest is the old one.
    with StudyPipeline(settings) as pipeline:
        assert pipeline.search("What is the KV cache?", top_k=3).hits
        assert pipeline.store.count() > 0
    assert json.loads(settings.index.manifest_path.read_text("utf-8"))["entries"].keys() == set(
        before["manifest"]
    )

    with StudyPipeline(settings) as pipeline:
        pipeline.ingest()
    clean = make_settings(tmp_path / "clean", corpus_dir=corpus)
    with StudyPipeline(clean) as pipeline:
        pipeline.ingest()
    assert _state(settings) == _state(clean)
