from __future__ import annotations

from pathlib import Path

import pytest

from studyrag.ingest.loaders import SkipFile, SourceFile, decode_bytes, discover, load_document

LIMIT = 1024 * 1024


def _load(path: Path):
    return load_document(SourceFile(path, path.name), LIMIT)


def test_utf8_text_loads_with_hash(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("# Hello\n\nworld\n", encoding="utf-8")
    document = _load(path)
    assert document.text.startswith("# Hello")
    assert document.encoding == "utf-8" and len(document.sha256) == 64


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"  \n\t\n", "only whitespace"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        ("noise.txt", bytes(range(128, 256)) * 20, "cannot decode"),
        ("data.xyz", b"hello", "unsupported file type '.xyz'"),
        ("broken.pdf", b"%PDF-1.4 not really a pdf", "malformed PDF"),
        ("broken.docx", b"PK\x03\x04 nope", "malformed DOCX"),
    ],
)
def test_bad_files_are_refused_with_one_clear_reason(tmp_path, name, content, reason) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SkipFile, match=reason) as info:
        _load(path)
    assert "\n" not in str(info.value)


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # a sparse 50 MB file
    with pytest.raises(SkipFile, match=r"50\.0 MB is over the 1 MB limit"):
        _load(path)


def test_legacy_encodings_are_detected() -> None:
    assert decode_bytes("caf\u00e9 na\u00efve r\u00e9sum\u00e9 ".encode("cp1252") * 4) == (
        "caf\u00e9 na\u00efve r\u00e9sum\u00e9 " * 4,
        "cp1252",
    )


def test_html_is_reduced_to_text_without_scripts(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><script>alert('x')</script></head><body><h1>KV cache</h1>"
        "<p>Stores keys and values.</p></body></html>",
        encoding="utf-8",
    )
    text = _load(path).text
    assert "KV cache" in text and "Stores keys" in text and "alert" not in text


def test_docx_text_is_extracted(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Q1. What is LoRA?")
    document.add_paragraph("Low-rank adapters on frozen weights.")
    path = tmp_path / "notes.docx"
    document.save(str(path))
    assert "Low-rank adapters" in _load(path).text


def test_discover_skips_hidden_and_symlinked_folders_and_reports_missing(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("b", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "c.txt").write_text("c", encoding="utf-8")
    (tmp_path / "a.txt").write_text("a", encoding="utf-8")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    files, refused, roots = discover([tmp_path, tmp_path / "missing.txt"])
    assert [f.source for f in files] == ["a.txt", "sub/b.txt"]
    assert refused == [(tmp_path / "missing.txt", "no such file or folder")]
    assert roots == [tmp_path.resolve()]
