"""How a question-bank document marks its parts: the format rules in one place.

The chunker (``ingest/chunker.py``) cuts a bank at its question headings, the text units
(``text/units.py``) tell a heading, a metadata line or a follow-ups label from an answer's text,
and the practice bank (``quiz/bank.py``) finds the model answer and the follow-ups under a
question. Where two of them read the same marker differently (a whole heading with its number and
title, or only how a line starts), both rules are here, named for what each matches.
"""

from __future__ import annotations

import re

QUESTION_HEADING = re.compile(
    r"^\s{0,3}(?:#{1,6}\s+)?(?:\*\*)?\s*(?:Q|Question\s+)(?P<num>\d{1,3})\s*[.:)]\s*"
    r"(?P<title>\S.*?)\s*(?:\*\*)?\s*$"
)
"""A whole question heading, "## Q12. What is LoRA?", with its number and title (chunker)."""
QUESTION_HEADING_START = re.compile(
    r"^\s{0,3}(?:#{1,6}\s+)?(?:\*\*)?\s*(?:Q|Question\s+)\d{1,3}\s*[.:)]", re.IGNORECASE
)
"""A line that starts like a question heading, in any case (text units)."""
NUMBERED_HEADING = re.compile(r"^(?P<num>\d{1,3})\.\s+(?P<title>\S.{2,})$")
""""12. What is LoRA?": a question when its title reads as one (chunker)."""
CATEGORY_HEADING = re.compile(r"^Category\s+\d+\s*[\u2014\u2013:-]+\s*\S.{0,100}$")
""""Category 3 — Fine-tuning": a bank's section heading (chunker)."""
PART_LABEL = re.compile(r"^(?:Category|Section|Part|Chapter|Day)\s+\d+\b", re.IGNORECASE)
"""A line opening on "Category/Section/Part/Chapter/Day N" is a heading, not text (text units)."""
TOPIC_PREFIX = re.compile(
    r"^(?:(?:category|section|part|chapter|module|day)\s+\d+\s*[:.\-\u2013\u2014]*|\d{1,2}[.)])\s*",
    re.I,
)
"""What comes off a section heading to leave its topic, "Category 3 —" (practice bank)."""
DIFFICULTY_LINE = re.compile(
    r"^\s*Difficulty:\s*(?P<level>Easy|Medium|Hard)\b(?:\s*\|\s*Roles:\s*(?P<roles>.+))?", re.I
)
"""A question bank's "Difficulty: Medium | Roles: ..." line (chunker metadata, quiz bank)."""
METADATA_LINE = re.compile(
    r"^(?:Difficulty|Roles?|Target roles|Tags?|Source|Reading time|Interview relevance"
    r"|(?:Expected |Model |Sample )?Answer(?: framework)?|Key points?"
    r"|What the interviewer is really asking)\s*(?::|$)",
    re.IGNORECASE,
)
"""A label line about the question, not part of its answer (text units)."""
ANSWER_MARKER = re.compile(r"^\W*(?:expected\s+|model\s+)?answer(?:\s+framework)?\W*$", re.I)
"""The line that opens a model answer, "**Expected answer**" (practice bank)."""
FOLLOW_UPS_LABEL = re.compile(
    r"^(?:Follow-?ups?|Follow-?up questions?)(?:\s+questions?)?\s*:?\s*$", re.I
)
"""A follow-ups label as the text units see it, markup already stripped (text units)."""
FOLLOW_UPS_MARKER = re.compile(r"^\W*follow[- ]?ups?\W*$", re.I)
"""A follow-ups line as written, markup and all, "**Follow-ups:**" (practice bank)."""
