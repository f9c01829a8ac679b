"""Job history: append-only JSON lines, corrupt-line tolerance, concurrent appenders."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

import tui_app
from tui_app import history
from tui_app.history import (
    HistoryEntry,
    HistoryJob,
    append_entry,
    format_history,
    read_entries,
    update_final_states,
)
from tui_app.locations import history_file

REPO_ROOT = Path(tui_app.__file__).resolve().parents[1]


def make_entry(number: int = 1, **overrides) -> HistoryEntry:
    values = dict(
        source="wizard",
        process_key=f"Process{number}",
        folder="Shared/Support",
        release_key=f"release-{number}",
        strategy="Specific",
        jobs=(HistoryJob(id=1000 + number, key=f"job-{number}"),),
        template_name="Triage incident",
        template_path="/templates/triage-incident.toml",
    )
    values.update(overrides)
    return HistoryEntry(**values)


def test_append_and_read_back():
    entry = append_entry(make_entry())
    [read] = read_entries()
    assert read == entry
    assert datetime.fromisoformat(read.time).utcoffset() == timezone.utc.utcoffset(None)
    assert read.user and read.host and read.id
    assert read_entries().skipped == 0


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_history_file_is_private_and_its_folder_is_created():
    assert not history_file().parent.exists()
    append_entry(make_entry())
    assert history_file().stat().st_mode & 0o777 == 0o600


def test_each_entry_is_one_json_line():
    append_entry(make_entry(1))
    append_entry(make_entry(2, source="headless", template_name=None, template_path=None))
    lines = history_file().read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    second = json.loads(lines[1])
    assert second["source"] == "headless" and second["template_name"] is None
    assert second["jobs"] == [{"id": 1002, "key": "job-2", "state": None}]


def test_any_text_is_stored_on_one_line():
    odd = "line\nbreak \r ünï 😀 \udcff"
    append_entry(make_entry(template_name=odd, template_path=odd))
    assert len(history_file().read_bytes().splitlines()) == 1
    [read] = read_entries()
    assert read.template_name == odd and read.template_path == odd


def test_newest_first_and_limit():
    for number in range(30):
        append_entry(make_entry(number))
    assert [e.process_key for e in read_entries(limit=3)] == ["Process29", "Process28",
                                                              "Process27"]
    assert len(read_entries()) == 20
    assert len(read_entries(limit=None)) == 30


def test_missing_history_is_empty():
    entries = read_entries()
    assert entries == [] and entries.skipped == 0


def test_corrupt_lines_are_skipped_and_counted():
    append_entry(make_entry(1))
    with open(history_file(), "ab") as handle:
        handle.write(b'{"kind": "start", "id": "cut short\n')      # truncated JSON
        handle.write(b"\xff\xfe not utf-8\n")                        # bad bytes
        handle.write(b"[1, 2, 3]\n")                                 # not an object
        handle.write(b'{"kind": "mystery"}\n')                       # unknown record
        handle.write(b'{"kind": "start", "id": "x"}\n')              # fields missing
        handle.write(b'{"kind": "states", "id": ["x"], "states": {}}\n')  # odd id
        handle.write(b"\n")                                          # blank: ignored
    append_entry(make_entry(2))
    entries = read_entries()
    assert [e.process_key for e in entries] == ["Process2", "Process1"]
    assert entries.skipped == 6
    assert "(6 unreadable history line(s) skipped)" in format_history(entries)


def test_final_states_are_appended_and_merged():
    jobs = (HistoryJob(1, "k1"), HistoryJob(2, "k2"))
    entry = append_entry(make_entry(jobs=jobs))
    other = append_entry(make_entry(2))
    update_final_states(entry.id, {"k1": "Successful"})
    update_final_states(entry.id, {"k2": "Faulted"})
    update_final_states("no-such-entry", {"k1": "Stopped"})
    assert len(history_file().read_text(encoding="utf-8").splitlines()) == 5
    latest, first = read_entries()
    assert latest == other
    assert first.jobs == (HistoryJob(1, "k1", "Successful"), HistoryJob(2, "k2", "Faulted"))


def test_unknown_source_is_refused():
    with pytest.raises(ValueError, match="wizard, headless"):
        append_entry(make_entry(source="cron"))
    assert not history_file().exists()


def test_user_falls_back_when_the_os_has_no_name(monkeypatch):
    def no_user():
        raise OSError("No username set in the environment")

    monkeypatch.setattr(history.getpass, "getuser", no_user)
    assert make_entry().user == "unknown"


APPENDER = """
import sys
from tui_app.history import HistoryEntry, HistoryJob, append_entry

worker, count = sys.argv[1], int(sys.argv[2])
for number in range(count):
    append_entry(HistoryEntry(
        source="headless", process_key=f"{worker}-{number}",
        template_path=worker * 20_000,
        jobs=tuple(HistoryJob(id=n, key=f"key-{n}") for n in range(50)),
    ))
