"""Offline mode is set by the entry points and the model registry, not by importing studyrag."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SWITCHES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "RAGAS_DO_NOT_TRACK", "TIKTOKEN_CACHE_DIR")


def _env_after(code: str) -> dict[str, str | None]:
    env = {k: v for k, v in os.environ.items() if k not in SWITCHES}
    report = f"print(json.dumps({{k: os.environ.get(k) for k in {SWITCHES!r}}}))"
    script = f"import json, os\n{code}\n{report}"
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_package_writes_no_environment() -> None:
    after = _env_after("import studyrag, studyrag.pipeline, studyrag.cli")
    assert all(value is None for value in after.values())


def test_pin_offline_sets_every_switch_and_keeps_the_users_values() -> None:
    after = _env_after(
        "os.environ['RAGAS_DO_NOT_TRACK'] = 'false'\n"
        "from studyrag.offline import pin_offline\npin_offline()"
    )
    assert after["HF_HUB_OFFLINE"] == after["TRANSFORMERS_OFFLINE"] == "1"
    assert after["RAGAS_DO_NOT_TRACK"] == "false"
    assert after["TIKTOKEN_CACHE_DIR"] and os.path.isdir(after["TIKTOKEN_CACHE_DIR"])


def test_the_model_registry_pins_offline_before_loading(tmp_path) -> None:
    after = _env_after(
        "from pathlib import Path\n"
        "from studyrag.registry import ModelRegistry\n"
        "from studyrag.settings import Settings\n"
        f"ModelRegistry().embedder(Settings(data_dir=Path({str(tmp_path)!r})).index)"
    )
    assert after["HF_HUB_OFFLINE"] == "1"
