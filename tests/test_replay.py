"""``startjob run``: headless replay of a template against the sandbox Orchestrator.

The CLI is driven in-process (``tui_app.cli.main``) with capsys; credentials come from the
``UIPATH_*`` variables set with monkeypatch, the URL from ``--url``.
"""

from __future__ import annotations

import dataclasses
import io
import json
import socket
from decimal import Decimal

import pytest

from tui_app import replay
from tui_app.cli import main
from tui_app.exit_codes import (
    EXIT_CONNECTION,
    EXIT_JOB_FAILED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_TIMEOUT,
    EXIT_USAGE,
)
from tui_app.following import FollowPolicy
from tui_app.history import read_entries
from tui_app.locations import templates_dir
from tui_app.plan import SOURCE
from tui_app.sandbox import SandboxConfig
from tui_app.templates import load_template, save_template

START_JOBS = "POST /odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
TRIAGE_KEY = "99587436-4ce5-480d-988c-6d7f43787a2c"

TRIAGE = """\
version = 1
name = "Triage incident"
description = "Start SupportTriage for one incident"
{top}
[connection]
folder = "Default"

[process]
key = "SupportTriage"
environment = "QuickstartDemo"
release_key = "99587436-4ce5-480d-988c-6d7f43787a2c"
release_name = "SupportTriage_QuickstartDemo"
version = "1.0.1"

[strategy]
kind = "Specific"
robots = ["SUPPORT-BOT-01"]

[arguments]
{arguments}

[signature]
IncidentId = "System.String"

[bindings]
{bindings}
"""

SHOWCASE_SIGNATURE = """\
Text = "System.String"
Letter = "System.Char"
Count = "System.Int32"
BigCount = "System.Int64"
SmallByte = "System.Byte"
ShortNumber = "System.Int16"
Unsigned = "System.UInt32"
Amount = "System.Decimal"
Ratio = "System.Double"
Weight = "System.Single"
Approved = "System.Boolean"
DueDate = "System.DateTime"
DueOffset = "System.DateTimeOffset"
Timeout = "System.TimeSpan"
Tags = "System.String[]"
Scores = "System.Int32[]"
Names = "System.Collections.Generic.List<System.String>"
Settings = "System.Collections.Generic.Dictionary<System.String, System.Object>"
Rows = "System.Data.DataTable"
Payload = "Newtonsoft.Json.Linq.JObject"
MaybeCount = "System.Nullable<System.Int32>"
Custom = "Acme.Billing.Invoice"
"""

SHOWCASE = f"""\
version = 1
name = "Showcase"

[connection]
folder = "Finance"

[process]
key = "ArgumentShowcase"

[strategy]
kind = "ModernJobsCount"
jobs_count = 1

[arguments]
Text = "hello"
Count = 3

[signature]
{SHOWCASE_SIGNATURE}
"""


@pytest.fixture(autouse=True)
def demo_credentials(monkeypatch):
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")
    monkeypatch.setattr(replay, "FOLLOW", FollowPolicy(first=0.05, longest=0.2))


def triage(top: str = "", arguments: str = 'IncidentId = "INC0010234"', bindings: str = "") -> str:
    return TRIAGE.format(top=top, arguments=arguments, bindings=bindings)


@pytest.fixture
def write(tmp_path):
    def write(text: str, name: str = "template.toml") -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


@pytest.fixture
def cli(sandbox, capsys):
    """Run ``startjob run PATH --url SANDBOX ...``; returns (exit code, stdout, stderr)."""

    def run(path: str, *args: str, url: bool = True):
        argv = ["run", path, *args] + (["--url", sandbox.orchestrator_url] if url else [])
        code = main(argv)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def posted(sandbox) -> list:
    """The startInfo of every StartJobs request the sandbox received."""
    return [json.loads(r.body)["startInfo"] for r in sandbox.request_log if r.route == START_JOBS]


def sent_arguments(sandbox) -> dict:
    (info,) = posted(sandbox)
    return json.loads(info["InputArguments"], parse_float=Decimal)


