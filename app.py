"""studyrag Streamlit app (search page; the chat assistant builds on the same pipeline)."""

from __future__ import annotations

import streamlit as st

from studyrag.pipeline import StudyPipeline
from studyrag.settings import Settings
from studyrag.types import StudyragError


@st.cache_resource(show_spinner="Loading the index and models...")
def get_pipeline() -> StudyPipeline:
    """One pipeline (one Qdrant client) per server process."""
    pipeline = StudyPipeline(Settings())
    pipeline.warm_up()
    return pipeline


st.set_page_config(page_title="studyrag", page_icon="📚")
st.title("studyrag")
query = st.chat_input("Ask a question about the study corpus")
if query:
    try:
        result = get_pipeline().search(query)
    except StudyragError as error:
        st.error(str(error))
    else:
        for rank, hit in enumerate(result.hits, start=1):
            with st.expander(
                f"[{rank}] {hit.chunk.source} — {hit.chunk.heading}", expanded=rank == 1
            ):
                st.text(hit.chunk.text)
