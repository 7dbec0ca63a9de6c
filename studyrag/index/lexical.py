"""Lexical analysis for BM25: lowercase word tokens, English stopwords removed, Snowball stems."""

from __future__ import annotations

import re
from functools import cache

import Stemmer

from studyrag.model_files import nltk_data_dir

# Words, numbers and mixed tokens ("7b", "fp16", "gpt-4" -> "gpt", "4").
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


@cache
def english_stopwords() -> frozenset[str]:
    """NLTK's English stopword list, from the copy llama-index-core ships."""
    path = nltk_data_dir() / "corpora" / "stopwords" / "english"
    return frozenset(w.strip() for w in path.read_text(encoding="utf-8").split() if w.strip())


class LexicalAnalyzer:
    """Turns text into BM25 terms; the same analyzer must index and query."""

    def __init__(self, language: str = "english") -> None:
        self._stemmer = Stemmer.Stemmer(language)
        self._stopwords = english_stopwords()

    def __call__(self, text: str) -> list[str]:
        words = [w for w in _TOKEN.findall(text.lower()) if w not in self._stopwords]
        return [str(word) for word in self._stemmer.stemWords(words)]