"""


def test_concurrent_appenders_never_mix_lines():
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    workers = [
        subprocess.Popen([sys.executable, "-c", APPENDER, letter, "40"], env=env)
        for letter in "ABCD"
    ]

    def thread_appender(letter: str) -> None:
        for number in range(40):
            append_entry(
                make_entry(template_path=letter * 20_000, process_key=f"{letter}-{number}")
            )

    threads = [threading.Thread(target=thread_appender, args=(letter,)) for letter in "EF"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [worker.wait(timeout=60) for worker in workers] == [0, 0, 0, 0]

    lines = history_file().read_bytes().split(b"\n")
    assert lines[-1] == b""
    records = [json.loads(line) for line in lines[:-1]]
    assert len(records) == 6 * 40
    for record in records:
        letter = record["process_key"].split("-")[0]
        assert record["template_path"] == letter * 20_000
    entries = read_entries(limit=None)
    assert len(entries) == 240 and entries.skipped == 0
    assert {e.process_key for e in entries} == {f"{w}-{n}" for w in "ABCDEF" for n in range(40)}


def test_format_history_table():
    append_entry(make_entry(1, jobs=(HistoryJob(7, "a", "Successful"),),
                            time="2024-05-01T12:30:45+00:00", user="ana", host="pc1"))
    entry = append_entry(make_entry(2, template_name=None, folder="",
                                    jobs=(HistoryJob(8, "b"), HistoryJob(9, "c")),
                                    time="2024-05-02T08:00:00+02:00", user="bo", host="pc2"))
    update_final_states(entry.id, {"b": "Faulted"})
    lines = format_history(read_entries()).splitlines()
    assert lines[0].split() == ["Time", "(UTC)", "Via", "User", "Template", "Process",
                                "Folder", "Jobs", "State"]
    assert set(lines[1]) == {"-", " "}
    assert lines[2].split() == ["2024-05-02", "06:00", "wizard", "bo@pc2", "-", "Process2",
                                "-", "8,", "9", "1", "Faulted,", "1", "unknown"]
    assert lines[3].split() == ["2024-05-01", "12:30", "wizard", "ana@pc1", "Triage",
                                "incident", "Process1", "Shared/Support", "7", "Successful"]
    assert len(lines) == 4


def test_format_history_is_terminal_safe_and_short():
    append_entry(make_entry(template_name="evil\x1b[2J\x07" + "x" * 100, jobs=()))
    table = format_history(read_entries())
    assert "\x1b" not in table and "\x07" not in table
    assert "evil␛[2J␇" in table
    assert max(len(line) for line in table.splitlines()) < 200
    assert "…" in table


def test_format_empty_history():
    assert format_history(read_entries()) == "No jobs started yet."


# -- issue 14: where and by whom, filters, @N, the fill-in of unfinished states ---------------


def test_old_lines_stay_readable():
    old = {"kind": "start", "id": "e1", "time": "2024-05-01T12:00:00+00:00", "user": "ana",
           "host": "pc", "source": "wizard", "template_name": None, "template_path": None,
           "process_key": "P", "release_key": "r", "strategy": "Specific", "folder": "F",
           "jobs": [{"id": 1, "key": "k", "state": None}]}
    history_file().parent.mkdir(parents=True, exist_ok=True)
    history_file().write_text(json.dumps(old) + "\n", encoding="utf-8")
    [entry] = read_entries()
    assert entry.orchestrator_url is None and entry.identity is None and entry.body is None
    assert not entry.is_finished


def test_record_start_keeps_where_and_who(tmp_path):
    from tui_app.history import record_start
    from tui_app.orchestrator.models import CurrentUser, Folder, Job, Release
    from tui_app.plan import StartPlan, StrategyChoice

    plan = StartPlan(release=Release(id=1, key="rk", name="R", process_key="P",
                                     process_version="1"),
                     strategy=StrategyChoice(kind="ModernJobsCount", jobs_count=1),
                     folder=Folder(id=7, key="fk", display_name="S", fully_qualified_name="S"),
                     reference="startjob:ref")
    user = CurrentUser.from_api({"UserName": "ana", "Id": 3, "EmailAddress": "a@x.test"})
    entry = record_start("headless", plan, [Job(9, "jk", "Pending")],
                         orchestrator_url="https://bob:hunter2@orch.test/org/t/orchestrator_/",
                         tenant="t", identity=user, body={"ReleaseKey": "rk"})
    [read] = read_entries()
    assert read == entry
    assert read.orchestrator_url == "https://orch.test/org/t/orchestrator_"
    assert "hunter2" not in history_file().read_text(encoding="utf-8")
    assert (read.folder_id, read.reference, read.tenant) == (7, "startjob:ref", "t")
    assert read.identity == {"user_name": "ana", "id": 3, "email": "a@x.test", "type": None}
    # the existing callers' form still works, the new fields empty
    plain = record_start("wizard", plan, [Job(10, "jk2", "Successful")])
    assert plain.orchestrator_url is None and plain.jobs[0].state == "Successful"


def test_select_entries_keeps_the_at_numbers():
    from tui_app.history import select_entries

    append_entry(make_entry(1, process_key="Alpha", template_name="Nightly"))
    append_entry(make_entry(2, process_key="Beta", time="2020-01-01T00:00:00+00:00"))
    append_entry(make_entry(3, process_key="AlphaTwo", template_name="Other"))
    entries = read_entries(None)
    chosen = select_entries(entries, process="alpha")
    assert [e.process_key for e in chosen] == ["AlphaTwo", "Alpha"]
    assert chosen.numbers == [1, 3]
    assert select_entries(entries, template="night").numbers == [3]
    old = datetime(2021, 1, 1, tzinfo=timezone.utc)
    assert [e.process_key for e in select_entries(entries, since=old)] == ["AlphaTwo", "Alpha"]
    table = format_history(chosen)
    assert table.splitlines()[2].split()[0] == "@1" and table.splitlines()[3].split()[0] == "@3"


def test_select_entries_by_orchestrator_identity():
    from tui_app.history import select_entries

    append_entry(make_entry(1, identity={"user_name": "bo", "id": 1, "email": "Bo@X.test"}))
    append_entry(make_entry(2))  # recorded without an identity: never matches --user
    append_entry(make_entry(3, identity={"user_name": "robot-app", "id": None, "email": None}))
    entries = read_entries(None)
    assert select_entries(entries, user="bo@x").numbers == [3]
    assert select_entries(entries, user="ROBOT").numbers == [1]
    assert select_entries(entries, user="wizard").numbers == []
    assert select_entries(entries, user="").numbers == [1, 2, 3]


def test_unfinished_without_connection_shows_unknown():
    append_entry(make_entry(1))
    assert format_history(read_entries()).splitlines()[2].rstrip().endswith("unknown")


async def test_refresh_states_one_request_per_folder_and_records(sandbox):
    from tui_app.history import refresh_states
    from tui_app.orchestrator import OrchestratorClient, TokenAuth
    from tui_app.sandbox import DEMO

    async with OrchestratorClient(sandbox.orchestrator_url, TokenAuth(DEMO.personal_access_token),
                                  folder=4) as client:
        sandbox.tenant.set_robot_state(103, "Available")  # else one job waits for it
        jobs = await client.start_jobs({"ReleaseKey": "99587436-4ce5-480d-988c-6d7f43787a2c",
                                        "Strategy": "JobsCount", "JobsCount": 2,
                                        "InputArguments": '{"IncidentId": "INC1"}'})
        await asyncio.sleep(0.9)
        url = sandbox.orchestrator_url
        first = append_entry(make_entry(1, folder="Default", folder_id=4, orchestrator_url=url,
                                        jobs=(HistoryJob(jobs[0].id, jobs[0].key),)))
        append_entry(make_entry(2, folder="Default", folder_id=4, orchestrator_url=url,
                                jobs=(HistoryJob(jobs[1].id, jobs[1].key),)))
        append_entry(make_entry(3, folder="Default", orchestrator_url="https://other.test",
                                jobs=(HistoryJob(jobs[1].id, jobs[1].key),)))
        append_entry(make_entry(4, folder="Default", folder_id=4, orchestrator_url=url,
                                jobs=(HistoryJob(jobs[0].id, "a-key-that-does-not-match"),)))
        before = sandbox.count("GET /odata/Jobs")
        live = await refresh_states(client, read_entries(None))
    assert sandbox.count("GET /odata/Jobs") - before == 1
    assert set(live) == {jobs[0].key, jobs[1].key}
    states = {e.process_key: [j.state for j in e.jobs] for e in read_entries(None)}
    assert states == {"Process1": ["Successful"], "Process2": ["Successful"],
                      "Process3": [None], "Process4": [None]}
    assert read_entries(None)[-1].id == first.id


def test_the_tenant_comes_from_the_sign_in_or_the_cloud_url():
    from tui_app.connection import ConnectionSettings

    onprem = ConnectionSettings(url="https://orch.corp", auth_mode="password",
                                tenancy_name=" Default ")
    assert onprem.tenant == "Default"
    cloud = ConnectionSettings(url="https://cloud.uipath.com/acme/Prod/orchestrator_/")
    assert cloud.tenant == "Prod"
    assert ConnectionSettings(url="https://orch.corp", tenancy_name="Default").tenant == ""
