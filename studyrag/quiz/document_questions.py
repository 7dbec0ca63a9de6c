"""Practice questions from any document, without an LLM: cloze deletions, definitions, sections.

Reads the document model (blocks, sections, pages; the same one retrieval indexes) and writes,
section by section:

- **cloze** questions: a sentence with one term blanked out, the term chosen from what the
  document itself marks (inline code, bold, italics, a defined term, an abbreviation whose
  expansion it gives, a number with a unit, a formula's right-hand side), never a stopword or a
  fragment, and only where the rest of the sentence still says what the blank is;
- **definition** questions ("What is X?") from sentences that define a term ("X is a ...",
  "X refers to ...") and from definition lists, graded against the defining sentences;
- **section** questions ("Explain X") from each section's heading, graded against the key
  points of the section's text, so every section with content yields at least one question.

Each question cites its span (file · page · section). Ids hash the question's own text, so a
question whose passage did not change keeps its id (and its practice history) across re-indexing.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from studyrag.index.lexical import english_stopwords
from studyrag.ingest.chunker import Line
from studyrag.ingest.readers.base import Block, BlockKind, Mark, MarkedTerm, ReadDocument
from studyrag.quiz.keypoints import display
from studyrag.text.sentences import sentence_spans
from studyrag.text.units import BULLET

CLOZE_BLANK = "_____"
MAX_CLOZES_PER_SECTION = 4
MAX_CLOZES_PER_TERM = 2  # in one document: the same term blanked again teaches nothing new
MIN_SENTENCE_WORDS = 6
MAX_SENTENCE_WORDS = 60
MIN_CONTEXT_WORDS = 5  # words of the sentence left around the blank
MAX_TERM_WORDS = 6
MAX_TERM_CHARS = 50
MIN_SECTION_WORDS = 8
MAX_DEFINITION_CHARS = 400
MAX_SECTION_POINTS = 6
MAX_SECTION_CHARS = 1500

# Best first: what the document defines outranks what it merely sets in a font.
_PRIORITY = {
    "defined": 0,
    "abbreviation": 1,
    "code": 2,
    "strong": 3,
    "emphasis": 4,
    "number": 5,
    "formula": 6,
}
_KIND_LETTER = {"cloze": "c", "definition": "d", "section": "s"}

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_TOKENS = re.compile(r"[^\W_]+")
_MARKDOWN_MARKS = (
    (re.compile(r"`([^`\n]{1,50})`"), Mark.CODE),
    (re.compile(r"\*\*([^*\n]{2,60})\*\*"), Mark.STRONG),
    (re.compile(r"(?<![*\w])\*([^*\s][^*\n]{0,48}[^*\s])\*(?![*\w])"), Mark.EMPHASIS),
    (re.compile(r"(?<![_\w])_([^_\s][^_\n]{0,48}[^_\s])_(?![_\w])"), Mark.EMPHASIS),
)
_CALLED = re.compile(
    r"\b(?:known as|called|termed|referred to as|named)\s+(?:an?\s+|the\s+|its\s+)?"
    r"[\"“‘']?(?P<term>[A-Za-z][\w-]*(?:\s+[A-Za-z][\w-]*){0,2})"
)
_ABBREVIATION = re.compile(
    r"(?P<expansion>\b[A-Z][\w-]*(?:\s+(?:of\s+|for\s+|and\s+|the\s+)?[A-Za-z][\w-]*){1,6})"
    r"\s+\((?P<short>[A-Z][A-Za-z0-9]{1,7}s?)\)"
)
_UNITS = (
    r"%|percent|[kKMGTP]i?B|bytes?|bits?|ms|seconds?|minutes?|hours?|days?|weeks?|months?|"
    r"years?|pages?|lines?|characters?|columns?|rows?|px|pt|cm|mm|km|kg|Hz|[kMG]Hz|°C|°F|"
    r"times|digits?|dimensions?|arguments?|elements?|levels?"
)
_NUMBER = re.compile(rf"(?<![\w.,-])\d+(?:[.,]\d+)?\s?(?:{_UNITS})(?![\w])")
_FORMULA = re.compile(
    r"(?<![\w=<>!])(?P<lhs>[A-Za-z]\w{0,15}(?:\([\w, ]{0,20}\))?)\s*=\s*"
    r"(?P<rhs>[\w().]+(?:\s*[-+*/^]\s*[\w().]+)+)(?=[\s,;]|\.?$|\.\s)"
)
_DEFINITION = re.compile(
    r"^(?:(?:An?|The)\s+)?(?P<term>[^\s,;:]+(?:\s+[^\s,;:]+){0,4}?)\s+"
    r"(?P<verb>is|are|refers to|refer to|means|denotes|stands for)\s+"
    r"(?P<rest>(?:an?|the|one|any|used|defined|called|simply|essentially)\b.+)",
)
_PRONOUN_START = re.compile(
    r"^(?:it|this|these|that|those|they|there|here|he|she|we|you|such|its|their|both|each|"
    r"which|then|also|however|otherwise|so|but|and|or)\b",
    re.I,
)
_LABEL_START = re.compile(r"^(?:[A-Z]{2,}|[A-Z][a-z]+)\s*:")  # "NOTE:", "Tip:" open a label
_HEADING_NUMBER = re.compile(
    r"^(?:(?:chapter|appendix|part|section)\s+)?[A-Z]?\d+(?:\.\d+)*\.?\s+", re.I
)
_GENERIC_HEADINGS = frozenset(
    [
        *("introduction", "overview", "summary", "examples", "example", "syntax"),
        *("description", "notes", "note", "usage", "options", "details", "background"),
        *("discussion", "conclusion", "preface", "foreword", "motivation"),
    ]
)
_SENTENCE_CLOSE = re.compile(r"[.!][\"'”’)]*$")
_HASH = re.compile(r"[0-9a-f]{6,40}(?:\.\.\.)?")  # an object id or checksum: nothing to learn
_OPENERS = "([{\"'“‘"
_CLOSERS = ")]}\"'”’"


@dataclass(frozen=True)
class DraftQuestion:
    """A question written from a document, before the bank gives it topic and id."""

    kind: str  # "cloze", "definition" or "section"
    title: str  # the prompt; for a cloze, the sentence with the blank
    section: tuple[str, ...]
    page: int | None
    start: int  # the cited span, in ``document.text``
    end: int
    lines: tuple[Line, ...]  # what an open question is graded against
    term: str = ""
    term_forms: tuple[str, ...] = ()
    term_mark: str = ""

    @property
    def key(self) -> str:
        """What the question asks, for ids: kind, section, prompt and answer text."""
        answer = "\n".join(line.text for line in self.lines)
        return "\x1f".join((self.kind, " > ".join(self.section), self.title, self.term, answer))


@dataclass(frozen=True)
class _Term:
    text: str
    start: int  # in document.text
    end: int
    mark: str
    forms: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Sentence:
    block: Block
    start: int
    end: int
    text: str


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _balanced(text: str) -> bool:
    for opener, closer in ("()", "[]", "{}"):
        if text.count(opener) != text.count(closer):
            return False
    return text.count('"') % 2 == 0 and text.count("`") == 0


def is_content_term(term: str, stopwords: frozenset[str], symbolic: bool = False) -> bool:
    """A term worth blanking: letters or digits, not a stopword, no dangling word or bracket
    (``symbolic``: code or a formula, where ``a`` and ``in`` are names, not English)."""
    stripped = term.strip()
    words = [w.lower() for w in _words(stripped)]
    if not words or len(stripped) > MAX_TERM_CHARS or len(words) > MAX_TERM_WORDS:
        return False
    if stripped[0] in _CLOSERS or stripped[-1] in _OPENERS or not _balanced(stripped):
        return False
    if "*" in stripped or "…" in stripped or stripped[-1] in ".,;:":
        return False  # Markdown marks, an elided part or a trailing stop: a fragment
    tokens = [t.lower() for t in _TOKENS.findall(stripped)]
    if not any(len(t) >= 2 and t not in stopwords for t in tokens) and not any(
        c.isdigit() for c in stripped
    ):
        return False  # "^Q", "a-b", "-w any:any": keys, letters and stopwords, no term
    if all(w in stopwords for w in words):
        return False
    # A phrase that starts or ends on a stopword is a fragment ("of the list").
    edges = words[0] not in stopwords and words[-1] not in stopwords
    return len(words) == 1 or symbolic or edges


def _whole_word_at(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_")


def _occurrences(sentence: str, term: str) -> list[int]:
    found, index = [], sentence.find(term)
    while index >= 0:
        if _whole_word_at(sentence, index, index + len(term)):
            found.append(index)
        index = sentence.find(term, index + 1)
    return found


class DocumentQuestionWriter:
    """Writes the cloze, definition and section questions of one read document."""

    def __init__(self, document: ReadDocument) -> None:
        self.document = document
        self.stopwords = english_stopwords()
        self.expansions = self._abbreviations()
        self._term_uses: Counter[str] = Counter()
        self._section_runs = list(self._sections())
        titles = Counter(section_title(s) for s, _ in self._section_runs if s)
        self._shared_titles = {title for title, count in titles.items() if count > 1}

    def run(self) -> list[DraftQuestion]:
        """Every question of the document, in document order."""
        drafts: list[DraftQuestion] = []
        seen: set[tuple[str, str]] = set()
        for section, blocks in self._section_runs:
            for draft in self._section_questions(section, blocks):
                # Repeated text (a page printed twice) asks nothing new, and one cloze sentence
                # with two answers ("The _____ style is only relevant to 2D plotting.") is unfair.
                identity = (draft.kind, draft.title)
                if identity not in seen:
                    seen.add(identity)
                    drafts.append(draft)
        return drafts

    # Document structure ---------------------------------------------------------------------------
    def _sections(self) -> Iterator[tuple[tuple[str, ...], list[Block]]]:
        """Runs of consecutive blocks under one section path (headings left out)."""
        current: tuple[str, ...] | None = None
        run: list[Block] = []
        for block in self.document.blocks:
            if block.kind is BlockKind.HEADING:
                if run and current is not None:
                    yield current, run
                current, run = block.section, []
                continue
            if current is None:
                current = block.section
            if block.section != current:
                if run:
                    yield current, run
                current, run = block.section, []
            run.append(block)
        if run and current is not None:
            yield current, run

    def _abbreviations(self) -> dict[str, str]:
        """Abbreviation -> expansion, as the document spells them out anywhere."""
        found: dict[str, str] = {}
        for block in self.document.blocks:
            for term in block.terms:
                if term.mark is Mark.ABBREVIATION and term.expansion:
                    found.setdefault(term.text, term.expansion)
            if block.kind in (BlockKind.PARAGRAPH, BlockKind.LIST_ITEM):
                text = self.document.text[block.start : block.end]
                for match in _ABBREVIATION.finditer(text):
                    short, expansion = match.group("short"), match.group("expansion")
                    if _initials_fit(short, expansion):
                        found.setdefault(short, _trim_expansion(short, expansion))
        return found

    def _sentences(self, block: Block) -> list[_Sentence]:
        text = self.document.text
        start = block.start
        if block.kind is BlockKind.LIST_ITEM and (match := BULLET.match(text[start : block.end])):
            start += match.end()
        sentences = []
        for s, e in sentence_spans(text[start : block.end], start):
            sentences.append(_Sentence(block, s, e, text[s:e]))
        return sentences

    # Questions of one section ---------------------------------------------------------------------
    def _section_questions(
        self, section: tuple[str, ...], blocks: list[Block]
    ) -> list[DraftQuestion]:
        prose = [
            b
            for b in blocks
            if b.kind in (BlockKind.PARAGRAPH, BlockKind.LIST_ITEM, BlockKind.CAPTION)
        ]
        drafts: list[DraftQuestion] = []
        used: set[tuple[int, int]] = set()
        for block in prose:
            for draft in self._definitions(section, block, prose):
                drafts.append(draft)
                used.add((draft.start, draft.end))
        clozes = []
        for block in prose:
            for sentence in self._sentences(block):
                if (sentence.start, sentence.end) in used or not self._fit_sentence(sentence):
                    continue
                term = self._best_term(sentence)
                if term is not None:
                    clozes.append((_PRIORITY[term.mark], sentence, term))
        chosen: list[tuple[_Sentence, _Term]] = []
        terms_here: set[str] = set()
        for _, sentence, term in sorted(clozes, key=lambda c: (c[0], c[1].start)):
            norm = term.text.lower()
            if len(chosen) == MAX_CLOZES_PER_SECTION or norm in terms_here:
                continue
            if self._term_uses[norm] >= MAX_CLOZES_PER_TERM:
                continue
            self._term_uses[norm] += 1
            terms_here.add(norm)
            chosen.append((sentence, term))
        for sentence, term in sorted(chosen, key=lambda c: c[0].start):
            drafts.append(self._cloze(section, sentence, term))
            used.add((sentence.start, sentence.end))
        explain = self._explain(section, blocks, prose)
        if explain is not None and ((explain.start, explain.end) not in used or not drafts):
            drafts.append(explain)
        return sorted(drafts, key=lambda d: (d.start, d.kind))

    def _fit_sentence(self, sentence: _Sentence) -> bool:
        plain = display(sentence.text)
        words = _words(plain)
        if not MIN_SENTENCE_WORDS <= len(words) <= MAX_SENTENCE_WORDS:
            return False
        if plain.endswith((":", "?", ",", ";")) or _PRONOUN_START.match(plain):
            return False
        if sentence.block.kind is not BlockKind.LIST_ITEM and not _SENTENCE_CLOSE.search(plain):
            return False  # cut off before a code block or a list: the rest is not here
        if plain[0] == "(" and not plain.rstrip(".").endswith(")"):
            return False  # the tail of a parenthesis that began in the sentence before
        return plain[0].isupper() or plain[0].isdigit() or plain[0] in "`\"“'("

    # Cloze ------------------------------------------------------------------------------------
    def _candidates(self, sentence: _Sentence) -> Iterator[_Term]:
        text, offset = sentence.text, sentence.start
        for marked in sentence.block.terms:
            yield from self._marked(sentence, marked)
        if self.document.aligned is not None:  # Markdown and plain text mark inline in the text
            for pattern, mark in _MARKDOWN_MARKS:
                for match in pattern.finditer(text):
                    s, e = match.span(1)
                    yield _Term(match.group(1), offset + s, offset + e, mark.value)
        for match in _CALLED.finditer(text):
            term = self._called_term(match.group("term"))
            if term:
                s = match.start("term")
                yield _Term(term, offset + s, offset + s + len(term), "defined")
        for short, expansion in self.expansions.items():
            for index in _occurrences(text, short):
                yield _Term(
                    short, offset + index, offset + index + len(short), "abbreviation", (expansion,)
                )
            for index in _occurrences(text, expansion):
                s = offset + index
                yield _Term(expansion, s, s + len(expansion), "abbreviation", (short,))
        for match in _NUMBER.finditer(text):
            yield _Term(match.group(0), offset + match.start(), offset + match.end(), "number")
        for match in _FORMULA.finditer(text):
            rhs = match.group("rhs").rstrip(".")
            if len(rhs) <= MAX_TERM_CHARS:
                s = match.start("rhs")
                yield _Term(rhs, offset + s, offset + s + len(rhs), "formula")

    def _marked(self, sentence: _Sentence, marked: MarkedTerm) -> Iterator[_Term]:
        mark = marked.mark.value
        forms: tuple[str, ...] = ()
        if marked.mark is Mark.ABBREVIATION:
            expansion = marked.expansion or self.expansions.get(marked.text, "")
            if not expansion:
                mark = "code" if marked.text.isupper() else "emphasis"
            forms = (expansion,) if expansion else ()
        for index in _occurrences(sentence.text, marked.text):
            start = sentence.start + index
            yield _Term(marked.text, start, start + len(marked.text), mark, forms)

    def _called_term(self, phrase: str) -> str:
        """The term after "known as" / "called": up to the first stopword."""
        words = []
        for word in phrase.split():
            if word.lower() in self.stopwords:
                break
            words.append(word)
        return " ".join(words)

    def _best_term(self, sentence: _Sentence) -> _Term | None:
        best: _Term | None = None
        for term in self._candidates(sentence):
            if not self._fit_term(sentence, term):
                continue
            if best is None or _PRIORITY[term.mark] < _PRIORITY[best.mark]:
                best = term
        return best

    def _fit_term(self, sentence: _Sentence, term: _Term) -> bool:
        text = term.text.strip()
        symbolic = term.mark in ("code", "formula")
        if text != term.text or not is_content_term(text, self.stopwords, symbolic):
            return False
        if len(_occurrences(sentence.text, text)) != 1:
            return False  # a blank that could be either of two places
        start = term.start - sentence.start
        before, after = sentence.text[:start], sentence.text[start + len(text) :]
        context = _words(display(before + " " + after))
        if len(context) < MIN_CONTEXT_WORDS:
            return False
        if not display(before).strip(_OPENERS + " *_") and after.lstrip(" `*_").startswith(":"):
            return (
                False  # "Note: ...", "`file.txt`: ..." label a paragraph; they are not its content
            )
        if term.mark in ("strong", "emphasis") and text.isupper() and not before.strip():
            return False  # "TIP", "VOCABULARY": a box's label
        if _HASH.fullmatch(text) and any(c.isdigit() for c in text):
            return False
        return not (term.mark == "emphasis" and len(_words(text)) > 4)

    def _cloze(self, section: tuple[str, ...], sentence: _Sentence, term: _Term) -> DraftQuestion:
        text = self.document.text
        blanked = text[sentence.start : term.start] + CLOZE_BLANK + text[term.end : sentence.end]
        return DraftQuestion(
            kind="cloze",
            title=display(blanked),
            section=section,
            page=sentence.block.page,
            start=sentence.start,
            end=sentence.end,
            lines=(Line(sentence.start, sentence.end, sentence.text, sentence.block.kind),),
            term=term.text,
            term_forms=tuple(f for f in term.forms if f),
            term_mark=term.mark,
        )

    # Definitions ------------------------------------------------------------------------------
    def _definitions(
        self, section: tuple[str, ...], block: Block, prose: Sequence[Block]
    ) -> Iterator[DraftQuestion]:
        text = self.document.text
        own = text[block.start : block.end].strip()
        listed = [t for t in block.terms if t.mark is Mark.DEFINED and t.text == own]
        if listed:  # a definition list's term: its definition is the next block
            following = [b for b in prose if b.start > block.start][:1]
            if following and is_content_term(own, self.stopwords):
                body = following[0]
                end = min(body.end, body.start + MAX_DEFINITION_CHARS)
                end = max(
                    (e for _, e in sentence_spans(text[body.start : end], body.start)), default=end
                )
                verb = "does" if _is_code_term(block, own) else "is"
                yield self._definition(section, own, verb, body, body.start, end)
            return
        sentences = self._sentences(block)
        for index, sentence in enumerate(sentences):
            plain = sentence.text.strip()
            match = _DEFINITION.match(plain)
            if match is None or not self._fit_sentence(sentence):
                continue
            term = display(match.group("term"))
            if any(t.text != term and t.text in sentence.text for t in block.terms):
                continue  # it marks another term: a cloze on that asks more precisely
            if not is_content_term(term, self.stopwords) or _PRONOUN_START.match(term):
                continue
            words = _words(term)
            stray = any(w.endswith("ly") or w.lower() in self.stopwords for w in words)
            if len(words) > 3 or stray:
                continue  # "Git repository normally": an adverb, not the term
            if term[0].islower() and not self._marked_term(block, term):
                continue
            end = sentence.end
            for later in sentences[index + 1 :]:
                if later.end - sentence.start > MAX_DEFINITION_CHARS:
                    break
                end = later.end
            yield self._definition(section, term, match.group("verb"), block, sentence.start, end)

    @staticmethod
    def _marked_term(block: Block, term: str) -> bool:
        return any(t.text == term for t in block.terms)

    def _definition(
        self,
        section: tuple[str, ...],
        term: str,
        verb: str,
        block: Block,
        start: int,
        end: int,
    ) -> DraftQuestion:
        prompt = {
            "does": f"What does {term} do?",
            "is": f"What is {term}?",
            "are": f"What are {term}?",
            "means": f"What does {term} mean?",
            "stands for": f"What does {term} stand for?",
        }.get(verb, f"What does {term} refer to?")
        text = self.document.text[start:end]
        return DraftQuestion(
            kind="definition",
            title=prompt,
            section=section,
            page=block.page,
            start=start,
            end=end,
            lines=(Line(start, end, text, block.kind),),
            term=term,
        )

    def _section_title(self, section: tuple[str, ...]) -> str:
        """The section's title; with its parent's where another section has the same one."""
        title = section_title(section)
        if title in self._shared_titles and len(section) > 1 and "(" not in title:
            return f"{title} ({_unnumbered(section[-2])})"
        return title

    # Section ----------------------------------------------------------------------------------
    def _explain(
        self, section: tuple[str, ...], blocks: list[Block], prose: list[Block]
    ) -> DraftQuestion | None:
        text = self.document.text
        if not section:
            return None
        # "With content": a block of MIN_SECTION_WORDS words or more (as bench_bank counts).
        content = [b for b in prose if len(_words(text[b.start : b.end])) >= 3]
        if not any(len(text[b.start : b.end].split()) >= MIN_SECTION_WORDS for b in content):
            content = [
                b
                for b in blocks
                if b.kind is not BlockKind.HEADING
                and len(text[b.start : b.end].split()) >= MIN_SECTION_WORDS
            ][:1]
        if not content:
            return None
        kept: list[Block] = []
        for block in content:
            if kept and (
                len(kept) == MAX_SECTION_POINTS or block.end - kept[0].start > MAX_SECTION_CHARS
            ):
                break
            kept.append(block)
        lines = tuple(Line(b.start, b.end, text[b.start : b.end], b.kind) for b in kept)
        return DraftQuestion(
            kind="section",
            title=f"Explain: {self._section_title(section)}",
            section=section,
            page=kept[0].page,
            start=kept[0].start,
            end=kept[-1].end,
            lines=lines,
        )


def _unnumbered(heading: str) -> str:
    return _HEADING_NUMBER.sub("", heading).strip() or heading


def section_title(section: tuple[str, ...]) -> str:
    """A section's heading without its number; a generic one ("Introduction") with its parent."""
    title = _unnumbered(section[-1])
    if title.lower() in _GENERIC_HEADINGS and len(section) > 1:
        return f"{title} ({_unnumbered(section[-2])})"
    return title


