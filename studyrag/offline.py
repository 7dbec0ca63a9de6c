"""Offline mode for every model library studyrag loads: no model, tokenizer or encoding file is
ever fetched at run time.

Called by the entry points (CLI, app, test session) and by the model registry before the first
model loads, never at import time.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


def pin_offline() -> None:
    """Set every model library's offline and no-telemetry switches (the user's own values win)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    # tiktoken downloads its encodings unless pointed at the copy llama-index-core ships.
    try:
        spec = importlib.util.find_spec("llama_index.core")
    except ModuleNotFoundError:
        spec = None
    if spec is not None and spec.submodule_search_locations:
        cache = Path(next(iter(spec.submodule_search_locations))) / "_static" / "tiktoken_cache"
        if cache.is_dir():
            os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(cache))
