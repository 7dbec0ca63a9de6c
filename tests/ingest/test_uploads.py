"""Uploads from the browser: safe names, content checks, and indexing through the pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from studyrag.ingest.uploads import UploadFolder, check_upload, safe_name
from studyrag.types import StudyragError
from tests.conftest import REPO

OFFICE = REPO / "eval" / "documents" / "office"
PDF_BYTES = b"%PDF-1.7\n%fake but well-marked\n"
MB = 2**20


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("notes.pdf", "notes.pdf"),
        ("../../x.pdf", "x.pdf"),
        ("..\\..\\windows\\evil.docx", "evil.docx"),
        ("/etc/passwd.txt", "passwd.txt"),
        (".hidden.md", "hidden.md"),
        ("week 3: attention?.html", "week 3_ attention_.html"),
        ("a" * 300 + ".pdf", "a" * 116 + ".pdf"),
    ],
)
def test_names_from_the_browser_become_plain_file_names(sent: str, stored: str) -> None:
    assert safe_name(sent) == stored


@pytest.mark.parametrize("sent", ["", "..", "../", "noext", ".pdf", "a/b/"])
def test_a_name_without_a_file_and_type_is_refused(sent: str) -> None:
    with pytest.raises(StudyragError, match="no usable file name"):
        safe_name(sent)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.docx", PDF_BYTES, "notes.docx is not a DOCX file (it is not a zip package)"),
        ("slides.pdf", b"PK\x03\x04rest", "slides.pdf is not a PDF"),
        ("tool.exe", b"MZ\x90\x00", "tool.exe: unsupported file type '.exe'"),
        ("empty.md", b"", "empty.md is empty"),
        ("big.txt", b"x" * (MB + 1), "big.txt is 1.0 MB, over the 1 MB limit"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00", "image.txt looks binary, not txt text"),
    ],
)
def test_bad_uploads_are_one_clear_line(name: str, data: bytes, message: str) -> None:
    with pytest.raises(StudyragError) as error:
        check_upload(name, data, MB)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


def test_good_uploads_pass_under_their_safe_name() -> None:
    assert check_upload("../../R intro.pdf", PDF_BYTES, MB) == "R intro.pdf"
    docx = (OFFICE / "gittutorial.docx").read_bytes()
    assert check_upload("tutorial.docx", docx, 10 * MB) == "tutorial.docx"


def test_the_folder_stores_once_and_never_outside_itself(tmp_path: Path) -> None:
    folder = UploadFolder(tmp_path / "uploads")
    first = folder.store("notes.md", b"# Notes\n")
    assert first.path == tmp_path / "uploads" / "notes.md" and not first.unchanged
    assert folder.store("notes.md", b"# Notes\n").unchanged
    assert not folder.store("notes.md", b"# Notes v2\n").unchanged
    assert first.path.read_bytes() == b"# Notes v2\n" and folder.sources() == ["notes.md"]
    with pytest.raises(StudyragError, match="not a plain file name"):
        folder.store("../escape.md", b"x")
    assert not (tmp_path / "escape.md").exists()
