"""studyrag: an offline study assistant over a document corpus.

Offline mode is set by :func:`studyrag.offline.pin_offline`, which the entry points and the model
registry call before any model library loads; importing the package changes nothing.
"""

from __future__ import annotations

__version__ = "0.1.0"
