"""Questions written from any document: the rules on small pages, then the shared real documents.

The small pages go through the real readers (HTML, Markdown); the real documents are the PDF,
HTML and office files under ``eval/documents``. The checks on those re-read each file on their
own and look at the cited span there, so they do not trust the writer's offsets.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from studyrag.index.lexical import english_stopwords
from studyrag.ingest.loaders import SkipFile, SourceFile, discover, load_document
from studyrag.ingest.readers.base import BlockKind, ReadDocument
from studyrag.quiz.bank import Question, QuestionBank, written_questions
from studyrag.quiz.document_questions import CLOZE_BLANK, is_content_term, section_title
from tests.conftest import DOCUMENTS

PAGE = """<html><head><title>Lists</title></head><body>
<h1>R objects</h1>
<h2>Lists</h2>
<p>An R list is an object consisting of an ordered collection of objects known as its
<em>components</em>.</p>
<p>Components are always numbered and may be referred to by number with double brackets.</p>
<h2>Interfaces</h2>
<p>A library exposes an Application Programming Interface (API) that other programs call.</p>
<p>Every program calls the API through a stable set of documented entry points here.</p>
<p>The default page size on this machine is 4096 bytes for every process it runs.</p>
<h2>Glossary</h2>
<dl><dt>commit</dt><dd>A snapshot of the files of a project at one point in its history.</dd>
<dt>branch</dt><dd>A movable name that points at the latest commit of a line of work.</dd>
<dt><code>--cached</code></dt><dd>Compare the staged contents with the last commit.</dd></dl>
<h2>Introduction</h2>
<p>This section opens the chapter and says what the rest of it covers in some detail.</p>
<h2>Formulas</h2>
<p>The midpoint of two numbers is computed as m = (a + b) / 2 by the helper function.</p>
<h2>Words</h2>
<p>The <b>the</b> in this sentence is bold but it is only a word like any other one.</p>
<p>A <dfn>tag</dfn> is a name that points at one commit and never moves again.</p>
</body></html>"""


def _read(tmp_path: Path, name: str, text: str) -> ReadDocument:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_document(SourceFile(path, name), 10**7)


@pytest.fixture()
def page(tmp_path: Path) -> list[Question]:
    return written_questions(_read(tmp_path, "lists.html", PAGE))


def _cloze(questions: list[Question], term: str) -> Question:
    return next(q for q in questions if q.is_cloze and q.term == term)


def test_a_cloze_blanks_the_term_the_document_marks(page) -> None:
    question = _cloze(page, "components")
    assert question.cloze == (
        f"An R list is an object consisting of an ordered collection of objects known as its "
        f"{CLOZE_BLANK}."
    )
    assert question.term_mark in ("emphasis", "defined")
    assert question.prompt.startswith("Fill in the blank: An R list")
    assert question.heading_path == ("R objects", "Lists")
    assert question.citation_label == "lists.html · R objects > Lists"


def test_abbreviations_numbers_and_formulas_are_blanked(page) -> None:
    api = [q for q in page if q.is_cloze and "API" in (q.term, *q.term_forms)]
    assert api and all(
        {q.term, *q.term_forms} == {"API", "Application Programming Interface"} for q in api
    )
    assert _cloze(page, "4096 bytes").term_mark == "number"
    assert _cloze(page, "(a + b) / 2").term_mark == "formula"


def test_no_blank_is_a_stopword_or_a_fragment(page) -> None:
    stopwords = english_stopwords()
    assert all(q.term.lower() != "the" for q in page)
    for term in ("the", "of the list", "(a + b", "x.", "**Q4**", "of", "a"):
        assert not is_content_term(term, stopwords), term
    for term in ("components", "git add", "API", "4096 bytes", "--pretty"):
        assert is_content_term(term, stopwords), term
    # A sentence that opens with a pronoun says too little around its blank.
    assert not any(q.is_cloze and q.cloze.startswith("This section") for q in page)


def test_definitions_from_sentences_and_definition_lists(page) -> None:
    prompts = {q.prompt: q for q in page if q.kind == "definition"}
    assert {"What is commit?", "What is branch?", "What is tag?"} <= set(prompts)
    assert prompts["What does --cached do?"].answer.startswith("Compare the staged")  # an option
    commit = prompts["What is commit?"]
    assert commit.answer.startswith("A snapshot of the files")
    tag = prompts["What is tag?"]
    assert "never moves again" in tag.answer
    # The defining sentence is asked once: as a definition, not again as a cloze.
    assert not any(q.is_cloze and q.answer_start == tag.answer_start for q in page)


def test_every_section_with_content_gets_a_question_named_after_its_heading(page) -> None:
    sections = {q.heading_path for q in page}
    assert sections == {
        ("R objects", "Lists"),
        ("R objects", "Interfaces"),
        ("R objects", "Glossary"),
        ("R objects", "Introduction"),
        ("R objects", "Formulas"),
        ("R objects", "Words"),
    }
    explain = {q.prompt for q in page if q.kind == "section"}
    assert "Explain: Lists" in explain
    assert "Explain: Introduction (R objects)" in explain  # a generic heading gets its parent
    assert section_title(("5 Arrays", "5.7.2 Linear equations")) == "Linear equations"


def test_ids_are_stable_and_follow_only_the_text_they_ask_about(tmp_path: Path, page) -> None:
    again = written_questions(_read(tmp_path, "lists.html", PAGE))
    assert [q.id for q in again] == [q.id for q in page]
    edited = PAGE.replace("4096 bytes", "8192 bytes")
    changed = {q.id for q in written_questions(_read(tmp_path, "lists.html", edited))}
    lost = {q.id for q in page} - changed
    assert lost and all(q.heading_path[-1] == "Interfaces" for q in page if q.id in lost)
    assert len({q.id for q in page}) == len(page)


def test_markdown_marks_count_too(tmp_path: Path) -> None:
    text = (
        "# Git basics\n\n"
        "Use `git add` to put the new contents of a file into the index before a commit.\n\n"
        "The staging area is also called the **index** in most of the documentation.\n"
    )
    questions = written_questions(_read(tmp_path, "basics.md", text))
    assert {q.term for q in questions if q.is_cloze} == {"git add", "index"}
    raw = text
    for question in questions:
        assert question.term in raw[question.answer_start : question.answer_end]


def test_a_question_bank_document_keeps_its_own_questions(tmp_path: Path) -> None:
    text = (
        "# Serving\n\nQ1. What is a KV cache?\n\nIt stores the keys and values of past tokens.\n\n"
        "Q2. What is paged attention?\n\nKV blocks allocated like virtual memory pages.\n"
    )
    path = tmp_path / "serving.md"
    path.write_text(text, encoding="utf-8")
    bank = QuestionBank.from_files([SourceFile(path, "serving.md")])
    assert [q.kind for q in bank] == ["qa", "qa"]


# The shared real documents ----------------------------------------------------------------------
@cache
def _documents() -> tuple[ReadDocument, ...]:
    files, _refused, _roots = discover([DOCUMENTS])
    documents = []
    for file in files:
        try:
            documents.append(load_document(file, 10**8))
        except SkipFile:  # the site's index page: navigation only
            continue
    return tuple(documents)


def _sections_with_content(document: ReadDocument) -> set[tuple[str, ...]]:
    return {
        block.section
        for block in document.blocks
        if block.kind is not BlockKind.HEADING
        and block.section
        and len(document.text[block.start : block.end].split()) >= 8
    }


@cache
def _written(source: str) -> tuple[Question, ...]:
    document = next(d for d in _documents() if d.source == source)
    return tuple(written_questions(document))


def _sources() -> list[str]:
    return [d.source for d in _documents()]


def test_the_real_documents_cover_every_section_with_content() -> None:
    assert len(_documents()) >= 130  # two PDFs, 128 HTML pages, three office files
    for document in _documents():
        covered = {q.heading_path for q in _written(document.source)}
        missing = _sections_with_content(document) - covered
        assert not missing, (document.source, sorted(missing)[:3])


def _squeezed(text: str) -> str:
    return re.sub(r"[\s*`]+", "", text)


def _blanked(span: str, term: str, at: int) -> str:
    return _squeezed(span[:at] + CLOZE_BLANK + span[at + len(term) :])


def test_every_answer_is_in_its_cited_span_of_a_fresh_read() -> None:
    for document in _documents():
        fresh = load_document(SourceFile(document.path, document.source), 10**8)
        for question in _written(document.source):
            span = fresh.text[question.answer_start : question.answer_end]
            if question.is_cloze:
                assert question.term in span, question.id
                assert any(
                    _blanked(span, question.term, at) == _squeezed(question.cloze)
                    for at in range(len(span))
                    if span.startswith(question.term, at)
                ), question.id
            else:
                assert question.answer.split()[0] in span, question.id
            if fresh.page_unit.value:
                assert question.page == fresh.page_at(question.answer_start), question.id


def test_no_two_questions_of_a_document_test_the_same_span() -> None:
    for document in _documents():
        spans = Counter(
            (q.answer_start, q.answer_end) for q in _written(document.source) if q.kind != "section"
        )
        assert max(spans.values(), default=1) == 1, document.source
        prompts = Counter(q.prompt for q in _written(document.source))
        assert max(prompts.values(), default=1) == 1, document.source


def test_pdf_questions_cite_their_page() -> None:
    questions = _written("pdf/R-intro.pdf")
    assert len(questions) >= 150
    assert all(
        q.page is not None and q.citation_label.startswith("pdf/R-intro.pdf · p. ")
        for q in questions
    )
    kinds = Counter(q.kind for q in questions)
    assert kinds["cloze"] >= 30 and kinds["definition"] >= 10 and kinds["section"] >= 100
