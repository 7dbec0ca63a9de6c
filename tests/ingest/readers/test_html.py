from __future__ import annotations

from pathlib import Path

import pytest

from studyrag.ingest.loaders import SkipFile, SourceFile, load_document
from studyrag.ingest.readers import BlockKind

PAGE = """<html><head><title>Params</title><script>var x = 1;</script></head><body>
<div class="navbar"><a href="/">Home</a> <a href="/a">A</a> <a href="/b">B</a></div>
<div id="toc"><p>Table of Contents</p><ul><li><a href="#s1">One</a></li>
<li><a href="#s2">Two</a></li><li><a href="#s3">Three</a></li></ul></div>
<div class="body">
<h1>Tutorial<a class="headerlink" href="#t">¶</a></h1>
<h2>Using <code>Annotated</code> for parameters<a href="#p">¶</a></h2>
<p>To mark parameters as <code>Optional</code>, indicating
they may be <em>None</em>, wrap the type.</p>
<pre># a comment, not a heading
def f(x: int | None = None) -&gt; None: ...</pre>
<ul><li>first item</li><li>second <b>bold</b> item<ul><li>nested item</li></ul></li></ul>
<table><tr><th>Name</th><th>Meaning</th></tr><tr><td>x</td><td>an int</td></tr></table>
</div>
<footer>Copyright 2026, the authors. <a href="/privacy">Privacy</a></footer>
</body></html>"""


def _read(tmp_path: Path, html: str, name: str = "page.html"):
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return load_document(SourceFile(path, name), 2**20)


def test_html_keeps_the_main_content_with_its_structure(tmp_path: Path) -> None:
    document = _read(tmp_path, PAGE)
    text = document.text
    for chrome in ("Home", "Table of Contents", "Copyright", "¶", "var x"):
        assert chrome not in text, chrome
    # Inline elements stay inline: the sentence keeps its code term.
    assert "To mark parameters as Optional, indicating they may be None, wrap the type." in text
    headings = [(text[b.start : b.end], b.section) for b in document.blocks if b.kind == "heading"]
    assert headings == [
        ("# Tutorial", ("Tutorial",)),
        ("## Using Annotated for parameters", ("Tutorial", "Using Annotated for parameters")),
    ]
    code = next(b for b in document.blocks if b.kind is BlockKind.CODE)
    assert text[code.start : code.end].startswith("```\n# a comment, not a heading\ndef f(")
    items = [text[b.start : b.end] for b in document.blocks if b.kind is BlockKind.LIST_ITEM]
    assert items == ["- first item", "- second bold item", "  - nested item"]
    table = next(b for b in document.blocks if b.kind is BlockKind.TABLE)
    assert table.rows == (("Name", "Meaning"), ("x", "an int"))
    assert text[table.start : table.end] == "| Name | Meaning |\n| x | an int |"


def test_a_page_without_headings_is_titled_by_its_title(tmp_path: Path) -> None:
    document = _read(
        tmp_path, "<html><head><title>Notes</title></head><body><p>Plain.</p></body></html>"
    )
    assert document.blocks[0].kind is BlockKind.HEADING and document.text.startswith("# Notes")


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        (
            '<html><head><meta http-equiv="refresh" content="0; url=next.html"></head></html>',
            "only a redirect to next.html",
        ),
        (
            '<html><body><div id="root"></div><script src="app.js"></script></body></html>',
            "script shell",
        ),
        ("<html><body>   </body></html>", "no text in this HTML file"),
    ],
)
def test_empty_pages_say_why_in_one_line(tmp_path: Path, html: str, reason: str) -> None:
    with pytest.raises(SkipFile, match=reason) as info:
        _read(tmp_path, html)
    assert "\n" not in str(info.value)


def test_a_multi_page_site_reads_every_page_without_its_navigation() -> None:
    site = Path(__file__).resolve().parents[3] / "eval" / "documents" / "html" / "debian-handbook"
    document = load_document(SourceFile(site / "sect.apt-get.html", "apt-get.html"), 2**22)
    assert document.text.startswith("## 6.2. aptitude, apt-get, and apt Commands")
    assert "Download the ebook" not in document.text and "Prev" not in document.text.split()
    assert any(b.kind is BlockKind.CODE for b in document.blocks)
