from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from studyrag.ingest.loaders import SkipFile, SourceFile, load_document
from studyrag.ingest.readers import BlockKind, PageUnit

DOCUMENTS = Path(__file__).resolve().parents[3] / "eval" / "documents" / "office"


def _load(path: Path):
    return load_document(SourceFile(path, path.name), 2**24)


def test_docx_keeps_heading_styles_lists_code_and_tables(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Git basics", level=1)
    document.add_heading("Committing", level=2)
    document.add_paragraph("Stage files first.")
    document.add_paragraph().add_run("git add file.txt").font.name = "Courier New"
    document.add_paragraph("one change per commit", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Command", "Effect"
    table.cell(1, 0).text, table.cell(1, 1).text = "git add", "stage"
    path = tmp_path / "notes.docx"
    document.save(str(path))
    read = _load(path)
    kinds = [b.kind for b in read.blocks]
    assert kinds == [
        BlockKind.HEADING,
        BlockKind.HEADING,
        BlockKind.PARAGRAPH,
        BlockKind.CODE,
        BlockKind.LIST_ITEM,
        BlockKind.TABLE,
    ]
    assert read.blocks[2].section == ("Git basics", "Committing")
    assert read.blocks[-1].rows == (("Command", "Effect"), ("git add", "stage"))


def test_shared_docx_pptx_and_epub_read_with_sections() -> None:
    docx_doc = _load(DOCUMENTS / "gittutorial.docx")
    assert "## Importing a new project" in docx_doc.text.split("\n\n")
    pptx_doc = _load(DOCUMENTS / "gitcore-tutorial.pptx")
    assert pptx_doc.page_unit is PageUnit.SLIDE and pptx_doc.pages == 23
    first = pptx_doc.blocks[0]
    assert first.kind is BlockKind.HEADING and first.page == 1
    assert {b.page for b in pptx_doc.blocks} == set(range(1, 24))
    epub_doc = _load(DOCUMENTS / "gittutorial-2.epub")
    headings = [b.section[-1] for b in epub_doc.blocks if b.kind is BlockKind.HEADING]
    assert "The Git object database" in headings
    assert any(b.kind is BlockKind.CODE for b in epub_doc.blocks)


def test_pptx_slides_are_sections_with_speaker_notes(tmp_path: Path) -> None:
    from pptx import Presentation

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Merging"
    slide.placeholders[1].text_frame.text = "A merge joins two histories."
    slide.notes_slide.notes_text_frame.text = "Mention fast-forward merges."
    path = tmp_path / "deck.pptx"
    deck.save(str(path))
    read = _load(path)
    assert read.text == (
        "# Merging\n\nA merge joins two histories.\n\nSpeaker notes: Mention fast-forward merges."
    )
    assert [b.page for b in read.blocks] == [1, 1, 1]


def test_a_deck_of_images_only_is_refused(tmp_path: Path) -> None:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank
    image = tmp_path / "dot.png"
    from PIL import Image

    Image.new("RGB", (4, 4), "red").save(image)
    slide.shapes.add_picture(str(image), Inches(1), Inches(1))
    path = tmp_path / "images.pptx"
    deck.save(str(path))
    with pytest.raises(SkipFile, match="no text in the slides"):
        _load(path)


@pytest.mark.parametrize("suffix", [".docx", ".pptx", ".epub"])
def test_corrupt_archives_are_one_clear_line(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(b"PK\x03\x04 this is not a zip archive at all")
    with pytest.raises(SkipFile, match=f"malformed {suffix[1:].upper()}") as info:
        _load(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("suffix", [".docx", ".epub"])
def test_zip_bombs_are_refused_before_unpacking(tmp_path: Path, suffix: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (64 * 2**20))
    path = tmp_path / f"bomb{suffix}"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(SkipFile, match="likely zip bomb"):
        _load(path)


def test_an_epub_whose_spine_is_empty_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "META-INF/container.xml",
            '<container><rootfiles><rootfile full-path="content.opf"/></rootfiles></container>',
        )
        archive.writestr("content.opf", "<package><manifest/><spine/></package>")
    path = tmp_path / "empty.epub"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(SkipFile, match="spine lists no chapters"):
        _load(path)
