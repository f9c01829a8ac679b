"""The code base stays ruff-clean (the configuration is in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_check_is_clean():
    """ruff is a test dependency: it runs from this interpreter, activated venv or not."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_core_never_imports_textual():
    """The client, arguments, templates, sandbox and headless paths stay Textual-free."""
    code = (
        "import sys, tui_app.cli, tui_app.orchestrator, tui_app.arguments, tui_app.templates, "
        "tui_app.history, tui_app.sandbox, tui_app.plan, tui_app.connection; "
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "False", out.stderr
