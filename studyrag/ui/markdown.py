"""Corpus text as Markdown that renders literally: every punctuation mark escaped.

Nothing here emits HTML. Text from a document reaches ``st.markdown`` only through
:func:`text_to_markdown` or :func:`answer_to_markdown`, so a document cannot inject links,
images, LaTeX, emphasis or Streamlit directives; highlights use the ``:color-background[...]``
directive around already-escaped text.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Sequence
from itertools import pairwise

from studyrag.generate.citations import parse_numbers
from studyrag.text.units import FENCE

_PUNCTUATION = frozenset(string.punctuation)
_INDENT = re.compile(r"^[ \t]+")
_UNSUPPORTED = "[unsupported]"
_MARKER = re.compile(r"\[\s*\d{1,3}(?:\s*(?:[,;]|-|–)\s*\d{1,3})*\s*\]|\[unsupported\]")
_NBSP = "\u00a0"
_SPACES = re.compile(r" {2,}")
_BADGE_PUNCT = re.compile(r"(:(?:blue|gray)-badge\[\w+\]) (\\[.,;:!?])")
HIGHLIGHT = "orange-background"


def escape_markdown(text: str) -> str:
    """Backslash-escape every ASCII punctuation mark (CommonMark allows it for all of them)."""
    return "".join(f"\\{ch}" if ch in _PUNCTUATION else ch for ch in text)


def code_span(text: str) -> str:
    """``text`` as an inline code span (backslash escapes do not work inside code spans)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{' '.join(text.split())}{pad}{fence}"


def _merge(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _line_markdown(line: str, offset: int, spans: list[tuple[int, int]], style: str) -> str:
    """One line: indentation kept as no-break spaces, highlighted pieces wrapped."""
    indent = _INDENT.match(line)
    skip = indent.end() if indent else 0
    prefix = _NBSP * len(line[:skip].expandtabs(4))
    cuts = {skip, len(line)}
    for start, end in spans:
        cuts.update(min(max(p - offset, skip), len(line)) for p in (start, end))
    pieces: list[str] = []
    bounds = sorted(cuts)
    for left, right in pairwise(bounds):
        piece = line[left:right]
        lit = any(s <= offset + left and offset + right <= e for s, e in spans)
        escaped = escape_markdown(piece)
        pieces.append(f":{style}[{escaped}]" if lit and piece.strip() else escaped)
    return prefix + "".join(pieces)


def _join_lines(text: str, render_line: Callable[[str, int], str]) -> str:
    """Non-blank lines joined by hard breaks; blank runs become one paragraph break."""
    out: list[str] = []
    offset = 0
    blank = False
    for line in text.split("\n"):
        if line.strip():
            if out:
                out.append("\n\n" if blank else "  \n")
            out.append(render_line(line, offset))
            blank = False
        else:
            blank = True
        offset += len(line) + 1
    return "".join(out)


def _code_block(lines: Sequence[str]) -> str:
    """Lines of a fenced code block as a Markdown code block (its content renders literally)."""
    body = "\n".join(lines)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{body}\n{fence}"


def text_to_markdown(
    text: str, highlights: Sequence[tuple[int, int]] = (), style: str = HIGHLIGHT
) -> str:
    """Render ``text`` literally, line by line, with ``highlights`` (character spans) marked;
    a fenced code block (the readers' ```` ``` ```` lines) shows as a code block."""
    spans = _merge(highlights)
    if not any(FENCE.match(line) for line in text.split("\n")):
        return _join_lines(text, lambda line, offset: _line_markdown(line, offset, spans, style))
    parts: list[str] = []
    prose: list[str] = []
    code: list[str] | None = None
    offset = prose_offset = 0
    for line in text.split("\n"):
        if FENCE.match(line):
            if code is None:
                parts.append(_prose(prose, prose_offset, spans, style))
                code, prose = [], []
            else:
                parts.append(_code_block(code))
                code, prose_offset = None, offset + len(line) + 1
        elif code is not None:
            code.append(line)
        else:
            prose.append(line)
        offset += len(line) + 1
    last = _code_block(code) if code is not None else _prose(prose, prose_offset, spans, style)
    parts.append(last)
    return "\n\n".join(p for p in parts if p)


def _prose(lines: Sequence[str], offset: int, spans: list[tuple[int, int]], style: str) -> str:
    shifted = [(s - offset, e - offset) for s, e in spans]
    return _join_lines("\n".join(lines), lambda line, at: _line_markdown(line, at, shifted, style))


def _answer_line(line: str, _offset: int) -> str:
    indent = _INDENT.match(line)
    skip = indent.end() if indent else 0
    out = [_NBSP * len(line[:skip].expandtabs(4))]
    cursor = skip
    for match in _MARKER.finditer(line, skip):
        out.append(escape_markdown(line[cursor : match.start()]))
        if match.group() == _UNSUPPORTED:
            out.append(" :gray-badge[unsupported] ")
        else:
            out.append("".join(f" :blue-badge[{n}] " for n in parse_numbers(match.group())))
        cursor = match.end()
    out.append(escape_markdown(line[cursor:]))
    return _BADGE_PUNCT.sub(r"\1\2", _SPACES.sub(" ", "".join(out))).rstrip()


def answer_to_markdown(text: str) -> str:
    """Answer text escaped, each ``[n]`` shown as a badge and ``[unsupported]`` flagged."""
    return _join_lines(text, _answer_line)
