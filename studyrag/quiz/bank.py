"""The question bank: every interview question of the corpus, with its model answer and metadata.

Questions come from the ingestion chunker's blocks (``StructureChunker.blocks``), so the bank and
the index agree on where each question starts and ends. This module only reads a block's lines: it
finds the model answer (after an ``Answer`` marker when there is one), the ``Follow-ups:`` list, the
difficulty/roles line and, for outline documents, the sub-points under each question. Offsets are
kept in the cleaned text and mapped to the original file for citations.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studyrag.index.manifest import Manifest
from studyrag.ingest.chunker import Block, DocumentShape, Line, StructureChunker
from studyrag.ingest.cleaner import AlignedText, MappedText, PlainText, clean_text
from studyrag.ingest.loaders import SkipFile, SourceFile, discover, load_document
from studyrag.ingest.readers.base import ReadDocument
from studyrag.ingest.readers.text import text_document
from studyrag.quiz.document_questions import document_questions, question_id
from studyrag.quiz.keypoints import KeyPoint, display, extract_key_points
from studyrag.settings import IndexSettings, IngestSettings
from studyrag.text.question_bank import (
    ANSWER_MARKER,
    DIFFICULTY_LINE,
    FOLLOW_UPS_MARKER,
    TOPIC_PREFIX,
)
from studyrag.text.units import BULLET
from studyrag.types import (
    Citation,
    StudyragError,
    citation_line,
    heading_line,
    page_locator,
)

DIFFICULTIES = ("Easy", "Medium", "Hard")
WRITTEN_KINDS = frozenset({"cloze", "definition", "section"})  # written from any document
GENERAL_TOPIC = "General"
MAX_SUB_POINTS = 4  # outline questions list 3-4 sub-points; later lines are the next section

_LEVELS = (
    (re.compile(r"\b(?:basic|beginner|easy|junior|entry)\b", re.I), "Easy"),
    (re.compile(r"\b(?:intermediate|medium|mid)\b", re.I), "Medium"),
    (re.compile(r"\b(?:advanced|hard|senior|expert)\b", re.I), "Hard"),
)
_SMALL_WORDS = frozenset(
    ["a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "vs"]
)
_WORD = re.compile(r"[A-Za-z][\w'-]*")


@dataclass(frozen=True)
class Question:
    """One interview question, its model answer (empty for outline questions) and metadata."""

    id: str
    source: str
    number: int | None
    title: str
    topic: str
    heading_path: tuple[str, ...]
    difficulty: str | None
    roles: tuple[str, ...]
    # "qa" (a model answer), "outline" (question and sub-points only); from any document:
    # "cloze" (fill the blank), "definition" (What is X?), "section" (Explain a section)
    kind: str
    answer: str
    answer_start: int  # offsets of the model answer in the original file
    answer_end: int
    follow_ups: tuple[str, ...] = ()
    sub_points: tuple[str, ...] = ()
    intent: str = ""  # what the interviewer is really asking, where the document says so
    heading_missing: bool = False
    page: int | None = None  # page or slide the answer starts on (paginated formats)
    page_unit: str = ""
    term: str = ""  # what fills the blank
    term_forms: tuple[str, ...] = ()  # other accepted forms: an abbreviation or its expansion
    term_mark: str = ""  # how the document marks the term (code, emphasis, defined, number ...)
    answer_lines: tuple[Line, ...] = field(default=(), repr=False, compare=False)

    @property
    def has_answer(self) -> bool:
        return bool(self.answer_lines)

    @property
    def is_cloze(self) -> bool:
        return self.kind == "cloze"

    @property
    def cloze(self) -> str:
        """A cloze question's sentence, its blank shown as ``CLOZE_BLANK`` (its title)."""
        return self.title if self.is_cloze else ""

    @property
    def locator(self) -> str:
        """``p. 42`` or ``slide 3``; empty for formats without pages."""
        return page_locator(self.page, self.page_unit)

    @property
    def citation_label(self) -> str:
        """``R-intro.pdf · p. 42 · 6.2 Lists``: file, page or slide, section path."""
        return citation_line(self.source, self.locator, heading_line(self.heading_path, ""))

    @property
    def prompt(self) -> str:
        """The question as put to the student."""
        if self.is_cloze:
            return f"Fill in the blank: {self.cloze}"
        if not self.heading_missing or not self.answer:
            return self.title
        opening = " ".join(self.answer.split()[:10])
        return f"{self.title}. Hint: the model answer opens with “{opening} …”"

    @property
    def heading(self) -> str:
        """Heading path and title as one readable line (as a passage's heading reads); a
        written question's title is its prompt, so its heading is its section's."""
        if self.kind in WRITTEN_KINDS:
            return heading_line(self.heading_path, "")
        return heading_line(self.heading_path, self.title)

    def cited_heading(self, citation: Citation) -> str:
        """The heading of a span cited for this question: its passage's, else the question's."""
        return citation.chunk.heading if citation.chunk is not None else self.heading

    @property
    def label(self) -> str:
        """Short line for lists: number, difficulty and title."""
        number = f"Q{self.number} " if self.number is not None else ""
        level = f"[{self.difficulty}] " if self.difficulty else ""
        return f"{number}{level}{self.title}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "number": self.number,
            "title": self.title,
            "prompt": self.prompt,
            "topic": self.topic,
            "heading_path": list(self.heading_path),
            "difficulty": self.difficulty,
            "roles": list(self.roles),
            "kind": self.kind,
            "answer_start": self.answer_start,
            "answer_end": self.answer_end,
            "follow_ups": list(self.follow_ups),
            "sub_points": list(self.sub_points),
            "heading_missing": self.heading_missing,
            "page": self.page,
            "citation": self.citation_label,
            "cloze": self.cloze,
            "term": self.term,
            "term_forms": list(self.term_forms),
            "term_mark": self.term_mark,
        }