# -- starting --------------------------------------------------------------------------------


def test_run_starts_the_jobs_and_says_what_it_resolved(sandbox, cli, write):
    code, out, err = cli(write(triage()))
    assert code == EXIT_OK, err
    (info,) = posted(sandbox)
    assert info["ReleaseKey"] == TRIAGE_KEY
    assert info["Strategy"] == "Specific" and info["RobotIds"] == [101]
    assert info["Source"] == SOURCE == "CommandLine"  # not "Manual": a click in the web UI
    assert info["Reference"].startswith("startjob:")
    assert json.loads(info["InputArguments"]) == {"IncidentId": "INC0010234"}
    assert "Folder       Default  (classic, id 4)" in out
    assert "SupportTriage 1.0.1" in out and "SUPPORT-BOT-01" in out
    assert "IncidentId = INC0010234  [the template]" in out
    assert "Started 1 job(s): 10001" in out
    assert err == ""


def test_every_start_is_recorded_in_the_history(sandbox, cli, write):
    path = write(triage())
    assert cli(path)[0] == EXIT_OK
    (entry,) = read_entries()
    assert entry.source == "headless"
    assert entry.template_name == "Triage incident" and entry.template_path == path
    assert entry.process_key == "SupportTriage" and entry.folder == "Default"
    assert entry.release_key == TRIAGE_KEY and entry.strategy == "Specific"
    assert [job.id for job in entry.jobs] == [10001]


def test_wait_until_successful_records_final_states(sandbox, cli, write):
    code, out, err = cli(write(triage()), "--wait")
    assert code == EXIT_OK, err
    assert "Job 10001    Successful" in out and "All 1 job(s) ended Successful." in out
    (entry,) = read_entries()
    assert [job.state for job in entry.jobs] == ["Successful"]
    polls = [r for r in sandbox.request_log if r.route == "GET /odata/Jobs"]
    assert 1 <= len(polls) <= 10
    assert all("Id in (10001)" in r.query.get("$filter", "") for r in polls)


def test_wait_polls_all_jobs_in_one_request(sandbox, cli, write):
    sandbox.tenant.set_robot_state(102, "Available")  # not Busy: both jobs run at once
    text = triage().replace('robots = ["SUPPORT-BOT-01"]',
                            'robots = ["SUPPORT-BOT-01", "SUPPORT-BOT-02"]')
    code, _, err = cli(write(text), "--wait")
    assert code == EXIT_OK, err
    polls = [r for r in sandbox.request_log if r.route == "GET /odata/Jobs"]
    assert polls and all("Id in (10001,10002)" in r.query["$filter"] for r in polls)


def test_exit_1_when_a_job_faults(sandbox, cli, write):
    code, out, err = cli(write(triage()), "--set", "IncidentId=FAIL-please", "--wait")
    assert code == EXIT_JOB_FAILED
    assert "Job 10001 ended Faulted: Execution error : System.Exception: Demo failure" in err
    (entry,) = read_entries()
    assert [job.state for job in entry.jobs] == ["Faulted"]


@pytest.mark.parametrize(
    "sandbox_config",
    [SandboxConfig(job_pending_seconds=0.1, job_running_seconds=60)],
)
def test_exit_5_when_wait_times_out(sandbox, cli, write):
    code, out, err = cli(write(triage()), "--wait", "--timeout", "0.4", "--output", "json")
    assert code == EXIT_TIMEOUT
    data = json.loads(out)
    assert data["exit_code"] == EXIT_TIMEOUT and data["jobs"][0]["State"] == "Running"
    assert "Timed out waiting; still running: 10001 (Running)" in err
    (entry,) = read_entries()
    assert [job.state for job in entry.jobs] == [None]


def test_timeout_needs_wait(sandbox, cli, write):
    code, _, err = cli(write(triage()), "--timeout", "3")
    assert code == EXIT_USAGE and "--timeout needs --wait" in err
    assert posted(sandbox) == []


