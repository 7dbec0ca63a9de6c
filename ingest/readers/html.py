"""HTML: the main content only, as headings, paragraphs, list items, code and tables.

Boilerplate is recognised the same way on any site, not by one site's CSS: navigation elements
and ARIA roles, class or id names that say navigation / table of contents / breadcrumbs / footer,
lists and blocks that are nearly all link text, permalink marks ("¶", "#", "§"), and link-only
lines above the page's first heading. Inline elements stay inline, so a sentence keeps its code
terms; ``<pre>`` is a code block; h1-h6 make the section path.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from bs4 import BeautifulSoup, Tag, XMLParsedAsHTMLWarning
from bs4.element import Comment, Doctype, NavigableString, ProcessingInstruction

from studyrag.ingest.readers.base import (
    DocumentBuilder,
    Mark,
    MarkedTerm,
    PageProgress,
    ReadDocument,
    Reader,
    SkipFile,
    squash,
)
from studyrag.ingest.readers.decode import decode_bytes

_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "nav",
    "form",
    "button",
    "iframe",
    "select",
    "input",
    "textarea",
    "object",
    "embed",
    "canvas",
)
_DROP_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "menubar", "toolbar"})
_BOILERPLATE_NAME = re.compile(
    r"(?:^|[-_\s])(?:toc|nav|navbar|navigation|navheader|navfooter|docnav|breadcrumbs?|menu"
    r"|skip|skiplink|pager|pagination|footer|site-footer|cookie|share|social|edit-?link)"
    r"(?:$|[-_\s])",
    re.IGNORECASE,
)
_PERMALINK = re.compile(
    r"^\s*[¶#§🔗⚓]\s*$|^\s*(?:permalink|link to this (?:heading|section))\s*$", re.I
)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCK_TAGS = frozenset(
    {
        *_HEADINGS,
        "p",
        "pre",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "li",
        "table",
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "aside",
        "blockquote",
        "figure",
        "figcaption",
        "caption",
        "body",
        "html",
        "center",
        "address",
        "details",
        "summary",
        "hr",
        "fieldset",
        "tbody",
        "thead",
        "tr",
    }
)
_MIN_NAV_LINKS = 3
_NAV_LINK_SHARE = 0.8


def inline_text(tag: Tag) -> str:
    """A tag's text with inline elements joined as written ("<code>a</code>, b" -> "a, b") and
    a space where a block element or line break ends."""
    parts: list[str] = []
    for child in tag.children:
        if isinstance(child, NavigableString):
            parts.append(str(child))
        elif isinstance(child, Tag):
            if child.name == "br":
                parts.append(" ")
            elif child.name in _BLOCK_TAGS:
                parts.append(f" {inline_text(child)} ")
            else:
                parts.append(inline_text(child))
    return "".join(parts)


_MARK_TAGS = {
    **dict.fromkeys(("code", "tt", "kbd", "samp", "var"), Mark.CODE),
    **dict.fromkeys(("strong", "b"), Mark.STRONG),
    **dict.fromkeys(("em", "i", "cite"), Mark.EMPHASIS),
    "dfn": Mark.DEFINED,
    **dict.fromkeys(("abbr", "acronym"), Mark.ABBREVIATION),
}


def marked_terms(tag: Tag) -> list[MarkedTerm]:
    """The terms a tag and its inline elements mark: code, bold, italics, <dfn>, <abbr>."""
    tags = [tag] if tag.name in _MARK_TAGS else []
    tags.extend(t for t in tag.find_all(list(_MARK_TAGS)) if isinstance(t, Tag))
    terms = []
    for marked in tags:
        mark = _MARK_TAGS[marked.name]
        expansion = str(marked.get("title") or "") if mark is Mark.ABBREVIATION else ""
        terms.append(MarkedTerm(mark, inline_text(marked), expansion))
    return terms


def _link_share(tag: Tag) -> tuple[int, float]:
    text = len(squash(tag.get_text(" ")))
    if not text:
        return 0, 0.0
    links = tag.find_all("a")
    linked = sum(len(squash(a.get_text(" "))) for a in links)
    return len(links), linked / text


def _is_boilerplate(tag: Tag) -> bool:
    if tag.name in _DROP_TAGS or tag.name == "footer":
        return True
    if tag.name == "header" and not tag.find(list(_HEADINGS)):
        return True
    attrs = tag.attrs or {}
    if str(attrs.get("role", "")).lower() in _DROP_ROLES or attrs.get("hidden") is not None:
        return True
    if "display:none" in str(attrs.get("style", "")).replace(" ", "").lower():
        return True
    names = " ".join([str(attrs.get("id", "")), *(attrs.get("class") or [])])
    if names.strip() and _BOILERPLATE_NAME.search(names):
        return True
    if tag.name in ("ul", "ol", "dl", "div", "table", "p", "section", "aside", "header"):
        links, share = _link_share(tag)
        return links >= _MIN_NAV_LINKS and share >= _NAV_LINK_SHARE
    return False


def _strip_boilerplate(root: Tag) -> None:
    for node in list(root.descendants):
        if isinstance(node, Comment | Doctype | ProcessingInstruction):
            node.extract()
    for tag in list(root.find_all(True)):
        if tag.decomposed:
            continue
        if (tag.name == "a" and _PERMALINK.match(tag.get_text())) or (
            tag.name != "pre" and not tag.find_parent("pre") and _is_boilerplate(tag)
        ):
            tag.decompose()


def main_content(soup: BeautifulSoup) -> Tag:
    """The page's main content element: <main>, role=main or a single <article>, else <body>."""
    for candidate in (
        soup.find("main"),
        soup.find(role="main"),
    ):
        if isinstance(candidate, Tag):
            return candidate
    articles = soup.find_all("article")
    if len(articles) == 1:
        return articles[0]
    body = soup.body
    return body if isinstance(body, Tag) else soup


