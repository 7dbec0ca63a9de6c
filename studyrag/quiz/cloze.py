"""Checking a cloze answer: the blanked term, with the tolerance a teacher would allow.

Case, surrounding quotes or backticks, a leading article, plural endings and one typo in a
longer word are forgiven; the term's abbreviation or expansion, when the document gives one,
counts as the term; a number with a unit may be answered with the number alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from rapidfuzz import fuzz

FUZZY_MIN_RATIO = 85.0  # rapidfuzz ratio at which a long answer counts as a typo of the term
FUZZY_MIN_LENGTH = 6  # shorter terms must match exactly (after normalising)
MAX_EXTRA_WORDS = 2  # "its components" for "components": a few words around the term are fine

_TOKEN = re.compile(r"[^\W_]+(?:[.'’-][^\W_]+)*|[^\w\s]+")
_ARTICLES = frozenset({"a", "an", "the", "its", "their"})
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_EDGE_MARKS = "`'\"“”‘’*_.,;:!?"


def _singular(token: str) -> str:
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 4 and token.endswith(("ses", "xes", "zes", "ches", "shes")):
        return token[:-2]
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def cloze_tokens(text: str) -> list[str]:
    """Text as lowercase tokens, quotes and emphasis marks stripped, plurals made singular."""
    plain = unicodedata.normalize("NFKC", text).casefold().strip().strip(_EDGE_MARKS)
    return [_singular(t) for t in _TOKEN.findall(plain) if t.strip(_EDGE_MARKS)]


def _contains(answer: list[str], term: list[str]) -> bool:
    size = len(term)
    return any(answer[i : i + size] == term for i in range(len(answer) - size + 1))


def cloze_correct(answer: str, term: str, forms: Sequence[str] = ()) -> bool:
    """Whether ``answer`` fills a blank whose expected term is ``term`` (or one of ``forms``)."""
    given = cloze_tokens(answer)
    while len(given) > 1 and given[0] in _ARTICLES:
        given = given[1:]
    if not given:
        return False
    for expected in (term, *forms):
        wanted = cloze_tokens(expected)
        if not wanted:
            continue
        if given == wanted:
            return True
        if _contains(given, wanted) and len(given) - len(wanted) <= MAX_EXTRA_WORDS:
            return True
        joined, target = " ".join(given), " ".join(wanted)
        if len(target) >= FUZZY_MIN_LENGTH and fuzz.ratio(joined, target) >= FUZZY_MIN_RATIO:
            return True
        number = _NUMBER.fullmatch(wanted[0]) if len(wanted) == 2 else None
        if number and given == wanted[:1]:
            return True  # "5" for "5 times", "10" for "10%"
    return False
