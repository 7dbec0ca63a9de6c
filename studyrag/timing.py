"""Stage timings: milliseconds since a ``time.perf_counter()`` mark."""

from __future__ import annotations

import time


def elapsed_ms(begin: float) -> float:
    """Milliseconds since ``begin`` (a ``time.perf_counter()`` value)."""
    return (time.perf_counter() - begin) * 1000.0
