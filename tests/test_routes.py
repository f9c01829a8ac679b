"""Route files (``tui_app.routes``) and ``startjob route ROUTES.toml --events FILE|-``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tui_app import replay
from tui_app.cli import main
from tui_app.following import FollowPolicy
from tui_app.routes import RouteError, load_routes, parse_routes

START_JOBS = "POST /odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"

TRIAGE = """\
version = 1
name = "{name}"
{top}
[connection]
folder = "Default"

[process]
key = "SupportTriage"

[strategy]
kind = "Specific"
robots = ["SUPPORT-BOT-01"]

[signature]
IncidentId = "System.String"

[bindings]
IncidentId = "incident.number"
"""


@pytest.fixture(autouse=True)
def demo_credentials(monkeypatch):
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")
    monkeypatch.setattr(replay, "FOLLOW", FollowPolicy(first=0.05, longest=0.2))


@pytest.fixture
def sandbox_config():
    """Jobs end at once: the sandbox refuses a second pending job for one robot."""
    from tui_app.sandbox import SandboxConfig

    return SandboxConfig(job_pending_seconds=0.0, job_running_seconds=0.0, stop_seconds=0.0)


@pytest.fixture
def folder(tmp_path) -> Path:
    (tmp_path / "triage.toml").write_text(TRIAGE.format(name="Triage", top=""), "utf-8")
    (tmp_path / "urgent.toml").write_text(
        TRIAGE.format(name="Urgent", top="filter = 'incident.urgent'"), "utf-8")
    (tmp_path / "close.toml").write_text(TRIAGE.format(name="Close", top=""), "utf-8")
    return tmp_path


def table(folder: Path, text: str):
    return parse_routes(text, "routes.toml", folder)


ROUTES = """\
[[route]]
template = "urgent.toml"

[[route]]
template = "triage.toml"
filter = 'incident.state == "new"'

