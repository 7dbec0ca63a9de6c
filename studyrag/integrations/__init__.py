"""Adapters that let other frameworks use studyrag's retrieval (optional: import what you use)."""
