"""Corpus text rendered as Markdown must come out literally: no links, HTML, math or emphasis."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from studyrag.ui.markdown import (
    answer_to_markdown,
    code_span,
    escape_markdown,
    text_to_markdown,
)

HOSTILE = (
    "# Heading? **bold** _it_ `code` <script>alert(1)</script> <b>x</b>\n"
    "[click](http://evil.example) ![img](http://evil.example/a.png) $x^2$ :red[red] :smile:\n"
    "    indented four spaces (a code block in Markdown)\n"
    "- bullet | table | cell\n"
    "1. numbered &amp; entity \\ backslash ~~strike~~ > quote\n"
    "---"
)
_TAG = re.compile(r"<(?!/?(?:p|br)\b)[a-z]+", re.IGNORECASE)


def _render(markdown: str) -> str:
    return MarkdownIt("commonmark").render(markdown)


def _visible(html: str) -> str:
    text = re.sub(r"<[^>]+>", "", html)
    return (
        text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    )


def test_hostile_text_renders_as_plain_paragraphs_only() -> None:
    html = _render(text_to_markdown(HOSTILE))
    assert not _TAG.search(html), html  # only <p> and <br>: no a/img/em/strong/code/h1/li/pre
    assert "<script" not in html


def test_every_character_of_every_line_survives() -> None:
    visible = _visible(_render(text_to_markdown(HOSTILE)))
    for line in HOSTILE.splitlines():
        assert line.strip() in visible.replace("\u00a0", " "), line


def test_indentation_is_kept_as_no_break_spaces() -> None:
    markdown = text_to_markdown("top\n    indented")
    assert markdown.endswith("\u00a0" * 4 + "indented")


def test_blank_lines_make_one_paragraph_break_and_lines_hard_breaks() -> None:
    assert text_to_markdown("a\nb\n\n\n\nc") == "a  \nb\n\nc"


def test_highlights_wrap_exactly_the_given_span_on_each_line() -> None:
    text = "first line here\nsecond line [x]"
    start, end = text.index("line here"), text.index("second") + len("second")
    markdown = text_to_markdown(text, [(start, end)])
    assert markdown == (
        "first :orange-background[line here]  \n:orange-background[second] line \\[x\\]"
    )


def test_overlapping_highlights_merge() -> None:
    markdown = text_to_markdown("abcdefghij", [(1, 4), (3, 6)])
    assert markdown == "a:orange-background[bcdef]ghij"


def test_escape_covers_all_ascii_punctuation() -> None:
    assert escape_markdown("a*b_c") == "a\\*b\\_c"
    assert escape_markdown("plain words 42") == "plain words 42"


def test_answer_markers_become_badges_and_the_rest_is_escaped() -> None:
    markdown = answer_to_markdown("RoPE rotates *Q* and K [1][2]. Slopes [3, 4] [unsupported]")
    assert markdown == (
        "RoPE rotates \\*Q\\* and K :blue-badge[1] :blue-badge[2]\\. Slopes "
        ":blue-badge[3] :blue-badge[4] :gray-badge[unsupported]"
    )


def test_answer_lines_and_ranges_are_kept() -> None:
    markdown = answer_to_markdown("One [1-2].\nTwo [3].")
    assert markdown == "One :blue-badge[1] :blue-badge[2]\\.  \nTwo :blue-badge[3]\\."


def test_code_span_uses_a_longer_fence_than_any_backtick_run() -> None:
    assert code_span("/tmp/data_dir/feedback.jsonl") == "`/tmp/data_dir/feedback.jsonl`"
    assert code_span("a`b") == "``a`b``"
    assert _visible(_render(code_span("a``b"))).strip() == "a``b"


def test_fenced_code_renders_as_a_code_block_and_highlights_keep_their_place() -> None:
    text = "Use this:\n\n```\n$ git add *\n# not a heading\n```\n\nThen commit it."
    start = text.index("Then")
    rendered = text_to_markdown(text, [(start, start + 4)])
    assert "```text\n$ git add *\n# not a heading\n```" in rendered
    assert rendered.endswith(":orange-background[Then] commit it\\.")
    assert rendered.startswith("Use this\\:")
