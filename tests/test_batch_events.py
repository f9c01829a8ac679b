"""``startjob run TEMPLATE --events -``: one start per JSON event line, each as it arrives;
``[events] id`` makes a re-delivered event start nothing (issue 17)."""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import time

import pytest

from tui_app import replay
from tui_app.cli import main
from tui_app.exit_codes import EXIT_OK, EXIT_SOME_REFUSED, EXIT_USAGE
from tui_app.following import FollowPolicy

START_JOBS = "POST /odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
TEMPLATE = """\
version = 1
name = "Triage incident"
reference = "INC:{IncidentId}"

[connection]
folder = "Default"

[process]
key = "SupportTriage"
environment = "QuickstartDemo"

[strategy]
kind = "JobsCount"
jobs_count = 1

[signature]
IncidentId = "System.String"

[bindings]
IncidentId = "incident.number"

[events]
id = "id"
"""


@pytest.fixture(autouse=True)
def demo_credentials(monkeypatch):
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")
    monkeypatch.setattr(replay, "FOLLOW", FollowPolicy(first=0.05, longest=0.2))


@pytest.fixture
def template(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(TEMPLATE, encoding="utf-8")
    return str(path)


def started(sandbox) -> list:
    return [json.loads(r.body)["startInfo"] for r in sandbox.request_log
            if r.route == START_JOBS]


def event(event_id: str, number: str) -> str:
    return json.dumps({"id": event_id, "incident": {"number": number}}) + "\n"


def test_each_event_starts_as_it_arrives_before_the_input_ends(sandbox, template,
                                                              monkeypatch, capsys):
    read, write = os.pipe()
    monkeypatch.setattr(sys, "stdin", os.fdopen(read, "r", encoding="utf-8"))
    codes: list = []
    runner = threading.Thread(target=lambda: codes.append(main(
        ["run", template, "--events", "-", "--url", sandbox.orchestrator_url])))
    runner.start()
    writer = os.fdopen(write, "w", encoding="utf-8")
    try:
        writer.write(event("E1", "A1"))
        writer.flush()
        deadline = time.monotonic() + 30
        while not started(sandbox):  # the first start happens with the pipe still open
            assert time.monotonic() < deadline and runner.is_alive()
            time.sleep(0.01)
        writer.write(event("E2", "A2") + event("E1", "A1") + "not json\n")
    finally:
        writer.close()
        runner.join(60)
    assert codes == [EXIT_SOME_REFUSED], capsys.readouterr().err  # the bad line
    infos = started(sandbox)
    assert [json.loads(i["InputArguments"])["IncidentId"] for i in infos] == ["A1", "A2"]
    assert all(i["Reference"].startswith("INC:A") for i in infos)


def test_a_redelivered_event_in_a_new_stream_is_found_by_reference(sandbox, template,
                                                                   monkeypatch, capsys):
    for _ in range(2):
        monkeypatch.setattr(sys, "stdin", io.StringIO(event("E7", "B7")))
        code = main(["run", template, "--events", "-", "--url", sandbox.orchestrator_url,
                     "--output", "json"])
        assert code == EXIT_OK, capsys.readouterr().err
    assert len(started(sandbox)) == 1
    totals = json.loads(capsys.readouterr().out.splitlines()[-1])["totals"]
    assert totals["already_done"] == 1 and totals["started"] == 0


def test_a_single_run_fills_the_reference_from_the_values_and_the_event_id(
        sandbox, template, capsys, tmp_path, monkeypatch):
    path = tmp_path / "event.json"
    path.write_text(event("E9", "C9"), encoding="utf-8")
    code = main(["run", template, "--event", str(path), "--url", sandbox.orchestrator_url])
    assert code == EXIT_OK, capsys.readouterr().err
    (info,) = started(sandbox)
    assert info["Reference"].startswith("INC:C9:e")
    # The same event in a stream of the same template has the same Reference: found.
    monkeypatch.setattr(sys, "stdin", io.StringIO(event("E9", "C9")))
    code = main(["run", template, "--events", "-", "--url", sandbox.orchestrator_url,
                 "--output", "json"])
    assert code == EXIT_OK, capsys.readouterr().err
    assert len(started(sandbox)) == 1


def test_a_single_run_of_an_event_started_before_starts_nothing(sandbox, template, capsys,
                                                                 tmp_path):
    path = tmp_path / "event.json"
    path.write_text(event("E5", "D5"), encoding="utf-8")
    argv = ["run", template, "--event", str(path), "--url", sandbox.orchestrator_url]
    assert main(argv) == EXIT_OK
    first = capsys.readouterr().out
    assert main([*argv, "--output", "json"]) == EXIT_OK
    result = json.loads(capsys.readouterr().out)
    assert len(started(sandbox)) == 1
    assert result["already_started"] is True and len(result["jobs"]) == 1
    assert str(result["jobs"][0]["Id"]) in first
    assert main(argv) == EXIT_OK
    assert "This event was started before: job(s) " in capsys.readouterr().out


def test_a_single_run_of_an_event_without_its_id_is_exit_2(sandbox, template, capsys,
                                                           tmp_path):
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"incident": {"number": "D6"}}), encoding="utf-8")
    code = main(["run", template, "--event", str(path), "--url", sandbox.orchestrator_url])
    assert code == EXIT_USAGE
    assert 'the event has no id at "id" ([events] id)' in capsys.readouterr().err
    assert started(sandbox) == []


def test_a_route_does_not_start_a_redelivered_event_again(sandbox, template, capsys,
                                                          tmp_path):
    routes = tmp_path / "routes.toml"
    routes.write_text(f'[[route]]\ntemplate = "{template}"\n', encoding="utf-8")
    events = tmp_path / "events.jsonl"
    events.write_text(event("R1", "E1") + event("R2", "E2") + event("R1", "E1"),
                      encoding="utf-8")
    code = main(["route", str(routes), "--events", str(events), "--url",
                 sandbox.orchestrator_url])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    assert [json.loads(i["InputArguments"])["IncidentId"] for i in started(sandbox)] == [
        "E1", "E2"]
    assert "event 3: route 1 -> Triage incident: started before: job(s) " in captured.out
    assert "3 event(s): 2 started, 1 started before, 0 matched no route" in captured.err


def test_a_stream_starts_only_the_events_the_template_filter_matches(sandbox, tmp_path,
                                                                      monkeypatch, capsys):
    path = tmp_path / "filtered.toml"
    path.write_text("filter = 'state == \"new\"'\n" + TEMPLATE, encoding="utf-8")
    lines = (json.dumps({"id": "F1", "state": "new", "incident": {"number": "N1"}}) + "\n"
             + json.dumps({"id": "F2", "state": "closed", "incident": {"number": "N2"}})
             + "\n")
    monkeypatch.setattr(sys, "stdin", io.StringIO(lines))
    code = main(["run", str(path), "--events", "-", "--url", sandbox.orchestrator_url,
                 "--output", "json"])
    assert code == EXIT_OK, capsys.readouterr().err
    assert [json.loads(i["InputArguments"])["IncidentId"] for i in started(sandbox)] == ["N1"]
    totals = json.loads(capsys.readouterr().out.splitlines()[-1])["totals"]
    assert totals["filtered"] == 1 and totals["started"] == 1
