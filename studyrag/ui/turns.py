"""Streamlit rendering of one chat turn: answer, citations, evidence, feedback.

Every string that came from a document goes through :mod:`studyrag.ui.markdown` (escaped) or a
dataframe cell; nothing here passes ``unsafe_allow_html``.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from studyrag.conversations import Turn
from studyrag.generate.base import Answer, Passage
from studyrag.settings import Settings
from studyrag.types import Citation, StudyragError
from studyrag.ui import state
from studyrag.ui.document import document_context, source_path
from studyrag.ui.feedback import DOWN, UP, FeedbackStore
from studyrag.ui.markdown import answer_to_markdown, escape_markdown, text_to_markdown
from studyrag.ui.pdf_page import render_page
from studyrag.ui.spans import locate, supporting_spans
from studyrag.ui.state import find_turn

_RATINGS = {0: DOWN, 1: UP}


def citation_key(turn_id: str, n: int) -> str:
    return f"cite-{turn_id}-{n}"


def short_heading(heading: str, limit: int = 110) -> str:
    """The innermost heading levels that fit in ``limit`` characters."""
    parts = [p for p in heading.split(" > ") if p] or ["(no heading)"]
    kept = [parts.pop()]
    while parts and len(" > ".join([parts[-1], *kept])) <= limit:
        kept.insert(0, parts.pop())
    text = " > ".join(kept)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return f"… > {text}" if parts else text


def citation_label(citation: Citation) -> str:
    """Expander label: number, file, heading (escaped: labels accept Markdown)."""
    chunk = citation.passage
    parts = [chunk.source, chunk.locator, short_heading(chunk.heading)]
    return f"[{citation.n}] " + " · ".join(escape_markdown(p) for p in parts if p)


def _open_citation(key: str) -> None:
    st.session_state[key] = True


def render_citation_links(turn: Turn, answer: Answer) -> None:
    """A row of ``[n]`` buttons; each opens its citation's expander below."""
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        st.caption("Sources", width="content")
        for citation in answer.citations:
            key = citation_key(turn.id, citation.n)
            st.button(
                f"[{citation.n}]",
                key=f"link-{key}",
                type="tertiary",
                help=citation.passage.citation_label,
                on_click=_open_citation,
                args=(key,),
            )


def render_document_context(
    settings: Settings, citation: Citation, spans: list[tuple[int, int]]
) -> None:
    """The passage inside its source file: a PDF's page with the quoted text marked on it, else
    the text around the passage in grey."""
    chunk = citation.passage
    if chunk.page_unit == "page" and chunk.page is not None:
        quotes = [chunk.text[a:b] for a, b in spans] or [chunk.text[:200]]
        try:
            image = render_page(source_path(settings, chunk.source), chunk.page, quotes)
        except (StudyragError, OSError) as error:
            st.warning(str(error), icon=":material/description:")
            return
        st.image(image, caption=f"{chunk.source} · page {chunk.page}, quoted text highlighted")
        return
    try:
        context = document_context(settings, citation.passage)
    except (StudyragError, OSError) as error:
        st.warning(str(error), icon=":material/description:")
        return
    if context.passage != citation.passage.text:
        spans = [
            s for s in (locate(citation.passage.text[a:b], context.passage) for a, b in spans) if s
        ]
    with st.container(height=380, border=True):
        if context.truncated_before:
            st.caption("…")
        if context.before.strip():
            st.caption(text_to_markdown(context.before))
        st.markdown(text_to_markdown(context.passage, spans))
        if context.after.strip():
            st.caption(text_to_markdown(context.after))
        if context.truncated_after:
            st.caption("…")
    st.caption(
        f"Characters {context.start:,}–{context.end:,} of {context.length:,} in "
        f"{escape_markdown(context.source)} (cleaned as ingested)."
    )


def render_citation(settings: Settings, turn: Turn, answer: Answer, citation: Citation) -> None:
    """One citation: an expander with the passage, its supporting sentences highlighted."""
    key = citation_key(turn.id, citation.n)
    expander = st.expander(citation_label(citation), key=key, on_change="rerun")
    if not expander.open:
        return
    with expander:
        chunk = citation.passage
        where = " · ".join(escape_markdown(p) for p in (chunk.locator, chunk.heading) if p)
        st.caption(f"**{escape_markdown(chunk.source)}** · {where}")
        spans = supporting_spans(answer, citation)
        st.markdown(text_to_markdown(chunk.text, spans))
        if not spans:
            st.caption("No answer sentence could be matched to this passage word for word.")
        st.button(
            "Quiz me on this",
            key=f"quiz-{key}",
            icon=":material/school:",
            on_click=state.quiz_on,
            args=(chunk.source, chunk.start, chunk.end, chunk.heading, chunk.citation_label),
            help="Practice this section's questions first",
        )
        if st.toggle("Show in document", key=f"doc-{key}"):
            render_document_context(settings, citation, spans)


