"""``startjob run`` with start options (issue 15), end to end on the sandbox: priority,
``[options]``, ``--priority``, ``--large-input``; what the sandbox cannot do yet is skipped
with the reason (the sandbox's wire side of issue 15 lands separately)."""

from __future__ import annotations

import json

import pytest

from tui_app import replay
from tui_app.cli import main
from tui_app.exit_codes import EXIT_OK, EXIT_REFUSED, EXIT_USAGE
from tui_app.following import FollowPolicy
from tui_app.start_options import INPUT_FILE_PLACEHOLDER

START_JOBS = "POST /odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"

TRIAGE = """\
version = 1
name = "Triage incident"

[connection]
folder = "Default"

[process]
key = "SupportTriage"
environment = "QuickstartDemo"

[strategy]
kind = "Specific"
robots = ["SUPPORT-BOT-01"]
{strategy}

[options]
{options}

[arguments]
IncidentId = "INC0010234"

[signature]
IncidentId = "System.String"
"""


@pytest.fixture(autouse=True)
def demo_credentials(monkeypatch):
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")
    monkeypatch.setattr(replay, "FOLLOW", FollowPolicy(first=0.05, longest=0.2))


@pytest.fixture
def run(sandbox, capsys, tmp_path):
    def run(*args: str, strategy: str = "", options: str = ""):
        path = tmp_path / "template.toml"
        path.write_text(TRIAGE.format(strategy=strategy, options=options), encoding="utf-8")
        code = main(["run", str(path), "--url", sandbox.orchestrator_url, *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def posted(sandbox) -> list:
    return [json.loads(r.body)["startInfo"] for r in sandbox.request_log if r.route == START_JOBS]


def dry(run, *args: str, **template: str) -> dict:
    code, out, err = run("--dry-run", "--output", "json", *args, **template)
    assert code == EXIT_OK, err
    return json.loads(out)["request"]["startInfo"]


def test_template_priority_name_or_value_is_sent_as_its_one_field(sandbox, run):
    high = dry(run, strategy='priority = "High"')
    assert high["JobPriority"] == "High" and "SpecificPriorityValue" not in high
    assert run(strategy="priority = 75")[0] == EXIT_OK
    (specific,) = posted(sandbox)
    assert specific["SpecificPriorityValue"] == 75 and "JobPriority" not in specific


def test_priority_flag_overrides_the_template(sandbox, run):
    code, out, _ = run("--priority", "20", strategy='priority = "High"')
    assert code == EXIT_OK
    assert "Priority     20 (very low)" in out
    (sent,) = posted(sandbox)
    assert sent["SpecificPriorityValue"] == 20 and "JobPriority" not in sent
    low = dry(run, "--priority", "low", strategy="priority = 90")
    assert low["JobPriority"] == "Low" and "SpecificPriorityValue" not in low


@pytest.mark.parametrize("value", ["0", "101", "Urgent", "5.5"])
def test_a_bad_priority_flag_is_a_usage_error(sandbox, run, capsys, value):
    with pytest.raises(SystemExit) as caught:
        run("--priority", value)
    assert caught.value.code == EXIT_USAGE
    assert "argument --priority: Priority must be one of Low, Normal, High" in \
        capsys.readouterr().err
    assert posted(sandbox) == []


def test_stop_and_alert_options_reach_the_body(sandbox, run):
    code, out, _ = run(options='stop_after = "1h30m"\nkill_after = "5m"\n'
                               'alert_pending = "10m"\nalert_running = 7200')
    assert code == EXIT_OK
    assert "Stop         soft stop after 1h30m running, kill 5m later if still running" in out
    assert "Alert when   Pending longer than 10m; Running longer than 2h" in out
    (sent,) = posted(sandbox)
    assert {key: sent[key] for key in ("StopProcessExpression", "StopStrategy",
                                       "KillProcessExpression", "AlertPendingExpression",
                                       "AlertRunningExpression")} == {
        "StopProcessExpression": "5400", "StopStrategy": "SoftStop",
        "KillProcessExpression": "300", "AlertPendingExpression": "600",
        "AlertRunningExpression": "7200"}


def test_the_releases_own_entry_point_is_found_without_listing_entry_points(sandbox, run):
    # Whether or not the server lists the package's entry points, the release's own is known.
    code, _, err = run(options='entry_point = "main.XAML"')
    assert code == EXIT_OK, err
    assert posted(sandbox)[0]["EntryPointPath"] == "Main.xaml"


def test_an_entry_point_that_cannot_be_checked_or_is_gone_never_starts_silently(sandbox, run):
    code, _, err = run("--output", "json", options='entry_point = "Flows/Gone.xaml"')
    sent = posted(sandbox)
    if code == EXIT_OK:  # a server that cannot list entry points: sent as saved, with a warning
        assert sent[0]["EntryPointPath"] == "Flows/Gone.xaml"
    else:  # the sandbox lists them: the saved one is gone
        assert code == EXIT_USAGE and sent == []
        assert 'The entry point "Flows/Gone.xaml" is not in' in err


def test_a_machine_target_that_cannot_be_resolved_blocks(sandbox, run):
    code, _, err = run("--dry-run", options='machine = "SAP-CLIENT-VM"')
    assert code == EXIT_USAGE
    assert "SAP-CLIENT-VM" in err
    assert posted(sandbox) == []


def test_large_input_is_refused_by_default_with_the_way_out(sandbox, run):
    code, _, err = run("--set", "IncidentId=" + "x" * 12_000)
    assert code == EXIT_USAGE
    assert "Orchestrator accepts at most 10,000" in err and "--large-input=file" in err
    assert posted(sandbox) == []


def test_large_input_dry_run_shows_the_placeholder_and_uploads_nothing(sandbox, run):
    code, out, _ = run("--set", "IncidentId=" + "x" * 12_000, "--large-input", "file",
                       "--dry-run", "--output", "json")
    assert code == EXIT_OK
    info = json.loads(out)["request"]["startInfo"]
    assert info["InputFile"] == INPUT_FILE_PLACEHOLDER and "InputArguments" not in info
    assert sandbox.count("POST /odata/Attachments") == 0 and posted(sandbox) == []


def test_the_templates_large_input_is_the_default_and_the_flag_wins(sandbox, run):
    code, _, err = run("--set", "IncidentId=" + "x" * 12_000, "--large-input", "refuse",
                       "--dry-run", options='large_input = "file"')
    assert code == EXIT_USAGE and "--large-input=file" in err
    code, out, _ = run("--set", "IncidentId=" + "x" * 12_000, "--dry-run",
                       options='large_input = "file"')
    assert code == EXIT_OK and INPUT_FILE_PLACEHOLDER in out


OPERATIONS = """\
version = 1
name = "{name}"

[connection]
folder = "Operations"

[process]
key = "{process}"

[strategy]
kind = "ModernJobsCount"

[arguments]
{arguments}
"""


@pytest.fixture
def run_cloud(sandbox, capsys, tmp_path):
    """``startjob run`` of a template of the modern folder Operations on the cloud URL (API
    v20: job attachments exist there only)."""
    sandbox.tenant.set_robot_state(701, "Available")

    def run(process: str, arguments: str, *args: str, url: str = ""):
        path = tmp_path / f"{process}.toml"
        path.write_text(OPERATIONS.format(name=process, process=process, arguments=arguments),
                        encoding="utf-8")
        code = main(["run", str(path), "--url", url or sandbox.cloud_url, *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def test_large_input_is_uploaded_and_sent_as_input_file(sandbox, run_cloud):
    code, _, err = run_cloud("SapInvoicePosting", f'InvoiceNumber = "{"x" * 12_000}"',
                             "--large-input", "file", "--wait", "--timeout", "60")
    assert code == EXIT_OK, err
    (sent,) = posted(sandbox)
    assert "InputArguments" not in sent and sent["InputFile"] != INPUT_FILE_PLACEHOLDER
    assert sandbox.count("POST /odata/Attachments") == 1
    (job,) = [j for j in sandbox.tenant.jobs.values() if j.reference == sent["Reference"]]
    assert job.state == "Successful"


def test_large_input_on_a_server_without_attachments_starts_nothing(sandbox, run_cloud):
    code, _, err = run_cloud("SapInvoicePosting", f'InvoiceNumber = "{"x" * 12_000}"',
                             "--large-input", "file", url=sandbox.orchestrator_url)
    assert code == EXIT_REFUSED
    assert "No job was started" in err and "no job attachments" in err
    assert posted(sandbox) == []


def test_output_arguments_that_come_back_as_a_file_are_downloaded(sandbox, run_cloud):
    code, out, err = run_cloud("AuditExport", "Days = 3", "--wait", "--timeout", "60",
                               "--output", "json")
    assert code == EXIT_OK, err
    (job,) = json.loads(out)["jobs"]
    assert len(job["OutputArguments"]["AuditLog"]) > 10_000
    assert sandbox.count("GET /odata/Attachments") >= 1  # it came as an OutputFile


