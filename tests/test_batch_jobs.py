"""``startjob run TEMPLATE --rows FILE``: batches of job starts on the sandbox (issue 17)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest

from tui_app import replay
from tui_app.cli import main
from tui_app.exit_codes import (
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_SOME_REFUSED,
    EXIT_USAGE,
)
from tui_app.following import FollowPolicy
from tui_app.history import read_entries
from tui_app.ledger import batches_dir, read_records

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
kind = "JobsCount"
jobs_count = 1

[arguments]
IncidentId = "INC-DEFAULT"

[signature]
IncidentId = "System.String"
{extra}
"""


@pytest.fixture(autouse=True)
def demo_credentials(monkeypatch):
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")
    monkeypatch.setattr(replay, "FOLLOW", FollowPolicy(first=0.05, longest=0.2))


@pytest.fixture
def files(tmp_path):
    def write(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


@pytest.fixture
def cli(sandbox, capsys):
    def run(*args: str):
        code = main(["run", *args, "--url", sandbox.orchestrator_url])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def started(sandbox) -> list:
    return [json.loads(r.body)["startInfo"] for r in sandbox.request_log
            if r.route == START_JOBS]


def incidents(sandbox) -> list:
    return [json.loads(info["InputArguments"])["IncidentId"] for info in started(sandbox)]


def csv_rows(count: int, first: int = 1) -> str:
    return "IncidentId\n" + "".join(f"INC{n:04}\n" for n in range(first, first + count))


def test_a_csv_batch_starts_one_job_per_row_with_deterministic_references(
        sandbox, cli, files):
    template = files("t.toml", TRIAGE.format(extra=""))
    code, out, err = cli(template, "--rows", files("rows.csv", csv_rows(5)))
    assert code == EXIT_OK, err
    assert sorted(incidents(sandbox)) == [f"INC{n:04}" for n in range(1, 6)]
    references = [info["Reference"] for info in started(sandbox)]
    assert len(set(references)) == 5
    assert all(ref.startswith("startjob:b") and len(ref) <= 128 for ref in references)
    assert "started" in out and "5" in out
    assert len(read_entries(None)) == 5  # one history entry per started row


def test_jsonl_rows_fill_arguments_through_bindings(sandbox, cli, files):
    template = files("t.toml", TRIAGE.format(extra='[bindings]\nIncidentId = "incident.number"'))
    rows = files("rows.jsonl", '{"incident": {"number": "A1"}}\n\n{"incident": {"number": "A2"}}\n')
    code, _, err = cli(template, "--rows", rows)
    assert code == EXIT_OK, err
    assert sorted(incidents(sandbox)) == ["A1", "A2"]


def test_set_wins_over_every_row(sandbox, cli, files):
    template = files("t.toml", TRIAGE.format(extra=""))
    code, _, err = cli(template, "--rows", files("rows.csv", csv_rows(3)),
                       "--set", "IncidentId=FORCED")
    assert code == EXIT_OK, err
    assert incidents(sandbox) == ["FORCED"] * 3


def test_every_row_is_validated_before_anything_starts(sandbox, cli, files):
    template = files("t.toml", TRIAGE.format(extra=""))
    text = "IncidentId,Colour\n" + "".join(f"INC{n},\n" for n in range(1, 10))
    code, _, err = cli(template, "--rows", files("rows.csv", text))
    assert code == EXIT_USAGE
    assert "rows 1, 2, 3 and more" in err and "Colour" in err and "IncidentId" in err
    assert started(sandbox) == []


def test_a_bad_row_seven_stops_the_batch_before_any_start(sandbox, cli, files):
    template = files("t.toml", TRIAGE.format(extra=""))
    lines = [f'{{"IncidentId": "INC{n}"}}' for n in range(1, 11)]
    lines[6] = '{"IncidentId": "INC7"'  # not valid JSON
    code, _, err = cli(template, "--rows", files("rows.jsonl", "\n".join(lines) + "\n"))
    assert code == EXIT_USAGE and "rows.jsonl:7" in err
    assert started(sandbox) == []


def test_dry_run_prints_every_row_and_starts_nothing(sandbox, cli, files):
    template = files("t.toml", TRIAGE.format(extra=""))
    code, out, err = cli(template, "--rows", files("rows.csv", csv_rows(3)), "--dry-run")
    assert code == EXIT_OK, err
    assert out.count("row 1 ") == 1 and "row 3 " in out and '"ReleaseKey"' in out
    assert "nothing was started" in out
    assert started(sandbox) == []


def test_running_the_same_command_again_starts_nothing_twice(sandbox, cli, files):
    template = files("t.toml", TRIAGE.format(extra=""))
    rows = files("rows.csv", csv_rows(4))
    assert cli(template, "--rows", rows)[0] == EXIT_OK
    code, out, err = cli(template, "--rows", rows)
    assert code == EXIT_OK, err
    assert len(started(sandbox)) == 4
    assert "resumed" in out


def test_an_edited_template_resumes_the_same_batch_without_a_double_start(sandbox, cli,
                                                                         files):
    template = files("t.toml", TRIAGE.format(extra=""))
    rows = files("rows.csv", csv_rows(3))
    assert cli(template, "--rows", rows)[0] == EXIT_OK
    with open(template, "a", encoding="utf-8") as stream:
        stream.write("# a comment: the file changed\n")
    code, out, err = cli(template, "--rows", rows)
    assert code == EXIT_OK, err
    assert len(started(sandbox)) == 3
    assert "resumed" in out


def test_a_row_left_starting_is_reconciled_by_reference(sandbox, cli, files, monkeypatch):
    """The answer to a start was lost after Orchestrator acted: the ledger says
    ``starting``; the next run finds the job by its Reference and does not start it."""
    template = files("t.toml", TRIAGE.format(extra=""))
    rows = files("rows.csv", csv_rows(3))
    assert cli(template, "--rows", rows)[0] == EXIT_OK
    (path,) = batches_dir().glob("*.jsonl")
    kept = [line for line in path.read_text().splitlines()
            if json.loads(line).get("row") != 2 or json.loads(line)["state"] == "starting"]
    path.write_text("\n".join(kept) + "\n")
    code, _, err = cli(template, "--rows", rows)
    assert code == EXIT_OK, err
    assert len(started(sandbox)) == 3
    last = [r for r in read_records(path) if r.get("row") == 2][-1]
    assert last["state"] == "started" and last.get("found") is True


def test_a_resume_looks_up_every_row_left_starting_in_one_request(sandbox, cli, files):
    """A kill leaves several rows ``starting`` (written ahead, some sent): the resume asks
    Orchestrator about all of them in one ``Reference in (...)`` request, skips those it
    started and starts the one it has no job for, once."""
    template = files("t.toml", TRIAGE.format(extra=""))
    rows = files("rows.csv", csv_rows(6))
    assert cli(template, "--rows", rows)[0] == EXIT_OK
    (path,) = batches_dir().glob("*.jsonl")
    kept = [line for line in path.read_text().splitlines()
            if json.loads(line).get("row") not in (2, 3, 4, 5, 6)
            or json.loads(line)["state"] == "starting"]
    path.write_text("\n".join(kept) + "\n")
    row6 = next(info["Reference"] for info in started(sandbox)
                if json.loads(info["InputArguments"])["IncidentId"] == "INC0006")
    for job in [j for j in sandbox.tenant.jobs.values() if j.reference == row6]:
        del sandbox.tenant.jobs[job.id]  # row 6's start never reached Orchestrator
    sandbox.clear_log()
    code, out, err = cli(template, "--rows", rows, "--parallel", "4")
    assert code == EXIT_OK, err
    look_ups = [r for r in sandbox.request_log if r.route == "GET /odata/Jobs"]
    assert len(look_ups) == 1 and " in (" in look_ups[0].query["$filter"]
    assert [info["Reference"] for info in started(sandbox)] == [row6]
    states = {r["row"]: r for r in read_records(path) if "row" in r}
    assert all(states[n]["state"] == "started" and states[n].get("found") for n in (2, 3, 4, 5))
    assert states[6]["state"] == "started" and not states[6].get("found")


def test_a_resume_plans_only_the_rows_not_done(sandbox, cli, files, monkeypatch):
    """Neither the validation pass nor the starts plan a row the ledger has done again."""
    from tui_app import batch

    template = files("t.toml", TRIAGE.format(extra=""))
    rows = files("rows.csv", csv_rows(5))
    assert cli(template, "--rows", rows)[0] == EXIT_OK
    (path,) = batches_dir().glob("*.jsonl")
    kept = [line for line in path.read_text().splitlines() if json.loads(line).get("row") != 4]
    path.write_text("\n".join(kept) + "\n")  # row 4: never written
    planned: list = []
    real_plan = batch._Engine.plan

    def plan(self, row, csv_row):
        planned.append(row.number)
        return real_plan(self, row, csv_row)

    monkeypatch.setattr(batch._Engine, "plan", plan)
    code, out, err = cli(template, "--rows", rows)
    assert code == EXIT_OK, err
    assert planned == [4, 4]  # validated, then started
    assert "resumed" in out


def test_a_batch_asks_who_starts_its_jobs_once(sandbox, cli, files, monkeypatch):
    """Workers whose starts are answered while GetCurrentUser is on its way wait for it."""
    from tui_app import identity

    real = identity.who_started

    async def slow_who_started(client, settings):
        await asyncio.sleep(0.2)
        return await real(client, settings)

    monkeypatch.setattr(identity, "who_started", slow_who_started)
    template = files("t.toml", TRIAGE.format(extra=""))
    code, _, err = cli(template, "--rows", files("rows.csv", csv_rows(8)), "--parallel", "4")
    assert code == EXIT_OK, err
    asked = [r for r in sandbox.request_log if r.route.endswith("GetCurrentUser")]
    assert len(asked) == 1
    assert all(entry.identity for entry in read_entries(None))


BUSY = TRIAGE.replace('kind = "JobsCount"\njobs_count = 1',
                     'kind = "Specific"\nrobots = ["SUPPORT-BOT-02"]')


def test_refused_rows_are_reported_and_the_rest_go_on(sandbox, cli, files):
    """SUPPORT-BOT-02 is Busy: its first job waits Pending, so Orchestrator refuses every
    other start of the process on it (errorCode 1670)."""
    template = files("t.toml", BUSY.format(extra=""))
    code, out, err = cli(template, "--rows", files("rows.csv", csv_rows(3)), "--parallel", "1")
    assert code == EXIT_SOME_REFUSED, err
    assert len(started(sandbox)) == 3
    assert "row 2: refused" in out and "row 3: refused" in out
    assert "2 row(s) refused, 1 started" in err


def test_stop_on_refusal_starts_no_more_rows(sandbox, cli, files):
    template = files("t.toml", BUSY.format(extra=""))
    code, out, err = cli(template, "--rows", files("rows.csv", csv_rows(5)), "--parallel", "1",
                         "--stop-on-refusal")
    assert code == EXIT_SOME_REFUSED, err
    assert incidents(sandbox) == ["INC0001", "INC0002"]  # row 2 refused: 3 to 5 never sent


def test_every_row_refused_exits_4(sandbox, cli, files):
    import httpx

    from tui_app.sandbox import DEMO

    with httpx.Client(base_url=sandbox.orchestrator_url, headers={
            "Authorization": f"Bearer {DEMO.personal_access_token}",
            "X-UIPATH-FolderPath": "Default"}) as http:
        answer = http.post(START_JOBS.split(" ", 1)[1], json={"startInfo": {
            "ReleaseName": "SupportTriage_QuickstartDemo", "Strategy": "Specific",
            "RobotIds": [102]}})
        assert answer.status_code == 201  # now Pending on the Busy robot
    template = files("t.toml", BUSY.format(extra=""))
    code, _, err = cli(template, "--rows", files("rows.csv", csv_rows(2)))
    assert code == EXIT_REFUSED, err
    assert "2 row(s) refused, none started" in err


def test_json_output_is_one_object_per_row_and_totals(sandbox, cli, files):
    template = files("t.toml", TRIAGE.format(extra=""))
    code, out, err = cli(template, "--rows", files("rows.csv", csv_rows(3)), "--output", "json")
    assert code == EXIT_OK, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert Counter(line.get("state") for line in lines[:-1]) == {"started": 3}
    assert lines[-1]["totals"]["started"] == 3 and lines[-1]["totals"]["exit_code"] == 0
    assert all(line["jobs"][0]["Id"] for line in lines[:-1])


def test_wait_follows_every_job_in_batched_polls(sandbox, cli, files):
    template = files("t.toml", TRIAGE.format(extra=""))
    code, out, err = cli(template, "--rows", files("rows.csv", csv_rows(6)), "--wait")
    assert code == EXIT_OK, err
    assert "Successful 6" in out
    polls = [r for r in sandbox.request_log if r.route == "GET /odata/Jobs"
             and "Id in (" in r.query.get("$filter", "")]
    assert polls[0].query["$filter"].count(",") == 5  # the 6 jobs in one request


def test_validation_problems_every_row_shares_are_said_once(sandbox, cli, files):
    template = files("t.toml", TRIAGE.format(extra="").replace('"JobsCount"', '"ModernJobsCount"'))
    code, _, err = cli(template, "--rows", files("rows.csv", csv_rows(9)))
    assert code == EXIT_USAGE
    assert err.count("ModernJobsCount is for modern folders") == 1
    assert "rows 1, 2, 3 and more" in err and started(sandbox) == []


def test_dry_run_of_an_event_stream_starts_nothing(sandbox, files, capsys, monkeypatch):
    import io
    import sys

    template = files("t.toml", TRIAGE.format(extra='[bindings]\nIncidentId = "n"'))
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"n": "A"}\n{"n": "B"}\n'))
    code = main(["run", template, "--events", "-", "--dry-run", "--url",
                 sandbox.orchestrator_url])
    assert code == EXIT_OK, capsys.readouterr().err
    assert started(sandbox) == []