[[route]]
template = "close.toml"
filter = 'incident.state in ["closed", "resolved"]'
"""


# -- matching -------------------------------------------------------------------------------


def test_routes_are_checked_in_order_and_the_first_match_wins(folder):
    routes = table(folder, ROUTES)
    assert [r.number for r in routes.routes] == [1, 2, 3]
    new = {"incident": {"state": "new"}}
    assert routes.route_for(new).template.name == "Triage"
    assert routes.route_for({"incident": {"state": "resolved"}}).number == 3
    assert routes.route_for({"incident": {"state": "open"}}) is None


def test_a_route_also_needs_its_templates_own_filter(folder):
    routes = table(folder, ROUTES)  # route 1 has no filter, but urgent.toml has one
    assert routes.route_for({"incident": {"state": "new", "urgent": True}}).number == 1
    assert routes.route_for({"incident": {"state": "new", "urgent": False}}).number == 2


def test_the_default_takes_what_no_route_matches(folder):
    routes = table(folder, ROUTES + '\n[default]\ntemplate = "close.toml"\n')
    chosen = routes.route_for({"incident": {"state": "open"}})
    assert chosen is routes.default and chosen.label == "default" and chosen.number == 0


def test_a_route_without_a_filter_is_a_catch_all(folder):
    routes = table(folder, '[[route]]\ntemplate = "triage.toml"\n')
    assert routes.route_for({}).number == 1


def test_templates_are_found_by_name_too(folder, monkeypatch):
    from tui_app.locations import templates_dir

    saved = templates_dir()
    saved.mkdir(parents=True, exist_ok=True)
    (saved / "x.toml").write_text(TRIAGE.format(name="Saved one", top=""), "utf-8")
    routes = table(folder, '[[route]]\ntemplate = "Saved one"\n')
    assert routes.routes[0].template.name == "Saved one"


def test_relative_paths_are_next_to_the_route_file(folder, monkeypatch, tmp_path):
    path = folder / "routes.toml"
    path.write_text(ROUTES, "utf-8")
    monkeypatch.chdir(tmp_path.parent)
    routes = load_routes(path)
    assert routes.routes[1].path == folder / "triage.toml"


# -- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text, message", [
    ("", "routes.toml: has no [[route]] tables"),
    ("[[route]\n", "routes.toml: is not valid TOML"),
    ('colour = "red"\n', "routes.toml: colour is not a known key; expected one of: route, "
                         "default"),
    ("route = 3\n", "routes.toml: route must be [[route]] tables"),
    ('[[route]]\ntemplate = "triage.toml"\n[[route]]\nfilter = "a"\n',
     "routes.toml: route 2: template is missing"),
    ('[[route]]\ntemplate = ""\n', "routes.toml: route 1: template must be a non-empty string"),
    ('[[route]]\ntemplate = "triage.toml"\ncolor = 1\n',
     "routes.toml: route 1: color is not a known key; expected one of: template, filter"),
    ('[[route]]\ntemplate = "triage.toml"\nfilter = "a =="\n',
     'routes.toml: route 1: filter is not a valid filter (column 5: expected a value after '
     '"==", found end of text)'),
    ('[[route]]\ntemplate = "triage.toml"\nfilter = 1\n',
     "routes.toml: route 1: filter must be a string"),
    ('[[route]]\ntemplate = "missing.toml"\n', "routes.toml: route 1: template 'missing.toml':"),
    ('[[route]]\ntemplate = "No such"\n', "routes.toml: route 1: template 'No such': No "
                                          "template named"),
    ('[default]\ntemplate = "triage.toml"\nfilter = "a"\n',
     "routes.toml: default: filter is not a known key; expected one of: template"),
    ("default = 1\n", "routes.toml: default must be a [default] table"),
])
def test_errors_name_the_route_and_the_key(folder, text, message):
    with pytest.raises(RouteError) as caught:
        table(folder, text)
    assert str(caught.value).startswith(message)


def test_a_broken_template_is_an_error_before_any_event(folder):
    (folder / "broken.toml").write_text("version = 2\n", "utf-8")
    with pytest.raises(RouteError, match=r"route 1: template 'broken.toml': .*version must be"):
        table(folder, '[[route]]\ntemplate = "broken.toml"\n')


# -- startjob route -------------------------------------------------------------------------


@pytest.fixture
def route(sandbox, capsys, folder, monkeypatch):
    def run(events: str, *flags: str, routes: str = ROUTES, stdin: bool = False):
        (folder / "routes.toml").write_text(routes, "utf-8")
        if stdin:
            monkeypatch.setattr("sys.stdin", io.StringIO(events))
            source = "-"
        else:
            (folder / "events.jsonl").write_text(events, "utf-8")
            source = str(folder / "events.jsonl")
        code = main(["route", str(folder / "routes.toml"), "--events", source, *flags,
                     "--url", sandbox.orchestrator_url, "--no-token-cache"])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def started(sandbox) -> list:
    return [json.loads(json.loads(r.body)["startInfo"]["InputArguments"])["IncidentId"]
            for r in sandbox.request_log if r.route == START_JOBS]


EVENTS = "\n".join([
    '{"incident": {"state": "new", "number": "INC-1"}}',
    '{"incident": {"state": "open", "number": "INC-2"}}',
    "",
    '{"incident": {"state": "closed", "number": "INC-3"}}',
]) + "\n"


def test_each_event_goes_to_its_template_and_unmatched_ones_are_counted(sandbox, route):
    code, out, err = route(EVENTS)
    assert code == 0, out + err
    assert started(sandbox) == ["INC-1", "INC-3"]
    lines = out.splitlines()
    assert lines[0].startswith("event 1: route 2 -> Triage: started job(s) ")
    assert lines[1] == "event 2: no route matches: skipped"
    assert lines[2].startswith("event 4: route 3 -> Close: started job(s) ")
    assert ("startjob route: 3 event(s): 2 started, 1 matched no route, 0 not started, "
            "0 not a JSON object.") in err


def test_events_from_standard_input(sandbox, route):
    code, out, err = route(EVENTS, stdin=True)
    assert code == 0, out + err
    assert started(sandbox) == ["INC-1", "INC-3"]


def test_an_event_that_cannot_start_and_a_bad_line_exit_4(sandbox, route):
    events = ('{"incident": {"state": "new"}}\n'  # the binding's path is missing
              "not json\n[1, 2]\n"
              '{"incident": {"state": "new", "number": "INC-9"}}\n')
    code, out, err = route(events)
    assert code == 4
    lines = out.splitlines()
    assert lines[0].startswith("event 1: route 2 -> Triage: not started (exit 2): IncidentId")
    assert lines[1].startswith("event 2: not started: line 2 is not valid JSON")
    assert lines[2].startswith("event 3: not started: line 3 is a JSON object ({...}) is "
                               "expected")
    assert lines[3].startswith("event 4: route 2 -> Triage: started job(s)")
    assert started(sandbox) == ["INC-9"]
    assert "1 started, 0 matched no route, 1 not started, 2 not a JSON object" in err


def test_json_output_is_one_object_per_event(sandbox, route):
    code, out, err = route(EVENTS, "--output", "json")
    assert code == 0, out + err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["event"], r["route"], r["outcome"]) for r in rows] == [
        (1, 2, "started"), (2, None, "skipped"), (4, 3, "started")]
    assert rows[0]["template"] == "Triage" and rows[0]["jobs"] and rows[0]["exit_code"] == 0


def test_dry_run_starts_nothing(sandbox, route):
    code, out, _ = route(EVENTS, "--dry-run")
    assert code == 0 and sandbox.count(START_JOBS) == 0
    assert "event 1: route 2 -> Triage: dry run: valid, nothing started" in out


def test_a_bad_route_file_is_exit_2_before_any_event(sandbox, route):
    code, out, err = route(EVENTS, routes='[[route]]\ntemplate = "triage.toml"\nfilter = "("\n')
    assert code == 2 and out == "" and sandbox.count(START_JOBS) == 0
    assert "startjob route: " in err and "route 1: filter is not a valid filter" in err


def test_a_missing_events_file_is_exit_2(sandbox, folder, capsys):
    (folder / "routes.toml").write_text(ROUTES, "utf-8")
    code = main(["route", str(folder / "routes.toml"), "--events", str(folder / "nope.jsonl")])
    assert code == 2 and "Cannot read the events file" in capsys.readouterr().err


def test_help_explains_the_flags(capsys):
    with pytest.raises(SystemExit):
        main(["route", "--help"])
    text = capsys.readouterr().out
    assert "--events FILE" in text and "exit codes:" in text and "[default]" in text
