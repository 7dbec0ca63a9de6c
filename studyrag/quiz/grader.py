"""Grade a student's answer against the corpus: key points covered and missed, and a 0-100 score.

Each key point of the reference gets two signals against the student's answer:

- semantic: the best cosine between any of the point's sentences (or the whole point, alone or
  after its label) and any sentence or clause of the answer, with the packaged embedder;
- lexical: the IDF-weighted share of the point's content terms (stemmed, stopwords removed) found
  in the answer, a term also counting when rapidfuzz finds a near spelling (typos, inflections).

Their weighted sum is mapped to a credit in [0, 1] by two calibrated cutoffs (``low`` gives no
credit, ``high`` full credit; per embedding model, see ``studyrag quiz calibrate``). A
point is covered at credit >= 0.5; the score is the mean credit times 100.

Questions with a model answer are graded against it. Outline questions (no answer in their
document) are graded against the passages the retriever finds in the other documents, and the
result says so.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from rapidfuzz import fuzz, process

from studyrag.embedding.base import Embedder
from studyrag.index.lexical import LexicalAnalyzer
from studyrag.quiz.bank import Question, QuestionBank
from studyrag.quiz.cloze import cloze_correct
from studyrag.quiz.keypoints import (
    KeyPoint,
    answer_units,
    extract_key_points,
    passage_lines,
    split_sentences,
)
from studyrag.settings import EmbeddingModelName, PracticeSettings
from studyrag.types import Citation, Hit, StudyragError

if TYPE_CHECKING:
    from studyrag.pipeline import StudyPipeline

FUZZY_MIN_RATIO = 85.0  # rapidfuzz ratio at which two terms count as the same word
FUZZY_MIN_LENGTH = 5  # shorter terms must match exactly
MAX_FOLLOW_UPS = 5


# Calibrated mapping -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Cutoffs:
    """How a key point's similarity becomes credit."""

    low: float  # combined similarity at or under which a point earns nothing
    high: float  # combined similarity at or over which a point is fully covered
    lexical_weight: float

    def __post_init__(self) -> None:
        if not self.low < self.high:
            raise StudyragError(f"grading cutoffs need low < high (got {self.low}, {self.high})")
        if not 0 <= self.lexical_weight <= 1:
            raise StudyragError("the lexical weight must be within 0-1")

    def combined(self, semantic: float, lexical: float) -> float:
        return (1 - self.lexical_weight) * semantic + self.lexical_weight * lexical

    def credit(self, semantic: float, lexical: float) -> float:
        value = (self.combined(semantic, lexical) - self.low) / (self.high - self.low)
        return float(min(max(value, 0.0), 1.0))

    @classmethod
    def from_settings(cls, practice: PracticeSettings, model: EmbeddingModelName) -> Cutoffs:
        """The cutoffs calibrated for ``model`` (similarity ranges differ per model)."""
        credit = practice.credit(model)
        return cls(credit.low, credit.high, practice.quiz_lexical_weight)


# Similarity -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Match:
    """How close the answer comes to one key point."""

    semantic: float
    lexical: float
    evidence: str  # the part of the answer closest to the point


class TermWeights:
    """IDF of stemmed terms over a collection of key points (unseen terms weigh the most)."""

    def __init__(self, analyzer: LexicalAnalyzer, texts: Iterable[str]) -> None:
        self.analyzer = analyzer
        frequencies: Counter[str] = Counter()
        count = 0
        for text in texts:
            frequencies.update(set(analyzer(text)))
            count += 1
        self._count = count
        self._idf = {t: self._formula(df) for t, df in frequencies.items()}

    def _formula(self, df: int) -> float:
        return math.log((self._count + 1) / (df + 1)) + 1.0

    def weight(self, term: str) -> float:
        return self._idf.get(term, self._formula(0))

    def recall(self, point_terms: Sequence[str], answer_terms: Sequence[str]) -> float:
        """IDF-weighted share of a point's terms present (or near-spelled) in the answer."""
        unique = set(point_terms)
        if not unique:
            return 0.0
        vocabulary = set(answer_terms)
        choices = [t for t in vocabulary if len(t) >= FUZZY_MIN_LENGTH - 1]
        found = total = 0.0
        for term in unique:
            weight = self.weight(term)
            total += weight
            if term in vocabulary or (
                len(term) >= FUZZY_MIN_LENGTH
                and choices
                and process.extractOne(
                    term, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_RATIO
                )
            ):
                found += weight
        return found / total


