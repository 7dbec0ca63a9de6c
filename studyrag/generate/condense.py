"""Deterministic follow-up condensation: "and how does QLoRA differ?" -> a standalone question.

Rules, in order: "what about X?" re-asks the previous question about X; a comparison with no
object ("how does X differ?") compares with the previous topic; a pronoun ("why is it slow?") is
replaced by the previous topic; anything else that reads as a follow-up is asked in the context of
the previous question. Questions that stand on their own pass through unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

History = Sequence[tuple[str, str]]
"""Earlier turns, oldest first: ``(question, answer_text)``."""

_CONNECTIVE = re.compile(
    r"^\s*(?:(?:and|but|also|so|then|or|plus|ok(?:ay)?|now|next)\b[\s,]*)+", re.IGNORECASE
)
_ABOUT = re.compile(r"^(?:what|how)\s+about\s+(?P<subject>.+?)\s*[?.!]*$", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(?P<word>it|its|they|them|their|this|these|those)\b", re.IGNORECASE)
_COMPARE = re.compile(
    r"\b(?:differ|compare|different|contrast|better|worse)\s*[?.!]*$", re.IGNORECASE
)
_LEAD = re.compile(
    r"^(?:(?:what|why|how|when|where|which|who)(?:'s)?\s+"
    r"(?:(?P<aux>does|do|did|can|could|should|would|will)\s+|(?:is|are|was|were|has|have)\s+)?"
    r"|(?:explain|describe|define|compare|summari[sz]e|tell me about|give me|list)\s+)",
    re.IGNORECASE,
)
_CLAUSE = re.compile(
    r"\s*(?:[?,;:.(]|\s(?:and|or|but|why|how|when|where|which|that|in|on|for|with|to|vs\.?|"
    r"versus|work|works|do|does|differ|used|mean|means|actually|really|exactly|typically|usually)\b)",
    re.IGNORECASE,
)
_OWN_TOPIC = re.compile(r"\b(?:[A-Z]{2,}|[A-Za-z]*[a-z][A-Z][A-Za-z]*|\w*\d\w*)\b")
_MAX_TOPIC_WORDS = 5
_MAX_AFTER_VERB = 2
_SHORT = 4


def topic_of(question: str) -> str | None:
    """The subject of a question ("What is the KV cache and why..." -> "the KV cache").

    After "how does"/"can" the verb that ends the subject is unknown, so only a subject of at
    most two words is trusted there.
    """
    lead = _LEAD.match(question.strip())
    if lead is None:
        return None
    rest = question.strip()[lead.end() :]
    cut = _CLAUSE.search(rest)
    topic = (rest[: cut.start()] if cut else rest).strip(" ?.!")
    limit = _MAX_AFTER_VERB if lead.group("aux") else _MAX_TOPIC_WORDS
    return topic if 0 < len(topic.split()) <= limit else None


def is_follow_up(question: str) -> bool:
    """Reads as depending on an earlier turn: connective, "what about", bare pronoun, short."""
    text = question.strip()
    if _CONNECTIVE.match(text) or _ABOUT.match(text):
        return True
    body = text.rstrip("?.! ")
    if len(body.split()) <= _SHORT:
        return True
    has_own_topic = bool(_OWN_TOPIC.search(text))
    return not has_own_topic and (bool(_PRONOUN.search(text)) or bool(_COMPARE.search(text)))


def condense_pair(question: str, previous: str) -> str:
    """Rewrite one follow-up using the standalone previous question."""
    body = _CONNECTIVE.sub("", question.strip()).strip() or question.strip()
    body = body[0].upper() + body[1:]
    topic = topic_of(previous)
    about = _ABOUT.match(body)
    if about and topic:
        subject = about.group("subject")
        if _PRONOUN.search(subject):  # "what about its memory cost?"
            return f"What about {_resolve_pronoun(subject, topic)}?"
        return previous.strip().replace(topic, subject, 1)
    if topic and _COMPARE.search(body) and " from " not in body and " with " not in body:
        return f"{body.rstrip('?.! ')} from {_bare(topic)}?"
    if topic and _PRONOUN.search(body):
        return _resolve_pronoun(body, topic)
    return f"{body.rstrip()} (follow-up to: {previous.strip()})"


def condense_question(question: str, history: History) -> str:
    """A standalone question for retrieval; previous follow-ups are condensed first."""
    if not history or not is_follow_up(question):
        return question
    previous = condense_question(history[-1][0], history[:-1])
    return condense_pair(question, previous)


def _resolve_pronoun(text: str, topic: str) -> str:
    """Replace the first pronoun by the topic ("its" -> "the KV cache's")."""
    pronoun = _PRONOUN.search(text)
    if pronoun is None:
        return text
    replacement = f"{topic}'s" if pronoun.group("word").lower() in {"its", "their"} else topic
    return f"{text[: pronoun.start()]}{replacement}{text[pronoun.end() :]}"


def _bare(topic: str) -> str:
    """ "the KV cache" stays; "a LoRA adapter" loses its indefinite article."""
    return re.sub(r"^(?:a|an)\s+", "", topic, flags=re.IGNORECASE)
