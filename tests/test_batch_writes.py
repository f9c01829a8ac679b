"""What a batch writes, and how often: the ledger's ``starting`` records go ahead in groups
with one sync each, a stop leaves them ``unsent`` (never a look-up on resume), and the
history gets every started row in a few appends, also when the batch is interrupted."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections import Counter

import pytest

from tui_app import batch, history, replay
from tui_app.cli import EXIT_INTERRUPTED, main
from tui_app.exit_codes import EXIT_OK, EXIT_SOME_REFUSED
from tui_app.following import FollowPolicy
from tui_app.history import read_entries
from tui_app.ledger import Ledger, batches_dir, read_records, row_states

START_JOBS = "POST /odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
TEMPLATE = """\
version = 1
name = "Triage incident"

[connection]
folder = "Default"

[process]
key = "SupportTriage"
environment = "QuickstartDemo"

[strategy]
{strategy}

[signature]
IncidentId = "System.String"
"""
JOBS_COUNT = 'kind = "JobsCount"\njobs_count = 1'
BUSY_ROBOT = 'kind = "Specific"\nrobots = ["SUPPORT-BOT-02"]'  # its first job waits Pending


@pytest.fixture(autouse=True)
def demo_credentials(monkeypatch):
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")
    monkeypatch.setattr(replay, "FOLLOW", FollowPolicy(first=0.05, longest=0.2))


@pytest.fixture
def batch_files(tmp_path):
    def write(rows: int, strategy: str = JOBS_COUNT) -> tuple:
        template = tmp_path / "t.toml"
        template.write_text(TEMPLATE.format(strategy=strategy), encoding="utf-8")
        path = tmp_path / "rows.csv"
        path.write_text("IncidentId\n" + "".join(f"INC{n:04}\n" for n in range(rows)),
                        encoding="utf-8")
        return str(template), str(path)

    return write


def run(sandbox, capsys, template: str, rows: str, *extra: str) -> tuple:
    code = main(["run", template, "--rows", rows, "--url", sandbox.orchestrator_url, *extra])
    return code, capsys.readouterr().err


def sent(sandbox, status=None) -> Counter:
    return Counter(json.loads(r.body)["startInfo"]["Reference"] for r in sandbox.request_log
                   if r.route == START_JOBS and (status is None or r.status == status))


def ledger_rows() -> list:
    (path,) = batches_dir().glob("*.jsonl")
    return [r for r in read_records(path) if r.get("kind") == "row"]


def test_rows_are_synced_as_starting_before_their_start_in_a_few_syncs(
        sandbox, capsys, batch_files, monkeypatch):
    on_disk: set = set()
    syncs = []
    real_sync = Ledger.sync

    def sync(self):
        real_sync(self)
        syncs.append(1)
        on_disk.update(r["reference"] for r in read_records(self.path)
                       if r.get("state") == "starting")

    real_start = batch.start_once

    async def start_once(client, start_info):
        assert start_info["Reference"] in on_disk  # synced before it is sent
        return await real_start(client, start_info)

    monkeypatch.setattr(Ledger, "sync", sync)
    monkeypatch.setattr(batch, "start_once", start_once)
    code, err = run(sandbox, capsys, *batch_files(40), "--parallel", "4")
    assert code == EXIT_OK, err
    assert len(sent(sandbox, 201)) == 40
    # 8 rows (2 x --parallel) share a sync, plus the header's and the close's.
    assert len(syncs) <= 40 // 8 + 3


def test_a_stop_leaves_rows_written_ahead_unsent_and_a_resume_sends_them_unlooked(
        sandbox, capsys, batch_files):
    template, rows = batch_files(8, BUSY_ROBOT)
    code, err = run(sandbox, capsys, template, rows, "--parallel", "1", "--stop-on-refusal")
    assert code == EXIT_SOME_REFUSED, err
    (path,) = batches_dir().glob("*.jsonl")
    states = {number: state.state for number, state in row_states(path).items()}
    assert states[1] == "started" and states[2] == "refused"
    assert "unsent" in states.values() and "starting" not in states.values()
    # The same batch (same template file and name) with a strategy that is not refused:
    with open(template, "w", encoding="utf-8") as handle:
        handle.write(TEMPLATE.format(strategy=JOBS_COUNT))
    sandbox.clear_log()
    code, err = run(sandbox, capsys, template, rows)
    assert code == EXIT_OK, err
    look_ups = [r for r in sandbox.request_log if r.route == "GET /odata/Jobs"
                and "Reference" in str(r.query)]
    assert look_ups == []  # nothing was left "starting": no row needed asking about
    assert sorted(sent(sandbox, 201)) == sorted(  # rows 2 to 8, once each
        r["reference"] for r in ledger_rows() if r["state"] == "started" and r["row"] > 1)
    assert len(sent(sandbox, 201)) == 7


def test_the_history_gets_every_row_in_a_few_appends(sandbox, capsys, batch_files,
                                                       monkeypatch):
    appends = []
    real_append = history.append_entries

    def append_entries(entries):
        appends.append(len(entries))
        real_append(entries)

    monkeypatch.setattr(history, "append_entries", append_entries)
    code, err = run(sandbox, capsys, *batch_files(30))
    assert code == EXIT_OK, err
    assert sum(appends) == 30 and len(appends) <= 3
    entries = read_entries(None)
    assert len(entries) == 30
    assert {e.reference for e in entries} == set(sent(sandbox, 201))


def test_an_interrupted_batch_still_writes_the_history_of_its_started_rows(
        sandbox, capsys, batch_files, monkeypatch):
    real_start = batch.start_once
    calls = []

    async def start_once(client, start_info):
        calls.append(1)
        if len(calls) == 6:  # Ctrl+C while the sixth row is on its way
            asyncio.get_running_loop().call_soon(os.kill, os.getpid(), signal.SIGINT)
            await asyncio.sleep(5)
        return await real_start(client, start_info)

    monkeypatch.setattr(batch, "start_once", start_once)
    code, _ = run(sandbox, capsys, *batch_files(20), "--parallel", "1")
    assert code == EXIT_INTERRUPTED
    started = {r["reference"] for r in ledger_rows() if r["state"] == "started"}
    assert len(started) == 5  # the sixth never went out
    assert {e.reference for e in read_entries(None)} == started


def test_a_resume_does_not_plan_the_rows_it_skips_again(sandbox, capsys, batch_files,
                                                         monkeypatch):
    template, rows = batch_files(10)
    code, err = run(sandbox, capsys, template, rows)
    assert code == EXIT_OK, err
    plans = []
    real_plan = batch.job_plan

    def job_plan(*args, **kwargs):
        plans.append(1)
        return real_plan(*args, **kwargs)

    monkeypatch.setattr(batch, "job_plan", job_plan)
    code, err = run(sandbox, capsys, template, rows)
    assert code == EXIT_OK, err
    assert len(sent(sandbox)) == 10  # nothing sent again ...
    assert plans == []  # ... and none planned again, not even to validate it
