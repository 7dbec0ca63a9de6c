from __future__ import annotations

import resource
from pathlib import Path

import pytest

from studyrag.ingest.loaders import SkipFile, SourceFile, load_document
from studyrag.ingest.readers import BlockKind, PageUnit
from tests.ingest.readers.pdf_maker import body_lines, make_pdf, repeat_pdf

LIMIT = 200 * 2**20


def _read(path: Path, progress=None):
    return load_document(SourceFile(path, path.name), LIMIT, progress)


def _book(tmp_path: Path) -> Path:
    """Three pages: a contents page, then two body pages with running heads and page numbers."""
    contents = [("Contents", 72, 740, 20, "Helvetica-Bold")] + [
        (f"{n} Section number {n} . . . . . . . . . . {n + 2}", 72, 700 - 16 * n, 11, "Helvetica")
        for n in range(1, 9)
    ]
    page_one = [
        ("Lists and frames", 72, 730, 20, "Helvetica-Bold"),
        *body_lines(
            [
                "A list is an ordered collection whose components are de-\n"
                "fined by position; the first component is list[[1]].",
                "Frames hold variables of equal length.",
            ],
            top=690,
        ),
        ("- components can be of any mode", 72, 560, 11, "Helvetica"),
        ('> lst <- list(name="Fred")', 90, 530, 11, "Courier"),
        ("> lst$name", 90, 516, 11, "Courier"),
        ("Lists and frames", 250, 765, 9, "Helvetica"),
        ("2", 300, 40, 9, "Helvetica"),
    ]
    page_two = [
        ("Attaching frames", 72, 730, 16, "Helvetica-Bold"),
        *body_lines(["The attach() function puts a frame on the search path."], top=690),
        ("Lists and frames", 250, 765, 9, "Helvetica"),
        ("3", 300, 40, 9, "Helvetica"),
    ]
    return make_pdf(tmp_path / "book.pdf", [contents, page_one, page_two])


def test_pdf_reads_pages_headings_code_and_lists_without_running_heads(tmp_path: Path) -> None:
    document = _read(_book(tmp_path))
    assert document.page_unit is PageUnit.PAGE and document.pages == 3
    text = document.text
    assert "Section number" not in text  # the contents page is left out
    assert any("contents" in note for note in document.notes)
    assert text.count("Lists and frames") == 1  # the running head is gone, the heading stays
    assert "\n2\n" not in text and "\n3\n" not in text  # page numbers are gone
    # The line break is joined; the word broken by a hyphen at the line's end is whole again.
    assert "components are defined by position; the first component" in text
    headings = [b for b in document.blocks if b.kind is BlockKind.HEADING]
    assert [(text[b.start : b.end], b.level, b.page) for b in headings] == [
        ("# Lists and frames", 1, 2),
        ("## Attaching frames", 2, 3),
    ]
    code = next(b for b in document.blocks if b.kind is BlockKind.CODE)
    assert text[code.start : code.end] == '```\n> lst <- list(name="Fred")\n> lst$name\n```'
    item = next(b for b in document.blocks if b.kind is BlockKind.LIST_ITEM)
    assert text[item.start : item.end] == "- components can be of any mode"
    attach = text.index("The attach()")
    assert document.page_at(attach) == 3
    assert document.block_at(attach).section == ("Lists and frames", "Attaching frames")


def test_pdf_outline_gives_the_headings(tmp_path: Path) -> None:
    """The shared R manual has an outline: its section titles become headings with numbers."""
    shared = Path(__file__).resolve().parents[3] / "eval" / "documents" / "pdf" / "R-intro.pdf"
    document = _read(shared)
    headings = [document.text[b.start : b.end] for b in document.blocks if b.kind == "heading"]
    assert "## 6.1 Lists" in headings
    lists = next(b for b in document.blocks if document.text[b.start : b.end] == "## 6.1 Lists")
    assert lists.section == ("6 Lists and data frames", "6.1 Lists") and lists.page == 35
    assert "Table of Contents" not in document.text
    # The contents and both index appendices are left out, their dot leaders with them.
    assert ". . . . ." not in document.text
    assert document.notes == ["left out 10 table-of-contents or index pages"]


