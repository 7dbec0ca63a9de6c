"""The chunker on documents read into the document model (no model: words stand for tokens)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from studyrag.ingest.chunker import ChunkerConfig, StructureChunker
from studyrag.ingest.loaders import SourceFile, load_document


def _words(texts: Sequence[str]) -> list[int]:
    return [len(t.split()) for t in texts]


PAGE = """<html><body><main>
<h1>Guide</h1><p>{intro}</p>
<h2>Lists</h2><p>{para}</p>
<ul>{items}</ul>
<h2>Code</h2><pre>{code}</pre>
<h3>Deeper</h3><p>Short closing words.</p>
</main></body></html>"""


def _document(tmp_path: Path):
    path = tmp_path / "guide.html"
    path.write_text(
        PAGE.format(
            intro="Intro words here. " * 20,
            para="A paragraph before the list with some words. " * 6,
            items="".join(f"<li>item number {n} of the list</li>" for n in range(8)),
            code="\n".join(f"line {n} = value {n}" for n in range(10)),
        ),
        encoding="utf-8",
    )
    return load_document(SourceFile(path, path.name), 2**20)


def test_chunks_follow_sections_and_keep_lists_and_code_whole(tmp_path: Path) -> None:
    document = _document(tmp_path)
    chunks = StructureChunker(_words, ChunkerConfig(max_tokens=80, overlap_tokens=10)).run(document)
    headings = {b.start: b.section for b in document.blocks if b.kind == "heading"}
    for chunk in chunks:
        inside = [s for start, s in headings.items() if chunk.start < start < chunk.end]
        assert not inside, f"{chunk.chunk_id} straddles a heading"
        assert chunk.heading_path and chunk.title == chunk.heading_path[-1]
    lists = [c for c in chunks if "- item number 0" in c.text]
    assert len(lists) == 1 and "- item number 7 of the list" in lists[0].text  # kept whole
    code = next(c for c in chunks if "line 0 = value 0" in c.text)
    assert "line 9 = value 9" in code.text and code.heading_path == ("Guide", "Code")
    deeper = next(c for c in chunks if "Short closing words." in c.text)
    assert deeper.heading == "Guide > Code > Deeper"
    assert all(document.text[c.start : c.end] == c.text for c in chunks)  # offsets are exact


def test_a_code_block_over_the_window_is_cut_at_its_lines(tmp_path: Path) -> None:
    document = _document(tmp_path)
    chunks = StructureChunker(_words, ChunkerConfig(max_tokens=40, overlap_tokens=5)).run(document)
    originals = {f"line {n} = value {n}" for n in range(10)}
    pieces = [c for c in chunks if "= value" in c.text]
    assert len(pieces) >= 2  # 10 lines of 4 words do not fit 40 tokens with the heading
    shown = [line for p in pieces for line in p.text.splitlines() if "= value" in line]
    assert set(shown) == originals  # every line is in some chunk, and only whole lines are