# -- dry run and JSON output -----------------------------------------------------------------


def test_dry_run_sends_no_start_and_prints_the_request(sandbox, cli, write):
    code, out, err = cli(write(triage()), "--dry-run")
    assert code == EXIT_OK, err
    assert sandbox.count(START_JOBS) == 0
    assert "Dry run: nothing was started" in out  # was "nothing was sent": issue 13 checks it
    body = json.loads(out[out.index("{"):])
    assert body["startInfo"]["ReleaseKey"] == TRIAGE_KEY
    assert read_entries() == []


def test_json_output_is_one_object_with_the_request_sent(sandbox, cli, write):
    code, out, err = cli(write(triage()), "--output", "json", "--wait")
    assert code == EXIT_OK, err
    data = json.loads(out)  # exactly one JSON document on stdout
    # Issue 13 added "preflight" (dry runs) and each job's JobError, Explanation and
    # PendingReasons.
    assert set(data) == {"template", "dry_run", "request", "preflight", "jobs", "warnings",
                         "errors", "exit_code"}
    assert data["template"] == "Triage incident" and data["dry_run"] is False
    assert data["request"] == {"startInfo": posted(sandbox)[0]}
    assert data["preflight"] is None
    (job,) = data["jobs"]
    assert set(job) == {"Id", "Key", "State", "Info", "OutputArguments", "JobError",
                        "Explanation", "PendingReasons"}
    assert job["JobError"] is job["Explanation"] is job["PendingReasons"] is None
    assert job["Id"] == 10001 and job["State"] == "Successful"
    assert job["OutputArguments"] == {"TriageResult": "Done by job 10001",
                                      "AssignedQueue": "Done by job 10001"}
    assert data["warnings"] == [] and data["errors"] == []
    assert err == ""


def test_json_dry_run(sandbox, cli, write):
    code, out, _ = cli(write(triage()), "--output", "json", "--dry-run")
    data = json.loads(out)
    assert code == EXIT_OK and data["dry_run"] is True and data["jobs"] == []
    assert data["request"]["startInfo"]["RobotIds"] == [101]
    assert sandbox.count(START_JOBS) == 0


def test_json_output_on_error_is_still_one_object(sandbox, cli, write):
    code, out, err = cli(write(triage()), "--set", "Nope=1", "--output", "json")
    data = json.loads(out)
    assert code == EXIT_USAGE == data["exit_code"]
    assert data["request"] is None and data["jobs"] == []
    assert data["errors"] == ["--set Nope is not an input argument of this process; its "
                              "arguments are IncidentId"]
    assert "startjob run: --set Nope is not an input argument" in err


# -- argument values -------------------------------------------------------------------------


SET_ERRORS = [
    ("Letter", "AB", 'Letter: "AB" is 2 characters — a Char holds exactly one'),
    ("Count", "abc", 'Count: "abc" is not a whole number, e.g. 42'),
    ("BigCount", "99999999999999999999", "BigCount: 99999999999999999999 is outside Int64"),
    ("SmallByte", "256", "SmallByte: 256 is outside Byte (0 to 255)"),
    ("ShortNumber", "40000", "ShortNumber: 40000 is outside Int16"),
    ("Unsigned", "-1", "Unsigned: -1 is outside UInt32"),
    ("Amount", "1,5", 'Amount: "1,5" is not a number — use a dot, e.g. 1.5'),
    ("Ratio", "x", 'Ratio: "x" is not a number, e.g. 12.5'),
    ("Weight", "1e39", "Weight: 1e39 is outside Single"),
    ("Approved", "maybe", 'Approved: "maybe" is not true or false'),
    ("DueDate", "2024-13-01", 'DueDate: "2024-13-01" is not a real date and time'),
    ("DueOffset", "2024-05-01T09:00:00", "needs a time zone"),
    ("Timeout", "25:00", 'Timeout: "25:00" has more than 23 hours'),
    ("Tags", "[1", "Tags: expected a JSON list of texts"),
    ("Scores", "1\nx", 'Scores: line 2: "x" is not a whole number'),
    ("Names", "[true]", "Names: item 1: expected text, got true"),
    ("Settings", "[]", "Settings: expected a JSON object"),
    ("Rows", '{"a": 1}', "Rows: expected a JSON list of rows"),
    ("Payload", "[1]", "Payload: expected a JSON object"),
    ("MaybeCount", "1.5", 'MaybeCount: "1.5" is not a whole number'),
    ("Custom", "{", "Custom: not valid JSON"),
]