class Scorer:
    """Semantic and lexical closeness of key points to an answer.

    Embeddings are cached by text (key points and the corpus sentences recur across gradings), up
    to ``cache_size`` texts.
    """

    def __init__(self, embedder: Embedder, weights: TermWeights, cache_size: int = 50_000) -> None:
        self.embedder = embedder
        self.weights = weights
        self.cache_size = cache_size
        self._vectors: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of ``texts`` (one row each)."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            if len(self._vectors) + len(missing) > self.cache_size:
                self._vectors.clear()
            vectors = self.embedder.embed_documents(missing)
            self._vectors.update(zip(missing, vectors, strict=True))
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts])

    def match(self, points: Sequence[KeyPoint], answer: str) -> list[Match]:
        if not points:
            return []
        units = answer_units(answer) or [answer.strip()]
        unit_vectors = self.embed(units)
        answer_terms = self.weights.analyzer(answer)
        matches = []
        for point in points:
            texts = list(dict.fromkeys((*point.pieces, point.text, *point.in_context)))
            similarity = self.embed(texts) @ unit_vectors.T
            row, column = np.unravel_index(int(np.argmax(similarity)), similarity.shape)
            lexical = self.weights.recall(self.weights.analyzer(point.text), answer_terms)
            matches.append(Match(float(similarity[row, column]), lexical, units[column]))
        return matches


# Results ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PointGrade:
    """One key point with the credit the answer earned for it."""

    point: KeyPoint
    match: Match
    credit: float

    @property
    def covered(self) -> bool:
        return self.credit >= 0.5

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.point.to_dict(),
            "credit": round(self.credit, 3),
            "semantic": round(self.match.semantic, 3),
            "lexical": round(self.match.lexical, 3),
            "evidence": self.match.evidence if self.covered else "",
        }


@dataclass(frozen=True)
class Reference:
    """What an answer is graded against."""

    points: tuple[KeyPoint, ...]
    follow_ups: tuple[str, ...]
    from_model_answer: bool
    note: str = ""
    passages: tuple[Citation, ...] = ()


@dataclass
class GradeResult:
    """The verdict on one answer."""

    question: Question
    score: int
    points: list[PointGrade]
    reference: Reference

    @property
    def covered(self) -> list[PointGrade]:
        return [p for p in self.points if p.covered]

    @property
    def missed(self) -> list[PointGrade]:
        return [p for p in self.points if not p.covered]

    def to_dict(self) -> dict[str, Any]:
        return {
            "question_id": self.question.id,
            "question": self.question.prompt,
            "topic": self.question.topic,
            "difficulty": self.question.difficulty,
            "score": self.score,
            "covered": [self._point(p) for p in self.covered],
            "missed": [self._point(p) for p in self.missed],
            "follow_ups": list(self.reference.follow_ups),
            "graded_against": "model answer"
            if self.reference.from_model_answer
            else "retrieved passages",
            "note": self.reference.note,
            "passages": [
                {**c.to_dict(), "heading": self.question.cited_heading(c)}
                for c in self.reference.passages
            ],
        }

    def _point(self, grade: PointGrade) -> dict[str, Any]:
        return {**grade.to_dict(), "heading": self.question.cited_heading(grade.point.citation)}