# Line classification ----------------------------------------------------------------------------
def strip_bullet(text: str) -> str:
    """A line without its bullet or list number and surrounding Markdown emphasis."""
    return BULLET.sub("", text, count=1).replace("**", "").strip()


def is_section_heading(text: str) -> bool:
    """A short Title Case line with no punctuation: a document section, not part of an answer.

    Catches headings the chunker keeps inside the last block of a section (``Study Plan by Role``,
    ``How to Practice``, an emoji heading whose mojibake survived cleaning). Table rows glued
    without separators (``Single GPUBaselineLow``) and slash lists are not headings.
    """
    stripped = text.strip()
    if not 0 < len(stripped) <= 60 or stripped[-1] in ".?:!,;)*" or BULLET.match(text):
        return False
    if any(mark in stripped for mark in (":", "|", "/", "=", "\t", "**")):
        return False
    words = _WORD.findall(stripped)
    if len(words) < 2 or len(words) > 7 or re.search(r"[a-z][A-Z]", stripped):
        return False
    return all(w[0].isupper() or w.lower() in _SMALL_WORDS for w in words)


def clean_topic(heading: str) -> str:
    """A heading as a topic label: no emoji or mojibake prefix, no ``Category 3 —`` numbering."""
    text = "".join(c for c in heading.replace("**", "") if unicodedata.category(c) != "So")
    words = text.split()
    # A leading token mixing non-ASCII letters and symbols is an emoji's mojibake (`ğŸ—ï¸`).
    while len(words) > 1 and any(ord(c) > 127 and not c.isalnum() for c in words[0]):
        words.pop(0)
    text = re.sub(r"^[^\w(]+", "", " ".join(words))
    text = TOPIC_PREFIX.sub("", text).strip(" -\u2013\u2014:")
    return text or heading.strip()


def level_of(headings: Iterable[str]) -> str | None:
    """Difficulty implied by section headings (``Basic Concepts``, ``Intermediate Questions``)."""
    for heading in headings:
        for pattern, level in _LEVELS:
            if pattern.search(heading):
                return level
    return None


# Block parsing ----------------------------------------------------------------------------------
@dataclass
class _Parsed:
    """What one block yields before topics are decided across the document."""

    block: Block
    answer: list[Line]
    follow_ups: list[str]
    sub_points: list[str]
    intent: str
    difficulty: str | None
    roles: tuple[str, ...]
    next_section: str | None  # a section heading found after the answer


def _has_words(text: str) -> bool:
    """False for rules and separators (``---``, ``***``) that carry no content."""
    return any(c.isalnum() for c in text)