class HtmlWalker:
    """Turns an HTML element tree into blocks of a :class:`DocumentBuilder`."""

    def __init__(self, builder: DocumentBuilder, level_offset: int = 0) -> None:
        self.builder = builder
        self.level_offset = level_offset
        self._inline: list[str] = []
        self._terms: list[MarkedTerm] = []
        self._seen_heading = False

    def walk(self, root: Tag) -> None:
        self._container(root, depth=0)
        self._flush()

    def _flush(self) -> None:
        text = squash("".join(self._inline))
        terms, self._inline, self._terms = self._terms, [], []
        if text:
            self.builder.paragraph(text, terms=terms)

    def _container(self, tag: Tag, depth: int) -> None:
        for child in tag.children:
            if isinstance(child, NavigableString):
                self._inline.append(str(child))
            elif isinstance(child, Tag):
                if child.name in _BLOCK_TAGS:
                    self._flush()
                    self._block(child, depth)
                elif child.name == "br":
                    self._inline.append("\n")
                elif child.name == "img":
                    continue
                else:
                    self._inline.append(inline_text(child))
                    self._terms.extend(marked_terms(child))

    def _block(self, tag: Tag, depth: int) -> None:
        name = tag.name
        if name in _HEADINGS:
            self._seen_heading = True
            self.builder.heading(inline_text(tag), _HEADINGS[name] + self.level_offset)
        elif name == "pre":
            self.builder.code(tag.get_text())
        elif name in ("ul", "ol"):
            self._list(tag, depth, ordered=name == "ol")
        elif name == "table":
            self._table(tag)
        elif name in ("figcaption", "caption"):
            self.builder.caption(inline_text(tag))
        elif name == "hr":
            return
        elif not self._seen_heading and not tag.find(list(_HEADINGS)) and _all_links(tag):
            return  # link-only text above the first heading: site chrome
        elif name == "p" and not tag.find(_BLOCK_TAGS - {"p"}):
            self.builder.paragraph(inline_text(tag), terms=marked_terms(tag))
        elif name == "dt" and not tag.find(_BLOCK_TAGS):
            term = MarkedTerm(Mark.DEFINED, inline_text(tag))
            self.builder.paragraph(inline_text(tag), terms=[term, *marked_terms(tag)])
        else:
            self._container(tag, depth)
            self._flush()

    def _list(self, tag: Tag, depth: int, ordered: bool) -> None:
        for number, item in enumerate(tag.find_all("li", recursive=False), start=1):
            nested = [c for c in item.children if isinstance(c, Tag) and c.name in ("ul", "ol")]
            blocks = [c for c in item.children if isinstance(c, Tag) and c.name in ("pre", "table")]
            for child in nested + blocks:
                child.extract()
            marker = f"{number}." if ordered else "-"
            self.builder.list_item(inline_text(item), depth, marker, terms=marked_terms(item))
            for child in blocks:
                self._block(child, depth + 1)
            for child in nested:
                self._list(child, depth + 1, ordered=child.name == "ol")

    def _table(self, tag: Tag) -> None:
        if tag.find("table"):  # a layout table: read what it holds
            self._container(tag, 0)
            self._flush()
            return
        caption = tag.find("caption")
        if caption:
            self.builder.caption(inline_text(caption))
        rows = []
        for row in tag.find_all("tr"):
            cells = [inline_text(cell) for cell in row.find_all(("th", "td"))]
            if cells:
                rows.append(cells)
        self.builder.table(rows)