def passages_frame(answer: Answer) -> pd.DataFrame:
    """One row per passage the generator saw: every score that explains its place."""
    cited = {c.n for c in answer.citations}
    rows = [_passage_row(p, p.n in cited) for p in answer.passages]
    return pd.DataFrame(rows)


def _passage_row(passage: Passage, cited: bool) -> dict[str, object]:
    hit = passage.hit
    return {
        "n": passage.n,
        "cited": cited,
        "dense rank": hit.dense_rank,
        "BM25 rank": hit.bm25_rank,
        "fused": hit.fused_score,
        "rerank": hit.rerank_score,
        "source": hit.chunk.source,
        "page": hit.chunk.locator,
        "heading": hit.chunk.heading,
    }


def timings_frame(answer: Answer) -> pd.DataFrame:
    """Per-stage milliseconds in pipeline order (a "total" entry is left out)."""
    rows = [
        {"stage": stage, "ms": round(ms, 1)}
        for stage, ms in answer.timings_ms.items()
        if stage != "total"
    ]
    return pd.DataFrame(rows, columns=["stage", "ms"])


def render_why(answer: Answer) -> None:
    """The "why these passages" panel: per-passage ranks and scores, per-stage timings."""
    label = "Closest passages and why" if answer.refused else "Why these passages"
    with st.expander(label, icon=":material/query_stats:"):
        if answer.passages:
            st.dataframe(
                passages_frame(answer),
                hide_index=True,
                column_config={
                    "n": st.column_config.NumberColumn("n", width="small"),
                    "cited": st.column_config.CheckboxColumn("cited", width="small"),
                    "fused": st.column_config.NumberColumn(format="%.4f"),
                    "rerank": st.column_config.NumberColumn(format="%.2f"),
                },
            )
        else:
            st.caption("No passages were retrieved.")
        frame = timings_frame(answer)
        if not frame.empty:
            st.dataframe(
                frame,
                hide_index=True,
                column_config={
                    "ms": st.column_config.ProgressColumn(
                        "ms", format="%.0f ms", min_value=0, max_value=float(frame["ms"].max())
                    )
                },
            )


def _save_feedback(settings: Settings, turn_id: str) -> None:
    turn = find_turn(turn_id)
    if turn is None or turn.answer is None:
        return
    value = st.session_state.get(f"fb-{turn_id}")
    rating = _RATINGS.get(value) if isinstance(value, int) else None
    FeedbackStore.for_settings(settings).record(turn_id, rating, turn.answer)


def render_feedback(settings: Settings, turn: Turn) -> None:
    key = f"fb-{turn.id}"
    with st.container(horizontal=True, vertical_alignment="center"):
        st.feedback("thumbs", key=key, on_change=_save_feedback, args=(settings, turn.id))
        if st.session_state.get(key) is not None:
            st.caption("Saved to your feedback file. Thanks!")


def render_answer(settings: Settings, turn: Turn, answer: Answer) -> None:
    """The body of an assistant message."""
    if answer.standalone_question and answer.standalone_question != answer.question:
        st.caption(f"Searched for: *{escape_markdown(answer.standalone_question)}*")
    if answer.refused:
        st.info(text_to_markdown(answer.text), icon=":material/search_off:")
        st.caption(
            "The notes don't seem to answer this. Try the terms the notes use, or look at "
            "the closest passages below."
        )
    else:
        st.markdown(answer_to_markdown(answer.text))
    for warning in answer.warnings:
        st.caption(f":material/warning: {escape_markdown(warning)}")
    if answer.citations:
        render_citation_links(turn, answer)
        for citation in answer.citations:
            render_citation(settings, turn, answer, citation)
    render_why(answer)
    footer = [answer.backend or turn.backend, f"{turn.seconds:.1f} s"]
    st.caption(" · ".join(escape_markdown(part) for part in footer if part))
    render_feedback(settings, turn)


def render_error(turn: Turn) -> None:
    st.error(turn.error or "something went wrong", icon=":material/error:")


def render_turn(settings: Settings, turn: Turn) -> None:
    """A past turn: the question, then the answer or the error."""
    with st.chat_message("user"):
        st.markdown(text_to_markdown(turn.question))
    with st.chat_message("assistant"):
        if turn.answer is not None:
            render_answer(settings, turn, turn.answer)
        else:
            render_error(turn)