@pytest.mark.parametrize(("name", "text", "message"), SET_ERRORS,
                         ids=[case[0] for case in SET_ERRORS])
def test_set_conversion_errors_name_the_argument(sandbox, cli, write, name, text, message):
    code, out, err = cli(write(SHOWCASE), "--set", f"{name}={text}")
    assert code == EXIT_USAGE
    assert message in err and "(from --set)" in err
    assert sandbox.count(START_JOBS) == 0


SET_JSON_ERRORS = [
    ("Count", "true", "Count: expected a whole number, got true"),
    ("Count", '"abc"', 'Count: "abc" is not a whole number'),
    ("Text", "5", 'Text: expected text, got the number 5 — write it in double quotes: "5"'),
    ("Approved", "null", "Approved: null is not a value here"),
    ("Rows", "[1]", "Rows: row 1: expected an object of column values"),
    ("Count", "{", "--set-json Count: not valid JSON"),
]


@pytest.mark.parametrize(("name", "text", "message"), SET_JSON_ERRORS)
def test_set_json_errors(sandbox, cli, write, name, text, message):
    code, _, err = cli(write(SHOWCASE), "--set-json", f"{name}={text}")
    assert code == EXIT_USAGE
    assert message in err
    assert sandbox.count(START_JOBS) == 0


def test_set_converts_every_kind(sandbox, cli, write):
    values = {
        "Text": "ünïcode text", "Letter": "Z", "Count": "7", "BigCount": "9007199254740993",
        "SmallByte": "255", "ShortNumber": "-5", "Unsigned": "4294967295", "Amount": "12.50",
        "Ratio": "0.1", "Weight": "1e3", "Approved": "yes", "DueDate": "2024-05-01 09:30",
        "DueOffset": "2024-05-01T09:00:00+0200", "Timeout": "1.02:00", "Tags": "a\nb",
        "Scores": "[1, 2]", "Names": "x", "Settings": '{"k": 1.0}',
        "Rows": '[{"Name": "Ada", "Age": 36}]', "Payload": '{"id": 1}', "MaybeCount": "4",
        "Custom": '{"Total": 10.25}',
    }
    args = [arg for name, text in values.items() for arg in ("--set", f"{name}={text}")]
    code, _, err = cli(write(SHOWCASE), *args)
    assert code == EXIT_OK, err
    (info,) = posted(sandbox)
    assert json.loads(info["InputArguments"], parse_float=Decimal) == {
        "Text": "ünïcode text", "Letter": "Z", "Count": 7, "BigCount": 9007199254740993,
        "SmallByte": 255, "ShortNumber": -5, "Unsigned": 4294967295, "Amount": Decimal("12.50"),
        "Ratio": Decimal("0.1"), "Weight": Decimal("1E+3"), "Approved": True,
        "DueDate": "2024-05-01T09:30:00", "DueOffset": "2024-05-01T09:00:00+02:00",
        "Timeout": "1.02:00:00", "Tags": ["a", "b"], "Scores": [1, 2], "Names": ["x"],
        "Settings": {"k": Decimal("1.0")}, "Rows": [{"Name": "Ada", "Age": 36}],
        "Payload": {"id": 1}, "MaybeCount": 4, "Custom": {"Total": Decimal("10.25")},
    }
    assert '"Amount":12.50' in info["InputArguments"]  # decimals sent exactly as typed
    assert info["Strategy"] == "ModernJobsCount" and info["JobsCount"] == 1
    assert info["RuntimeType"] == "Unattended"