def _qa_parts(block: Block) -> _Parsed:
    heading_missing = bool(block.metadata.get("heading_missing"))
    body = list(block.lines if heading_missing else block.lines[1:])
    difficulty = block.metadata.get("difficulty")
    listed = block.metadata.get("roles") or ()
    roles = tuple(str(role) for role in listed) if isinstance(listed, (list, tuple)) else ()
    next_section = None
    for index, line in enumerate(body):
        if is_section_heading(line.text):
            next_section, body = line.text.strip(), body[:index]
            break
    body = [line for line in body if _has_words(line.text)]
    marker = next((i for i, line in enumerate(body) if ANSWER_MARKER.match(line.text)), None)
    preamble, answer = (body[:marker], body[marker + 1 :]) if marker is not None else ([], body)
    if marker is None:
        answer = [line for line in answer if not DIFFICULTY_LINE.match(line.text)]
    follow_ups: list[str] = []
    split = next((i for i, line in enumerate(answer) if FOLLOW_UPS_MARKER.match(line.text)), None)
    if split is not None:
        for line in answer[split + 1 :]:
            if not (BULLET.match(line.text) or line.text.strip().endswith("?")):
                break
            follow_ups.append(strip_bullet(line.text))
        answer = answer[:split]
    intent = " ".join(
        line.text.strip() for line in preamble if not DIFFICULTY_LINE.match(line.text)
    )
    return _Parsed(
        block,
        answer,
        follow_ups,
        [],
        intent,
        str(difficulty) if difficulty else None,
        roles,
        next_section,
    )


def _outline_parts(block: Block) -> _Parsed:
    sub_points: list[str] = []
    for line in block.lines[1:]:
        if ":" in line.text or len(sub_points) == MAX_SUB_POINTS:
            break
        sub_points.append(strip_bullet(line.text))
    return _Parsed(block, [], [], sub_points, "", None, (), None)


def _common_prefix(paths: Sequence[tuple[str, ...]]) -> int:
    if len(set(paths)) < 2:
        return 0
    depth = 0
    while all(len(p) > depth for p in paths) and len({p[depth] for p in paths}) == 1:
        depth += 1
    return depth


def _topics(parsed: Sequence[_Parsed]) -> list[tuple[str, str | None]]:
    """Topic and heading-implied difficulty per question.

    The topic is the first heading below the document title (a heading every question shares);
    a section heading found inside the previous answer overrides it until the path changes.
    """
    paths = [p.block.heading_path for p in parsed]
    skip = _common_prefix(paths)
    result: list[tuple[str, str | None]] = []
    override: tuple[tuple[str, ...], str] | None = None
    for item, path in zip(parsed, paths, strict=True):
        below = path[skip:] or path[-1:]
        topic = clean_topic(below[0]) if below else GENERAL_TOPIC
        if override is not None and override[0] == path:
            topic = clean_topic(override[1])
        elif override is not None:
            override = None
        result.append((topic, level_of(below[1:])))
        if item.next_section:
            override = (path, item.next_section)
    return result


def _question_ids(source: str, blocks: Sequence[Block]) -> list[str]:
    stem = Path(source).stem
    seen: Counter[str] = Counter()
    ids = []
    for ordinal, block in enumerate(blocks, start=1):
        if block.kind == "outline":
            base = f"{stem}-o{ordinal}"
        elif block.number is not None:
            base = f"{stem}-q{block.number}"
        else:
            base = f"{stem}-x{ordinal}"
        seen[base] += 1
        ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return ids


def _no_tokens(texts: Sequence[str]) -> list[int]:
    """``blocks()`` never counts tokens; the chunker only needs a counter to be constructed."""
    return [len(t.split()) for t in texts]


def parse_document(source: str, aligned: AlignedText) -> list[Question]:
    """The questions of one cleaned document, in document order."""
    shape, blocks = StructureChunker(_no_tokens).blocks(text_document(source, aligned))
    if shape is DocumentShape.PROSE:
        return []
    blocks = [b for b in blocks if b.kind in ("qa", "outline")]
    parsed = [_qa_parts(b) if b.kind == "qa" else _outline_parts(b) for b in blocks]
    questions: list[Question] = []
    for item, qid, (topic, level) in zip(
        parsed, _question_ids(source, blocks), _topics(parsed), strict=True
    ):
        block = item.block
        if item.answer:
            start, end = item.answer[0].start, item.answer[-1].end
            answer = aligned.text[start:end]
            answer_start, answer_end = aligned.to_original(start, end)
        else:
            answer, (answer_start, answer_end) = (
                "",
                aligned.to_original(block.lines[0].start, block.lines[0].start),
            )
        questions.append(
            Question(
                id=qid,
                source=source,
                number=block.number,
                title=block.title.strip() or f"Question {len(questions) + 1}",
                topic=topic,
                heading_path=block.heading_path,
                difficulty=item.difficulty or level,
                roles=item.roles,
                kind="qa" if item.answer else "outline",
                answer=answer,
                answer_start=answer_start,
                answer_end=answer_end,
                follow_ups=tuple(item.follow_ups),
                sub_points=tuple(item.sub_points),
                intent=item.intent,
                heading_missing=bool(block.metadata.get("heading_missing")),
                answer_lines=tuple(item.answer),
            )
        )
    return questions


