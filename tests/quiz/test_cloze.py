"""Grading a cloze answer: the tolerances a teacher allows, and the wrong answers it refuses."""

from __future__ import annotations

import pytest

from studyrag.quiz.cloze import cloze_correct


@pytest.mark.parametrize(
    ("answer", "term", "forms"),
    [
        ("components", "components", ()),
        ("Components", "components", ()),  # case
        ("component", "components", ()),  # plural
        ("libraries", "library", ()),  # plural the other way
        ("its components", "components", ()),  # a few words around it
        ("the index.", "index", ()),  # article and a full stop
        ("`git add`", "git add", ()),  # the document's code marks
        ("compnents", "components", ()),  # one typo in a long word
        ("API", "Application Programming Interface", ("API",)),  # the abbreviation
        ("application programming interface", "API", ("Application Programming Interface",)),
        ("5", "5 times", ()),  # the number alone
        ("10 %", "10%", ()),
    ],
)
def test_right_answers_pass(answer: str, term: str, forms: tuple[str, ...]) -> None:
    assert cloze_correct(answer, term, forms)


@pytest.mark.parametrize(
    ("answer", "term", "forms"),
    [
        ("objects", "components", ()),
        ("git commit", "git add", ()),
        ("HEAP", "HEAD", ()),  # short terms get no typo allowance
        ("6", "5 times", ()),
        ("the", "components", ()),
        ("", "components", ()),
        ("a list of many words that happen to include components somewhere", "components", ()),
        ("ABI", "API", ("Application Programming Interface",)),
    ],
)
def test_wrong_answers_fail(answer: str, term: str, forms: tuple[str, ...]) -> None:
    assert not cloze_correct(answer, term, forms)
