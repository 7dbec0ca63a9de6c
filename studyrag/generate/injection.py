"""Corpus text is data: spot sentences that address a model ("ignore previous instructions").

Such a sentence is never quoted as an answer and never counts as evidence for one, so a passage
cannot make the assistant say something just by telling it to.
"""

from __future__ import annotations

import re

from studyrag.text.sentences import clean_sentence, split_sentences

_COMMAND = re.compile(
    r"^\W*(?:(?:user input|input|example|prompt|attack)\s*:\s*\W*)*(?:please\s+)?"
    r"(?:ignore|disregard|forget|override)\b.{0,60}?\b(?:instructions?|prompts?|rules|guidelines)\b"
    r"|\byou are now\b|\bdeveloper mode\b|\bnew instructions\s*:"
    r"|^\W*(?:system|assistant|developer)\s*(?:prompt|message)?\s*:",
    re.IGNORECASE,
)


def looks_like_instruction(sentence: str) -> bool:
    """True for a sentence that gives orders to a model rather than stating something."""
    return bool(_COMMAND.search(clean_sentence(sentence)))


def evidence_text(passage: str) -> str:
    """The passage without instruction-like sentences: what may support an answer."""
    spans = split_sentences(passage)
    if not any(looks_like_instruction(s.text) for s in spans):
        return passage
    return "\n".join(s.text for s in spans if not looks_like_instruction(s.text))