def test_set_json_values(sandbox, cli, write):
    code, _, err = cli(write(SHOWCASE), "--set-json", 'Settings={"a": 1.50, "b": [true]}',
                       "--set-json", 'Tags=["x", "y"]', "--set-json", "Count=9",
                       "--set-json", 'Custom="just text"')
    assert code == EXIT_OK, err
    (info,) = posted(sandbox)
    assert '"Settings":{"a":1.50,"b":[true]}' in info["InputArguments"]
    sent = json.loads(info["InputArguments"])
    assert sent["Tags"] == ["x", "y"] and sent["Count"] == 9 and sent["Custom"] == "just text"


def test_set_empty_leaves_an_argument_out(sandbox, cli, write):
    code, _, err = cli(write(SHOWCASE), "--set", "Count=", "--set", "Text=x")
    assert code == EXIT_USAGE
    assert "Count is required: pass --set Count=VALUE." in err


def test_template_values_are_sent_with_their_types(sandbox, cli, write):
    text = SHOWCASE.replace('Count = 3', 'Count = 3\nAmount = 12.50\nDueDate = 2024-05-01T09:00:00'
                                         '\nTags = ["a"]\nSettings = { k = 1.0 }')
    code, _, err = cli(write(text))
    assert code == EXIT_OK, err
    (info,) = posted(sandbox)
    assert json.loads(info["InputArguments"], parse_float=Decimal) == {
        "Text": "hello", "Count": 3, "Amount": Decimal("12.50"),
        "DueDate": "2024-05-01T09:00:00", "Tags": ["a"], "Settings": {"k": Decimal("1.0")},
    }
    assert '"Amount":12.50' in info["InputArguments"]


# -- events ----------------------------------------------------------------------------------


def bound(top: str = "") -> str:
    return triage(top=top, arguments="", bindings='IncidentId = "incident.number"')


def test_event_file_fills_bindings(sandbox, cli, write):
    event = write(json.dumps({"incident": {"number": "INC42", "x": 1}}), "event.json")
    code, out, err = cli(write(bound()), "--event", event)
    assert code == EXIT_OK, err
    assert sent_arguments(sandbox) == {"IncidentId": "INC42"}
    assert "IncidentId = INC42  [event incident.number]" in out


def test_event_from_stdin(sandbox, cli, write, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO('{"incident": {"number": "INC-STDIN"}}'))
    code, _, err = cli(write(bound()), "--event", "-")
    assert code == EXIT_OK, err
    assert sent_arguments(sandbox) == {"IncidentId": "INC-STDIN"}


def test_event_paths_index_lists_and_convert_to_the_type(sandbox, cli, write):
    text = SHOWCASE.replace('[arguments]\nText = "hello"\nCount = 3',
                            '[arguments]\nText = "hello"') + (
        '\n[bindings]\nCount = "items.1.n"\nAmount = "money.total"\nTags = "tags"\n')
    event = write('{"items": [{"n": 1}, {"n": "22"}], "money": {"total": 10.10},'
                  ' "tags": ["p", "q"]}', "event.json")
    code, _, err = cli(write(text), "--event", event)
    assert code == EXIT_OK, err
    info = posted(sandbox)[0]["InputArguments"]
    assert json.loads(info)["Count"] == 22 and '"Amount":10.10' in info
    assert json.loads(info)["Tags"] == ["p", "q"]


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ('{"incident": {}}', 'IncidentId: the event has no value at "incident.number"'),
        ('{"incident": {"number": 5}}', "IncidentId: expected text, got the number 5"),
        ("[1, 2]", "must be a JSON object"),
        ("{nope", "is not valid JSON"),
    ],
)
def test_event_problems(sandbox, cli, write, event, message):
    code, _, err = cli(write(bound()), "--event", write(event, "event.json"))
    assert code == EXIT_USAGE
    assert message in err
    assert sandbox.count(START_JOBS) == 0


