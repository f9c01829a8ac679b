"""The code base stays mypy-clean (the configuration is in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_is_clean():
    """mypy is a test dependency: it runs from this interpreter, with its cache in
    .mypy_cache (a few seconds once the cache is warm)."""
    result = subprocess.run([sys.executable, "-m", "mypy", "tui_app"], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