def test_encrypted_pdf_is_refused_in_one_line(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    plain = make_pdf(tmp_path / "plain.pdf", [body_lines(["Secret text here."])])
    writer = PdfWriter(clone_from=PdfReader(str(plain)))
    writer.encrypt(user_password="pw", owner_password="owner")
    locked = tmp_path / "locked.pdf"
    with locked.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(SkipFile, match="encrypted PDF") as info:
        _read(locked)
    assert "\n" not in str(info.value)


def test_pdf_without_a_text_layer_looks_scanned(tmp_path: Path) -> None:
    blank = make_pdf(tmp_path / "scan.pdf", [[], []])
    with pytest.raises(SkipFile, match="looks scanned: no text to index"):
        _read(blank)


@pytest.mark.parametrize("cut", [0.3, 0.6])
def test_truncated_or_broken_pdf_is_one_clear_line(tmp_path: Path, cut: float) -> None:
    good = make_pdf(tmp_path / "good.pdf", [body_lines(["Some text on the page."])])
    data = good.read_bytes()
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(data[: int(len(data) * cut)])
    try:
        document = _read(broken)
    except SkipFile as skip:  # pdfium could not repair it
        assert "\n" not in str(skip) and ("PDF" in str(skip) or "scanned" in str(skip))
    else:  # or it rebuilt the cross-reference table and read the text
        assert "Some text" in document.text


def test_broken_xref_table_is_repaired_or_refused(tmp_path: Path) -> None:
    good = make_pdf(tmp_path / "good.pdf", [body_lines(["Cross reference text."])])
    data = bytearray(good.read_bytes())
    xref = data.rfind(b"xref")
    data[xref : xref + 60] = b"x" * 60  # the table is garbage now
    broken = tmp_path / "xref.pdf"
    broken.write_bytes(bytes(data))
    try:
        document = _read(broken)
    except SkipFile as skip:
        assert "malformed PDF" in str(skip)
    else:
        assert "Cross reference text." in document.text


def test_a_3000_page_pdf_reports_progress_in_pages_with_bounded_memory(tmp_path: Path) -> None:
    pages = [
        body_lines([f"Page {n} talks about topic {n % 17} in one sentence."]) for n in range(100)
    ]
    path = repeat_pdf(tmp_path / "long.pdf", make_pdf(tmp_path / "100.pdf", pages), 30)
    seen: list[tuple[int, int]] = []
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    document = _read(path, lambda done, total: seen.append((done, total)))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert document.pages == 3000 and seen[-1] == (3000, 3000) and len(seen) >= 100
    assert document.page_at(document.text.rindex("Page 99 talks")) == 3000
    assert grown_mb < 400, f"reading 3000 pages grew the process by {grown_mb:.0f} MB"


def test_line_joining_repairs_hyphenation_and_ligatures() -> None:
    from studyrag.ingest.readers.pdf import _clean, _join_lines

    assert _join_lines(["homo\ufffe", "geneous data"]) == "homogeneous data"
    assert _join_lines(["a well-", "known fact"]) == "a well-known fact"
    assert _join_lines(["ends here.", "Next"]) == "ends here. Next"
    assert _clean("\ufb01rst \ufb02ow e\ufb03cient") == "first flow efficient"


def test_a_two_column_page_reads_down_each_column_and_joins_across_them(tmp_path: Path) -> None:
    """Each column is read top to bottom with its own margins; a sentence that runs from the
    foot of the left column into the right one stays one paragraph."""
    left = [f"left column sentence part {n} goes on" for n in range(12)]
    right = [f"right column words number {n} follow" for n in range(11)] + ["the end."]
    lines = [("A Two Column Paper Title", 150, 740, 18, "Helvetica-Bold")]
    lines += [(text, 60, 700 - 13 * n, 10, "Helvetica") for n, text in enumerate(left)]
    lines += [(text, 330, 700 - 13 * n, 10, "Helvetica") for n, text in enumerate(right)]
    document = _read(make_pdf(tmp_path / "columns.pdf", [lines]))
    paragraphs = [document.text[b.start : b.end] for b in document.blocks if b.kind == "paragraph"]
    assert paragraphs == [" ".join(left + right)]
