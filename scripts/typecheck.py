"""Type-check the whole package with mypy (strict, settings in pyproject.toml's [tool.mypy]).

    python scripts/typecheck.py [extra mypy arguments]

pyproject's ``package-dir`` installs the top-level ``ingest/``, ``retrieval/`` and ``eval/`` as
``studyrag.ingest``, ``studyrag.retrieval`` and ``studyrag.eval``; mypy reads folders, not that
mapping. So this builds ``.typecheck/studyrag/`` out of symlinks laid out as the imports are,
checks it with ``app.py``, and prints each error at its real path (``ingest/...``). Exit status
is mypy's: 0 clean, 1 errors.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TREE = REPO / ".typecheck"
# Subpackage -> folder, from pyproject's package-dir (studyrag.ingest -> ingest/, ...).
SUBPACKAGES = {
    name.removeprefix("studyrag."): folder
    for name, folder in tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"
    ]["setuptools"]["package-dir"].items()
    if name != "studyrag"
}


def build_tree() -> Path:
    """``.typecheck/studyrag`` with the package as it is imported, made of symlinks."""
    if TREE.exists():
        shutil.rmtree(TREE)
    package = TREE / "studyrag"
    package.mkdir(parents=True)
    for entry in sorted((REPO / "studyrag").iterdir()):
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    for name, folder in SUBPACKAGES.items():
        (package / name).symlink_to(REPO / folder)
    (TREE / "app.py").symlink_to(REPO / "app.py")
    return TREE


def real_path(line: str) -> str:
    """``studyrag/ingest/x.py:3: ...`` as ``ingest/x.py:3: ...``."""
    for name, folder in SUBPACKAGES.items():
        line = re.sub(rf"^studyrag/{name}/", f"{folder}/", line)
    return line


def main(argv: list[str]) -> int:
    tree = build_tree()
    command = [
        sys.executable, "-m", "mypy",
        "--config-file", str(REPO / "pyproject.toml"),
        "--cache-dir", str(REPO / ".mypy_cache"),
        "studyrag", "app.py", *argv,
    ]  # fmt: skip
    result = subprocess.run(command, cwd=tree, capture_output=True, text=True)
    for line in (result.stdout + result.stderr).splitlines():
        print(real_path(line))
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