def _is_code_term(block: Block, term: str) -> bool:
    """A command or option (set in code, or an option's leading dash): asked what it does."""
    return term.startswith("-") or any(t.mark is Mark.CODE and t.text == term for t in block.terms)


def _initials_fit(short: str, expansion: str) -> bool:
    """ "Application Programming Interface (API)": the abbreviation's letters start its words."""
    letters = short.rstrip("s").lower()
    initials = "".join(w[0].lower() for w in expansion.split())
    it = iter(initials)
    return len(letters) >= 2 and all(letter in it for letter in letters)


def _trim_expansion(short: str, expansion: str) -> str:
    """The expansion's last words, as many as the abbreviation has letters."""
    words = expansion.split()
    letters = short.rstrip("s").lower()
    for size in range(len(letters), len(words) + 1):
        tail = words[-size:]
        if _initials_fit(short, " ".join(tail)) and tail[0][0].lower() == letters[0]:
            return " ".join(tail)
    return expansion


def question_id(stem: str, draft: DraftQuestion) -> str:
    """A stable id: the file's stem, the kind and a hash of what the question asks."""
    digest = hashlib.sha1(draft.key.encode("utf-8")).hexdigest()[:10]
    return f"{Path(stem).stem}-{_KIND_LETTER[draft.kind]}{digest}"


def document_questions(document: ReadDocument) -> list[DraftQuestion]:
    """The cloze, definition and section questions of a read document."""
    return DocumentQuestionWriter(document).run()
