"""Queue batches: rows become queue items through BulkAddQueueItems, in chunks, with the
chosen commit type; a failed item names its row (issue 17)."""

from __future__ import annotations

import json

import httpx
import pytest

from tui_app import batch
from tui_app.cli import main
from tui_app.exit_codes import EXIT_OK, EXIT_REFUSED, EXIT_SOME_REFUSED
from tui_app.sandbox import DEMO

BULK = "POST /odata/Queues/UiPathODataSvc.BulkAddQueueItems"
RESETS = """\
version = 1
name = "Resets"
action = "add_queue_item"

[connection]
folder = "Shared/Support"

[queue]
name = "AccountResets"

[item]
priority = "Normal"

[content]
User = "nobody@example.com"
"""


@pytest.fixture(autouse=True)
def demo_credentials(monkeypatch):
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")


@pytest.fixture
def run(sandbox, capsys, tmp_path):
    template = tmp_path / "resets.toml"
    template.write_text(RESETS, encoding="utf-8")
    rows = tmp_path / "rows.csv"
    rows.write_text("User\n" + "".join(f"user{n}@example.com\n" for n in range(1, 6)),
                    encoding="utf-8")

    def run(*args: str):
        code = main(["run", str(template), "--rows", str(rows), "--url",
                     sandbox.orchestrator_url, *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def bulk_requests(sandbox) -> list:
    return [json.loads(r.body) for r in sandbox.request_log if r.route == BULK]


def take_reference_of_row(sandbox, run, number: int) -> None:
    """Add an item with the Reference row ``number`` will get, so its bulk item fails."""
    code, out, _ = run("--dry-run", "--output", "json")
    assert code == EXIT_OK
    reference = [json.loads(line) for line in out.splitlines()][number - 1]["reference"]
    with httpx.Client(base_url=sandbox.orchestrator_url, headers={
            "Authorization": f"Bearer {DEMO.personal_access_token}",
            "X-UIPATH-FolderPath": "Shared/Support"}) as http:
        answer = http.post("/odata/Queues/UiPathODataSvc.AddQueueItem", json={"itemData": {
            "Name": "AccountResets", "Reference": reference,
            "SpecificContent": {"User": "x@example.com"}}})
        assert answer.status_code == 201, answer.text


def test_rows_are_added_in_chunks_with_the_default_commit_type(sandbox, run, monkeypatch):
    monkeypatch.setattr(batch, "BULK_CHUNK", 2)
    code, out, err = run()
    assert code == EXIT_OK, err
    requests = bulk_requests(sandbox)
    assert sorted(len(r["queueItems"]) for r in requests) == [1, 2, 2]
    assert {r["commitType"] for r in requests} == {"ProcessAllIndependently"}
    users = [item["SpecificContent"]["User"] for r in requests for item in r["queueItems"]]
    assert sorted(users) == [f"user{n}@example.com" for n in range(1, 6)]
    assert all(item["Reference"].startswith("startjob:b")
               for r in requests for item in r["queueItems"])


def test_a_failed_item_names_its_row_and_the_others_are_added(sandbox, run):
    take_reference_of_row(sandbox, run, 3)
    code, out, err = run()
    assert code == EXIT_SOME_REFUSED, err
    assert "row 3: refused" in out
    code, out, err = run("--output", "json")  # resume: only row 3 is tried again
    assert code == EXIT_SOME_REFUSED
    assert [len(r["queueItems"]) for r in bulk_requests(sandbox)] == [5, 1]


def test_all_or_nothing_adds_nothing_when_one_item_fails(sandbox, run):
    take_reference_of_row(sandbox, run, 2)
    code, out, err = run("--commit-type", "AllOrNothing", "--output", "json")
    assert code == EXIT_REFUSED, err
    states = {line["row"]: line["state"] for line in map(json.loads, out.splitlines())
              if "row" in line}
    assert set(states.values()) == {"refused"} and len(states) == 5
