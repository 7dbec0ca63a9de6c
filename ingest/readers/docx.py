"""DOCX (python-docx): heading styles make the sections; lists, code and tables stay blocks."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from studyrag.ingest.readers.archive import open_zip
from studyrag.ingest.readers.base import (
    DocumentBuilder,
    MarkedTerm,
    PageProgress,
    ReadDocument,
    Reader,
    SkipFile,
    monospace_runs,
    run_mark,
    run_terms,
)

_HEADING_STYLE = re.compile(r"^(?:heading|überschrift|titre|título)\s*(\d)$", re.I)
_CODE_STYLE = re.compile(r"code|preformatted|verbatim|macro text|plain text", re.I)
_LIST_STYLE = re.compile(r"list", re.I)


def _style(paragraph: Any) -> str:  # python-docx objects: the library has no types
    style = paragraph.style
    return (style.name or "") if style is not None else ""


def _is_code(paragraph: Any) -> bool:
    if _CODE_STYLE.search(_style(paragraph)):
        return True
    return monospace_runs(paragraph.runs)


def _terms(paragraph: Any) -> list[MarkedTerm]:
    runs = paragraph.runs
    return run_terms((run.text, run_mark(run, _style(run))) for run in runs)


def _list_depth(paragraph: Any) -> int | None:
    """The list level of a numbered or bulleted paragraph, else None."""
    properties = paragraph._p.pPr
    if properties is not None and properties.numPr is not None:
        level = properties.numPr.ilvl
        return int(level.val) if level is not None else 0
    return 0 if _LIST_STYLE.search(_style(paragraph)) else None


class DocxReader(Reader):
    format = "docx"
    suffixes = frozenset({".docx"})

    def read(
        self,
        source: str,
        path: Path,
        data: bytes,
        sha256: str,
        progress: PageProgress | None = None,
    ) -> ReadDocument:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        open_zip(data, "DOCX").close()
        try:
            document = docx.Document(io.BytesIO(data))
        except (PackageNotFoundError, KeyError, ValueError) as error:
            raise SkipFile(f"malformed DOCX ({error})") from error
        builder = DocumentBuilder()
        code: list[str] = []
        for item in document.iter_inner_content():
            if isinstance(item, Paragraph) and item.text.strip() and _is_code(item):
                code.append(item.text)
                continue
            if code:
                builder.code("\n".join(code))
                code = []
            if isinstance(item, Table):
                builder.table([[cell.text for cell in row.cells] for row in item.rows])
                continue
            style = _style(item)
            if heading := _HEADING_STYLE.match(style):
                builder.heading(item.text, int(heading.group(1)))
            elif style.lower() == "title":
                builder.heading(item.text, 1)
            elif (depth := _list_depth(item)) is not None:
                builder.list_item(item.text, depth, terms=_terms(item))
            else:
                builder.paragraph(item.text, terms=_terms(item))
        if code:
            builder.code("\n".join(code))
        return self.finish(builder, source, path, sha256)