def _sections_asked(document: ReadDocument, own: Sequence[Question]) -> set[tuple[str, ...]]:
    """The sections of a question-bank document that its own questions already ask about."""
    asked = set()
    for block in document.blocks:
        start, end = document.to_original(block.start, block.end)
        # An outline question's span is empty: it marks where the question stands.
        if any(q.answer_start < end and start < max(q.answer_end, q.answer_start + 1) for q in own):
            asked.add(block.section)
    return asked


def written_questions(
    document: ReadDocument, skip: set[tuple[str, ...]] | frozenset[tuple[str, ...]] = frozenset()
) -> list[Question]:
    """The cloze, definition and section questions written from any read document (``skip``:
    sections a question-bank document already asks about with its own questions)."""
    drafts = [d for d in document_questions(document) if d.section not in skip]
    depth = _common_prefix([d.section for d in drafts])
    seen: Counter[str] = Counter()
    questions = []
    for draft in drafts:
        base = question_id(document.source, draft)
        seen[base] += 1
        qid = base if seen[base] == 1 else f"{base}-{seen[base]}"
        below = draft.section[depth:] or draft.section[-1:]
        start, end = document.to_original(draft.start, draft.end)
        questions.append(
            Question(
                id=qid,
                source=document.source,
                number=None,
                title=draft.title,
                topic=clean_topic(below[0]) if below else GENERAL_TOPIC,
                heading_path=draft.section,
                difficulty=_WRITTEN_DIFFICULTY[draft.kind],
                roles=(),
                kind=draft.kind,
                answer=display(document.text[draft.start : draft.end]),
                answer_start=start,
                answer_end=end,
                page=draft.page,
                page_unit=document.page_unit.value,
                term=draft.term,
                term_forms=draft.term_forms,
                term_mark=draft.term_mark,
                answer_lines=draft.lines,
            )
        )
    return questions


_WRITTEN_DIFFICULTY = {"cloze": "Easy", "definition": "Medium", "section": "Hard"}