# The grader -------------------------------------------------------------------------------------
class Grader:
    """Builds the reference for a question and grades answers against it.

    References are cached per question: build a new grader after re-ingesting the corpus.
    """

    def __init__(
        self,
        bank: QuestionBank,
        embedder: Embedder,
        practice: PracticeSettings,
        pipeline: StudyPipeline | None = None,
    ) -> None:
        self.bank = bank
        self.practice = practice
        self.pipeline = pipeline
        self.cutoffs = Cutoffs.from_settings(practice, embedder.name)
        weights = TermWeights(
            LexicalAnalyzer(),
            (p.text for q in bank if q.has_answer for p in bank.key_points(q)),
        )
        self.scorer = Scorer(embedder, weights)
        self._references: dict[str, Reference] = {}

    def reference(self, question: Question) -> Reference:
        if question.id not in self._references:
            if question.is_cloze:
                span = Citation(question.source, question.answer_start, question.answer_end)
                reference = Reference(
                    (KeyPoint(question.term, span, "", (question.term,)),),
                    (),
                    from_model_answer=True,
                    passages=(span,),
                )
            elif question.has_answer:
                reference = Reference(
                    self.bank.key_points(question),
                    question.follow_ups,
                    from_model_answer=True,
                    passages=(
                        Citation(question.source, question.answer_start, question.answer_end),
                    ),
                )
            else:
                reference = self._retrieved_reference(question)
            self._references[question.id] = reference
        return self._references[question.id]

    def grade(self, question: Question, answer: str) -> GradeResult:
        text = self._check_answer(answer)
        reference = self.reference(question)
        if question.is_cloze:
            return self.grade_cloze(question, reference, text)
        return self.grade_points(question, reference, text)

    @staticmethod
    def grade_cloze(question: Question, reference: Reference, answer: str) -> GradeResult:
        """All or nothing: the blank's term, forgiving case, plurals, a typo and its
        abbreviation or expansion (:func:`cloze_correct`)."""
        right = cloze_correct(answer, question.term, question.term_forms)
        signal = 1.0 if right else 0.0
        grades = [
            PointGrade(point, Match(signal, signal, answer), signal) for point in reference.points
        ]
        return GradeResult(question, 100 if right else 0, grades, reference)

    def grade_points(self, question: Question, reference: Reference, answer: str) -> GradeResult:
        """Grade an answer against a given reference (no input checks)."""
        matches = self.scorer.match(reference.points, answer)
        grades = [
            PointGrade(point, match, self.cutoffs.credit(match.semantic, match.lexical))
            for point, match in zip(reference.points, matches, strict=True)
        ]
        score = round(100 * sum(g.credit for g in grades) / len(grades)) if grades else 0
        return GradeResult(question, score, grades, reference)

    def _check_answer(self, answer: str) -> str:
        text = answer.strip() if isinstance(answer, str) else ""
        if not text:
            raise StudyragError("the answer is empty; type what you would say in the interview")
        limit = self.practice.quiz_max_answer_chars
        if len(text) > limit:
            raise StudyragError(
                f"the answer is {len(text):,} characters; keep it under {limit:,} "
                "(STUDYRAG_QUIZ_MAX_ANSWER_CHARS)"
            )
        return text

    # Outline questions ---------------------------------------------------------------------------
    def _retrieved_reference(self, question: Question) -> Reference:
        if self.pipeline is None:
            raise StudyragError(
                "this question has no model answer; grading it needs the index "
                "(run `studyrag ingest`)"
            )
        sources = [s for s in self.pipeline.status().files if s != question.source]
        sources = sources or [s for s in self.bank.sources if s != question.source]
        query = " ".join((question.title, *question.sub_points))
        hits = self.pipeline.search(
            query[: self.pipeline.retrieval.max_query_chars],
            top_k=self.practice.quiz_outline_passages,
            sources=sources,
        ).hits
        floor = self.practice.refusal_min_rerank
        hits = [h for h in hits if h.rerank_score is None or h.rerank_score >= floor]
        if not hits:
            raise StudyragError(
                "no model answer for this question, and no passage in the other documents "
                "covers it; nothing to grade against"
            )
        points, follow_ups = self._passage_points(hits)
        points = self._most_relevant(question, points)
        used = sorted({h.chunk.source for h in hits})
        note = (
            f"No model answer in {question.source}: graded against {len(hits)} passage(s) "
            f"retrieved from {', '.join(used)}."
        )
        return Reference(
            tuple(points),
            tuple(list(dict.fromkeys(follow_ups))[:MAX_FOLLOW_UPS]),
            from_model_answer=False,
            note=note,
            passages=tuple(Citation.of_chunk(h.chunk) for h in hits),
        )

    def _passage_points(self, hits: Sequence[Hit]) -> tuple[list[KeyPoint], list[str]]:
        """Key points inside each retrieved passage, and the follow-ups of their questions."""
        points: dict[Citation, KeyPoint] = {}
        follow_ups: list[str] = []
        for hit in hits:
            chunk = hit.chunk
            owner = self.bank.answer_owner(chunk.source, chunk.start, chunk.end)
            if owner is not None:
                follow_ups.extend(owner.follow_ups)
                found = [
                    p
                    for p in self.bank.key_points(owner)
                    if p.citation.start < chunk.end and chunk.start < p.citation.end
                ]
            else:
                found = self._split_passage(hit)
            for point in found:
                points.setdefault(point.citation, point)
        return list(points.values()), follow_ups

    def _split_passage(self, hit: Hit) -> list[KeyPoint]:
        chunk = hit.chunk
        aligned = self.bank.aligned(chunk.source)
        if aligned is not None:
            lines = passage_lines(aligned, chunk.start, chunk.end)
            found = extract_key_points(lines, aligned, chunk.source)
            if found:
                return found
        citation = Citation.of_chunk(chunk)
        pieces = tuple(split_sentences(chunk.text))
        return [KeyPoint(" ".join(chunk.text.split()), citation, "", pieces)]

    def _most_relevant(self, question: Question, points: list[KeyPoint]) -> list[KeyPoint]:
        """The points closest to the question, in passage order."""
        limit = self.practice.quiz_outline_points
        if len(points) <= limit:
            return points
        vectors = self.scorer.embed([p.text for p in points])
        query = self.scorer.embedder.embed_documents([question.title])[0]
        keep = set(np.argsort(-(vectors @ query))[:limit].tolist())
        return [p for i, p in enumerate(points) if i in keep]