def test_missing_event_file(sandbox, cli, write, tmp_path):
    code, _, err = cli(write(bound()), "--event", str(tmp_path / "nope.json"))
    assert code == EXIT_USAGE and "Cannot read the event file" in err


def test_event_without_bindings_is_a_warning(sandbox, cli, write):
    code, _, err = cli(write(triage()), "--event", write("{}", "event.json"))
    assert code == EXIT_OK
    assert "warning: The template has no [bindings], so the event is not used." in err


# -- precedence ------------------------------------------------------------------------------


PRECEDENCE = triage(arguments='IncidentId = "FROM-TEMPLATE"',
                    bindings='IncidentId = "incident.number"')


@pytest.mark.parametrize(
    ("use_event", "use_set", "expected"),
    [
        (False, False, "FROM-TEMPLATE"),
        (True, False, "FROM-EVENT"),
        (True, True, "FROM-SET"),
        (False, True, "FROM-SET"),
    ],
)
def test_precedence_set_event_template(sandbox, cli, write, use_event, use_set, expected):
    args = []
    if use_event:
        args += ["--event", write('{"incident": {"number": "FROM-EVENT"}}', "event.json")]
    if use_set:
        args += ["--set", "IncidentId=FROM-SET"]
    code, _, err = cli(write(PRECEDENCE), *args)
    assert code == EXIT_OK, err
    assert sent_arguments(sandbox) == {"IncidentId": expected}


REPORT = """\
version = 1
name = "Weekly report"

[connection]
folder = "Default"

[process]
key = "ReportGenerator"

[strategy]
kind = "JobsCount"
jobs_count = 2

[signature]
Region = "System.String"
IncludeArchived = "System.Boolean"
ReportDate = "System.DateTime"
"""


def test_process_defaults_satisfy_required_arguments_and_are_not_sent(sandbox, cli, write):
    code, out, err = cli(write(REPORT))
    assert code == EXIT_OK, err
    (info,) = posted(sandbox)
    assert info["InputArguments"] == "{}"
    assert info["Strategy"] == "JobsCount" and info["JobsCount"] == 2
    assert "Region: not sent (Orchestrator's default applies)" in out


def test_set_beats_process_defaults(sandbox, cli, write):
    code, _, err = cli(write(REPORT), "--set", "Region=APAC")
    assert code == EXIT_OK, err
    assert sent_arguments(sandbox) == {"Region": "APAC"}


# -- ask arguments ---------------------------------------------------------------------------


ASKED = triage(top='ask = ["IncidentId"]', arguments="")


def test_ask_from_environment(sandbox, cli, write, monkeypatch):
    monkeypatch.setenv("STARTJOB_ARG_IncidentId", "INC-ENV")
    code, out, err = cli(write(ASKED))
    assert code == EXIT_OK, err
    assert sent_arguments(sandbox) == {"IncidentId": "INC-ENV"}
    assert "INC-ENV" not in out and "(hidden: an ask argument)" in out


def test_ask_from_upper_case_environment_name(sandbox, cli, write, monkeypatch):
    monkeypatch.setenv("STARTJOB_ARG_INCIDENTID", "INC-UPPER")
    assert cli(write(ASKED))[0] == EXIT_OK
    assert sent_arguments(sandbox) == {"IncidentId": "INC-UPPER"}


def test_set_beats_ask_environment(sandbox, cli, write, monkeypatch):
    monkeypatch.setenv("STARTJOB_ARG_IncidentId", "INC-ENV")
    assert cli(write(ASKED), "--set", "IncidentId=INC-SET")[0] == EXIT_OK
    assert sent_arguments(sandbox) == {"IncidentId": "INC-SET"}


def test_ask_missing(sandbox, cli, write):
    code, _, err = cli(write(ASKED))
    assert code == EXIT_USAGE
    assert ("IncidentId is required: pass --set IncidentId=VALUE or set "
            "STARTJOB_ARG_IncidentId.") in err