def _all_links(tag: Tag) -> bool:
    text = squash(tag.get_text(" "))
    linked = "".join(squash(a.get_text(" ")) for a in tag.find_all("a"))
    return bool(text) and len(linked.replace(" ", "")) >= len(text.replace(" ", "")) * 0.9


_REFRESH = re.compile(r"url\s*=\s*['\"]?([^'\";]+)", re.I)


def parse_html(text: str) -> BeautifulSoup:
    """Parse a page with lxml's HTML parser (XHTML included: it reads it the same way)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        return BeautifulSoup(text, "lxml")


def read_html_into(soup: BeautifulSoup, builder: DocumentBuilder, level_offset: int = 0) -> None:
    """Append the main content of a parsed page to ``builder``."""
    root = main_content(soup)
    _strip_boilerplate(root)
    if not root.find(list(_HEADINGS)) and soup.title and soup.title.get_text().strip():
        # A page without headings: its <title> names the section.
        builder.heading(soup.title.get_text(" "), 1 + level_offset)
    HtmlWalker(builder, level_offset).walk(root)


def why_no_text(soup: BeautifulSoup) -> str:
    """The one-line reason a page gave no text."""
    refresh = soup.find("meta", attrs={"http-equiv": re.compile("refresh", re.I)})
    if isinstance(refresh, Tag):
        target = _REFRESH.search(str(refresh.get("content", "")))
        where = f" to {target.group(1).strip()}" if target else ""
        return f"HTML page is only a redirect{where}: index the page it points to"
    if soup.find("script"):
        return (
            "HTML page has no text without running its scripts (a script shell): "
            "save the rendered page (e.g. the browser's 'Save page as') and index that"
        )
    body = soup.body.get_text(" ") if soup.body else ""
    if squash(body):
        return "HTML page holds only navigation (links, menus): nothing to index"
    return "no text in this HTML file"


class HtmlReader(Reader):
    format = "html"
    suffixes = frozenset({".html", ".htm", ".xhtml"})

    def read(
        self,
        source: str,
        path: Path,
        data: bytes,
        sha256: str,
        progress: PageProgress | None = None,
    ) -> ReadDocument:
        text, encoding = decode_bytes(data)
        soup = parse_html(text)
        reason = why_no_text(soup)  # before the scripts are stripped
        builder = DocumentBuilder()
        read_html_into(soup, builder)
        if not any(b.kind != "heading" for b in builder.blocks):
            raise SkipFile(reason)
        return self.finish(builder, source, path, sha256, encoding=encoding)
