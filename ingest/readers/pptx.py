"""PPTX (python-pptx): one slide is one section titled by its slide title; speaker notes kept."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from studyrag.ingest.readers.archive import open_zip
from studyrag.ingest.readers.base import (
    DocumentBuilder,
    PageProgress,
    PageUnit,
    ReadDocument,
    Reader,
    SkipFile,
    monospace_runs,
    run_mark,
    run_terms,
)


def _shapes(shapes: Any) -> Iterator[Any]:  # python-pptx shapes (the library has no types)
    """Shapes in reading order (top to bottom, left to right), groups opened."""
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    ordered = sorted(shapes, key=lambda s: ((s.top or 0) // 10000, s.left or 0))
    for shape in ordered:
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from _shapes(shape.shapes)
        else:
            yield shape


class PptxReader(Reader):
    format = "pptx"
    suffixes = frozenset({".pptx"})

    def read(
        self,
        source: str,
        path: Path,
        data: bytes,
        sha256: str,
        progress: PageProgress | None = None,
    ) -> ReadDocument:
        from pptx import Presentation
        from pptx.exc import PackageNotFoundError

        open_zip(data, "PPTX").close()
        try:
            deck = Presentation(io.BytesIO(data))
        except (PackageNotFoundError, KeyError, ValueError) as error:
            raise SkipFile(f"malformed PPTX ({error})") from error
        builder = DocumentBuilder()
        count = len(deck.slides)
        for number, slide in enumerate(deck.slides, start=1):
            title_shape = slide.shapes.title
            title = title_shape.text_frame.text if title_shape is not None else ""
            builder.heading(title.strip() or f"Slide {number}", 1, number)
            for shape in _shapes(slide.shapes):
                if title_shape is not None and shape.shape_id == title_shape.shape_id:
                    continue
                if getattr(shape, "has_table", False) and shape.has_table:
                    rows = [[cell.text for cell in row.cells] for row in shape.table.rows]
                    builder.table(rows, number)
                elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
                    self._text_frame(builder, shape.text_frame, number)
            if slide.has_notes_slide:
                notes = slide.notes_slide.notes_text_frame
                if notes is not None and notes.text.strip():
                    builder.paragraph(f"Speaker notes: {notes.text}", number)
            if progress:
                progress(number, count)
        if not any(b.kind != "heading" for b in builder.blocks):
            raise SkipFile("no text in the slides (images only?): nothing to index")
        return self.finish(builder, source, path, sha256, page_unit=PageUnit.SLIDE, pages=count)

    @staticmethod
    def _text_frame(builder: DocumentBuilder, frame: Any, number: int) -> None:
        code: list[str] = []
        for paragraph in frame.paragraphs:
            text = "".join(run.text for run in paragraph.runs) or paragraph.text
            if text.strip() and monospace_runs(paragraph.runs):
                code.append(text)
                continue
            if code:
                builder.code("\n".join(code), number)
                code = []
            terms = run_terms((run.text, run_mark(run)) for run in paragraph.runs)
            if paragraph.level > 0:
                builder.list_item(text, paragraph.level - 1, page=number, terms=terms)
            else:
                builder.paragraph(text, number, terms=terms)
        if code:
            builder.code("\n".join(code), number)
