"""Streamlit-free helpers behind the chat app: safe rendering, source context, feedback."""