def test_environment_is_only_read_for_ask_arguments(sandbox, cli, write, monkeypatch):
    monkeypatch.setenv("STARTJOB_ARG_IncidentId", "INC-ENV")
    assert cli(write(triage()))[0] == EXIT_OK
    assert sent_arguments(sandbox) == {"IncidentId": "INC0010234"}


# -- usage and template errors (exit 2) ------------------------------------------------------


def test_template_by_name(sandbox, cli, write):
    save_template(load_template(write(triage())))
    code, out, err = cli("triage incident", "--dry-run")
    assert code == EXIT_OK, err
    assert str(templates_dir() / "triage-incident.toml") in out


def test_flags_before_the_subcommand_count(sandbox, write, capsys):
    path = write(triage())
    code = main(["--url", sandbox.orchestrator_url, "--folder", "Default", "run", path,
                 "--dry-run"])
    assert code == EXIT_OK, capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "IncidentId"], "--set \"IncidentId\": expected --set NAME=VALUE"),
        (["--set", "Incidentid=x"], "--set Incidentid is not an input argument of this process "
                                    "— did you mean IncidentId?"),
        (["--set", "IncidentId=a", "--set-json", 'IncidentId="b"'],
         "IncidentId is given twice (--set and --set-json)"),
        (["--folder", "Nowhere"], 'The folder "Nowhere" no longer exists'),
    ],
)
def test_usage_errors(sandbox, cli, write, args, message):
    code, _, err = cli(write(triage()), *args)
    assert code == EXIT_USAGE
    assert message in err
    assert sandbox.count(START_JOBS) == 0


def test_unknown_template_name(sandbox, cli):
    code, _, err = cli("no such template")
    assert code == EXIT_USAGE
    assert 'No template named "no such template"' in err and "startjob templates" in err


def test_missing_template_file(sandbox, cli, tmp_path):
    code, _, err = cli(str(tmp_path / "gone.toml"))
    assert code == EXIT_USAGE and "gone.toml: cannot be read" in err


def test_invalid_template(sandbox, cli, write):
    code, _, err = cli(write(triage().replace('kind = "Specific"', 'kind = "Sometimes"')))
    assert code == EXIT_USAGE
    assert "strategy.kind must be one of Specific, JobsCount, All, ModernJobsCount" in err


def test_missing_required_argument(sandbox, cli, write):
    code, _, err = cli(write(triage(arguments="")))
    assert code == EXIT_USAGE
    assert "IncidentId is required: pass --set IncidentId=VALUE." in err


def test_bad_stored_value(sandbox, cli, write):
    code, _, err = cli(write(SHOWCASE.replace("Count = 3", 'Count = "three"')))
    assert code == EXIT_USAGE
    assert 'Count: "three" is not a whole number, e.g. 42 (from the template)' in err


def test_strategy_that_does_not_fit_the_folder(sandbox, cli, write):
    text = triage().replace('kind = "Specific"\nrobots = ["SUPPORT-BOT-01"]',
                            'kind = "ModernJobsCount"')
    code, _, err = cli(write(text))
    assert code == EXIT_USAGE
    assert "ModernJobsCount is for modern folders" in err


def test_missing_credentials(sandbox, cli, write, monkeypatch):
    monkeypatch.delenv("UIPATH_CLIENT_SECRET")
    code, _, err = cli(write(triage()))
    assert code == EXIT_USAGE
    assert "Cannot connect: Missing: Client secret." in err


def test_unknown_profile_is_a_usage_error(sandbox, cli, write):
    text = triage().replace('folder = "Default"', 'profile = "prod"\nfolder = "Default"')
    code, _, err = cli(write(text), url=False)
    assert code == EXIT_USAGE
    assert "has no profile 'prod'" in err
    # --url wins over the template's profile
    assert cli(write(text), "--dry-run")[0] == EXIT_OK


