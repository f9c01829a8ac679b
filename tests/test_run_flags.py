"""``startjob run --debug --no-token-cache``: a redacted log, and no token kept."""

from __future__ import annotations

from tui_app.cli import main
from tui_app.locations import cache_dir, log_dir
from tui_app.templates import parse_template, save_template

TEMPLATE = """
version = 1
name = "Triage"

[connection]
folder = "Default"

[process]
key = "SupportTriage"
environment = "QuickstartDemo"

[strategy]
kind = "JobsCount"
jobs_count = 1

[arguments]
IncidentId = "INC1"
"""


def test_run_debug_log_is_redacted_and_no_token_is_cached(sandbox, monkeypatch, capsys):
    save_template(parse_template(TEMPLATE, "triage.toml"))
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")
    code = main(["run", "Triage", "--url", sandbox.orchestrator_url, "--dry-run", "--debug",
                 "--no-token-cache"])
    assert code == 0, capsys.readouterr().err
    logs = list(log_dir().rglob("*"))
    assert any(p.is_file() for p in logs)
    for path in logs:
        if path.is_file():
            text = path.read_text(errors="replace")
            assert "demo-secret" not in text
            assert "GET" in text or "POST" in text
    assert not any(p.is_file() for p in cache_dir().rglob("*")), "a token was cached"


def test_run_debug_log_hides_ask_values(sandbox, monkeypatch, capsys):
    text = TEMPLATE.replace('name = "Triage"', 'name = "Triage"\nask = ["IncidentId"]').replace(
        'IncidentId = "INC1"\n', "")
    save_template(parse_template(text, "triage.toml"))
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")
    monkeypatch.setenv("STARTJOB_ARG_IncidentId", "INC-ASKED-4242")
    code = main(["run", "Triage", "--url", sandbox.orchestrator_url, "--debug"])
    assert code == 0, capsys.readouterr().err
    logs = [path for path in log_dir().rglob("*") if path.is_file()]
    assert any("StartJobs" in path.read_text(errors="replace") for path in logs)
    for path in logs:
        assert "INC-ASKED-4242" not in path.read_text(errors="replace")
