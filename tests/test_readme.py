"""The README's Python snippet runs as written (against the sandbox it starts itself)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_client_snippet_starts_a_job(tmp_path):
    [snippet] = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    script = tmp_path / "snippet.py"
    script.write_text(snippet, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1] == "Pending"


def test_readme_opens_with_the_two_commands():
    lines = README.read_text(encoding="utf-8").splitlines()
    block = lines[lines.index("```sh") + 1 : lines.index("```sh") + 3]
    upgrade = "python -m pip install --upgrade pip && "
    assert block[0].startswith(upgrade + "pip install . && startjob --demo")
    assert block[1].startswith(upgrade + "pip install -e '.[test]' && pytest")
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert upgrade + "pip install -e '.[test]' && pytest" in ci
