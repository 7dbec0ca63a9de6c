from __future__ import annotations

from pathlib import Path

import pytest

from studyrag.types import StudyragError
from studyrag.ui.pdf_page import render_page
from tests.ingest.readers.pdf_maker import body_lines, make_pdf


def _yellow_pixels(image) -> int:
    return sum(1 for r, _g, b in image.getdata() if r - b > 60)  # a yellow tint, not grey text


def test_a_quoted_span_is_highlighted_on_its_page(tmp_path: Path) -> None:
    path = make_pdf(
        tmp_path / "doc.pdf",
        [
            body_lines(["Nothing to see on the first page."]),
            body_lines(["The attach function puts a data frame on the search path.", "Other."]),
        ],
    )
    marked = render_page(path, 2, ["puts a data frame on the search path"])
    plain = render_page(path, 2, ["words that are nowhere in this document at all"])
    assert marked.size == plain.size and marked.size[0] > 900  # 612 pt at 1.6x
    assert _yellow_pixels(plain) == 0
    assert _yellow_pixels(marked) > 500


def test_a_page_past_the_end_is_one_clear_error(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "one.pdf", [body_lines(["Only page."])])
    with pytest.raises(StudyragError, match="has no page 5; re-index it"):
        render_page(path, 5, [])
