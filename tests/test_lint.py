"""The code base stays ruff-clean (the configuration is in pyproject.toml)."""

from __future__ import annotations

import pkgutil
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


def core_modules() -> list[str]:
    """Every module outside tui_app.ui, found by walking the package (here, where importing
    the UI packages on the way does no harm)."""
    import tui_app

    return [info.name for info in pkgutil.walk_packages(tui_app.__path__, "tui_app.")
            if info.name != "tui_app.__main__"  # it runs the program
            and info.name != "tui_app.ui" and not info.name.startswith("tui_app.ui.")]


#: Imports the modules named in argv in turn and stops at the first that brings Textual in.
_IMPORT_EACH = """
import importlib, sys

for name in sys.argv[1:]:
    importlib.import_module(name)
    if "textual" in sys.modules:
        sys.exit("importing " + name + " imports textual")
"""


def test_core_never_imports_textual():
    """The client, arguments, templates, sandbox and headless paths import without Textual
    (in a fresh interpreter)."""
    names = core_modules()
    assert "tui_app.cli" in names and "tui_app.sandbox.seed" in names
    out = subprocess.run([sys.executable, "-c", _IMPORT_EACH, *names], capture_output=True,
                         text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