def test_template_profile_says_where_to_connect(sandbox, cli, write):
    from tui_app.profiles import Profile, save_profile

    save_profile(Profile(name="prod", url=sandbox.orchestrator_url))
    text = triage().replace('folder = "Default"', 'profile = "prod"\nfolder = "Default"')
    code, out, err = cli(write(text), "--dry-run", url=False)
    assert code == EXIT_OK, err
    assert "(classic, id 4)" in out  # the folder was looked up at the profile's url


# -- connection failures (exit 3) and refusals (exit 4) ---------------------------------------


def test_exit_3_wrong_secret(sandbox, cli, write, monkeypatch):
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "wrong")
    code, _, err = cli(write(triage()))
    assert code == EXIT_CONNECTION
    assert "Sign-in failed" in err
    assert sandbox.count(START_JOBS) == 0


def test_exit_3_refused_port(write, capsys, monkeypatch):
    monkeypatch.setattr(replay, "CLIENT_OPTIONS", {"max_retries": 0})
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/demo/DefaultTenant/orchestrator_"
    code = main(["run", write(triage()), "--url", url])
    assert code == EXIT_CONNECTION
    assert "Cannot reach Orchestrator" in capsys.readouterr().err


SHARED = """\
version = 1
name = "Hello"

[connection]
folder = "Shared"

[process]
key = "HelloWorld"

[strategy]
kind = "ModernJobsCount"
"""


def test_exit_4_when_orchestrator_refuses(sandbox, cli, write):
    code, _, err = cli(write(SHARED))
    assert code == EXIT_REFUSED
    assert "Couldn't find any user with unattended robot permissions" in err
    assert sandbox.count(START_JOBS) == 1
    assert read_entries() == []


def test_dry_run_preflight_finds_the_refusal_without_starting(sandbox, cli, write):
    code, _, err = cli(write(SHARED), "--dry-run")
    assert code == EXIT_REFUSED
    assert "Pre-flight check" in err
    assert sandbox.count(START_JOBS) == 0


def test_a_start_records_where_and_by_whom(sandbox, cli, write):
    """The history entry names the Orchestrator, folder, identity and the exact body sent."""
    code, _, err = cli(write(triage()))
    assert code == EXIT_OK, err
    entry = read_entries()[-1]
    assert entry.orchestrator_url == sandbox.orchestrator_url
    assert (entry.folder, entry.folder_id) == ("Default", 4)
    assert entry.identity == {"user_name": "demo-client", "id": 2, "email": None,
                              "type": "DirectoryExternalApplication"}  # GetCurrentUser's
    assert entry.body is not None and entry.body["InputArguments"] == '{"IncidentId":"INC0010234"}'
    assert entry.reference == entry.body["Reference"]


def test_history_user_finds_starts_by_orchestrator_identity(sandbox, cli, write, capsys):
    """Two people on one OS account: ``history --user`` tells their starts apart by the
    identity Orchestrator named, not by the OS user."""
    from tui_app.history import append_entry

    code, _, err = cli(write(triage()))
    assert code == EXIT_OK, err
    other = read_entries()[-1]
    append_entry(dataclasses.replace(other, id="second", identity={
        "user_name": "ana.support", "id": 9, "email": "ana@corp.test", "type": "User"}))
    assert main(["history", "--user", "DEMO-client", "--offline", "--output", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [e["identity"]["user_name"] for e in data["entries"]] == ["demo-client"]
    assert main(["history", "--user", "ana@corp", "--offline"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3  # heading, rule, one start
    assert main(["history", "--user", "ana", "--offline", "--output", "json"]) == 0
    [entry] = json.loads(capsys.readouterr().out)["entries"]
    assert (entry["number"], entry["identity"]["email"]) == (1, "ana@corp.test")
    assert main(["history", "--user", "nobody", "--offline", "--output", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["entries"] == []


def test_an_ask_value_never_reaches_the_history_body(sandbox, cli, write, monkeypatch):
    path = write(triage(top='ask = ["IncidentId"]', arguments=""))
    code, _, err = cli(path, "--set", "IncidentId=SECRET-42")
    assert code == EXIT_OK, err
    assert "SECRET-42" not in json.dumps(read_entries()[-1].to_json())