# The bank ---------------------------------------------------------------------------------------
class QuestionBank:
    """All questions of a corpus, with the cleaned text of each source for citations."""

    def __init__(self, questions: Sequence[Question], texts: Mapping[str, MappedText]) -> None:
        self.questions: tuple[Question, ...] = tuple(questions)
        self._texts = dict(texts)
        self._by_id = {q.id: q for q in self.questions}
        self._points: dict[str, tuple[KeyPoint, ...]] = {}
        if len(self._by_id) != len(self.questions):
            raise ValueError("question ids must be unique")

    @classmethod
    def from_texts(cls, documents: dict[str, str]) -> QuestionBank:
        """Build from decoded documents (source name -> original text)."""
        return cls.from_aligned({source: clean_text(raw) for source, raw in documents.items()})

    @classmethod
    def from_aligned(cls, texts: dict[str, AlignedText]) -> QuestionBank:
        """Build from cleaned documents (source name -> cleaned text with its offset map)."""
        questions = [q for source in sorted(texts) for q in parse_document(source, texts[source])]
        return cls(questions, texts)

    @classmethod
    def from_corpus(cls, corpus_dir: Path, max_bytes: int = 20 * 2**20) -> QuestionBank:
        """Build from every readable file under ``corpus_dir`` (unreadable ones are skipped)."""
        files, _refused, _roots = discover([corpus_dir])
        bank = cls.from_files(files, max_bytes)
        if not bank._texts:
            raise StudyragError(f"no readable documents in {corpus_dir}")
        return bank

    @classmethod
    def from_files(cls, files: Sequence[SourceFile], max_bytes: int = 20 * 2**20) -> QuestionBank:
        """Build from these files under their source names (unreadable ones are skipped): a
        question-bank document keeps its own questions, any other gets written ones."""
        texts: dict[str, MappedText] = {}
        questions: list[Question] = []
        for file in sorted(files, key=lambda f: f.source):
            try:
                document = load_document(file, max_bytes)
            except SkipFile:
                continue
            own = parse_document(file.source, document.aligned) if document.aligned else []
            questions.extend(own)
            questions.extend(written_questions(document, skip=_sections_asked(document, own)))
            texts[file.source] = document.aligned or PlainText(document.text)
        return cls(questions, texts)

    def __len__(self) -> int:
        return len(self.questions)

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions)

    def get(self, question_id: str) -> Question:
        try:
            return self._by_id[question_id]
        except KeyError:
            raise StudyragError(
                f"no question {question_id!r}; `studyrag quiz list` shows the ids"
            ) from None

    def key_points(self, question: Question) -> tuple[KeyPoint, ...]:
        """The key points of a question's model answer (none for outline questions)."""
        if question.id not in self._points:
            aligned = self._texts[question.source]
            points = extract_key_points(question.answer_lines, aligned, question.source)
            self._points[question.id] = tuple(points)
        return self._points[question.id]

    def aligned(self, source: str) -> MappedText | None:
        """The cleaned text of a source with its offset map (None if not in the bank)."""
        return self._texts.get(source)

    @property
    def sources(self) -> list[str]:
        return sorted(self._texts)

    def topics(self) -> list[str]:
        return sorted({q.topic for q in self.questions}, key=str.lower)

    def filter(
        self,
        topic: str | None = None,
        difficulty: str | None = None,
        kind: str | None = None,
        ids: Iterable[str] | None = None,
    ) -> list[Question]:
        """Questions matching every given filter (topic: case-insensitive substring)."""
        wanted = set(ids) if ids is not None else None
        needle = topic.strip().lower() if topic else None
        return [
            q
            for q in self.questions
            if (needle is None or needle in q.topic.lower())
            and (difficulty is None or (q.difficulty or "").lower() == difficulty.lower())
            and (kind is None or q.kind == kind)
            and (wanted is None or q.id in wanted)
        ]

    def about_passage(self, source: str, start: int, end: int, heading: str) -> list[Question]:
        """The questions on a cited passage: those whose span overlaps it first, then the rest
        of its section (``heading``: the passage's heading line)."""
        overlapping, section = [], []
        for question in self.questions:
            if question.source != source:
                continue
            if question.answer_start < end and start < question.answer_end:
                overlapping.append(question)
            elif heading and heading in (question.heading, heading_line(question.heading_path, "")):
                section.append(question)
        return overlapping + section

    def answer_owner(self, source: str, start: int, end: int) -> Question | None:
        """The question whose model answer overlaps most with an original-text span."""
        best, best_overlap = None, 0
        for question in self.questions:
            if question.source != source or question.kind != "qa":
                continue
            overlap = min(end, question.answer_end) - max(start, question.answer_start)
            if overlap > best_overlap:
                best, best_overlap = question, overlap
        return best


_CACHE: dict[tuple[str, tuple[tuple[str, int, int], ...]], QuestionBank] = {}


def load_bank(corpus_dir: Path, max_bytes: int = 20 * 2**20) -> QuestionBank:
    """The bank for a corpus folder, rebuilt only when a file in it changes."""
    root = corpus_dir.resolve()
    if not root.is_dir():
        raise StudyragError(f"corpus folder {corpus_dir} does not exist (STUDYRAG_CORPUS_DIR)")
    stamp = tuple(
        (str(p.relative_to(root)), p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    )
    key = (str(root), stamp)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = QuestionBank.from_corpus(root, max_bytes)
    return _CACHE[key]


_INDEXED: dict[tuple[str, tuple[tuple[str, str], ...]], QuestionBank] = {}


def indexed_bank(index: IndexSettings, ingest: IngestSettings) -> QuestionBank:
    """The bank of the documents the active collection has indexed, read from the files the
    manifest names; rebuilt when an ingest adds, changes or removes one (so a deleted document
    takes its questions with it, and a question whose text did not change keeps its id)."""
    try:
        manifest = Manifest.load(index.manifest_path)
    except ValueError as error:
        raise StudyragError(f"{error}; run `studyrag ingest` to rebuild it") from None
    if manifest is None or not manifest.entries:
        raise StudyragError(
            "nothing is indexed in this collection yet; run `studyrag ingest` (or add documents "
            "in the app) first"
        )
    stamp = tuple(sorted((e.source, e.sha256) for e in manifest.entries.values()))
    key = (str(index.manifest_path.resolve()), stamp)
    if key not in _INDEXED:
        # A file gone since the last ingest is skipped by from_files (it cannot be read).
        files = [SourceFile(Path(e.path), e.source) for e in manifest.entries.values()]
        _INDEXED.clear()
        _INDEXED[key] = QuestionBank.from_files(files, ingest.max_file_bytes)
    return _INDEXED[key]
