"""Rows files (``tui_app.batch_rows``), the ledger (``tui_app.ledger``), ``startjob
batches`` and the progress line (issue 17)."""

from __future__ import annotations

import io
import json
import os

import pytest

from tui_app import replay
from tui_app.batch import BatchOptions, run_batch
from tui_app.batch_rows import RowsError, RowSource
from tui_app.cli import main
from tui_app.exit_codes import EXIT_OK, EXIT_USAGE
from tui_app.following import FollowPolicy
from tui_app.ledger import Ledger, batches_dir, read_records, row_states
from tui_app.replay import ReplayOptions


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return str(path)


def test_csv_rows_are_text_with_file_lines(tmp_path):
    source = RowSource(write(tmp_path, "r.csv", '\ufeffName,Note\nada,"two\nlines"\n\nbob,x\n'))
    rows = list(source.rows())
    assert [r.data for r in rows] == [{"Name": "ada", "Note": "two\nlines"},
                                      {"Name": "bob", "Note": "x"}]
    assert [r.number for r in rows] == [1, 2] and rows[1].line == 5
    assert list(source.rows()) == rows  # read twice: validation, then the start


@pytest.mark.parametrize("name, text, message", [
    ("r.csv", "", "empty"),
    ("r.csv", "Name\n", "no rows below the header"),
    ("r.csv", "Name,Name\nx,y\n", "names Name twice"),
    ("r.csv", "Name,Note\nx\n", "r.csv:2: 1 values, but the header has 2 columns"),
    ("r.jsonl", '{"a": 1}\n[1]\n', "r.jsonl:2: must be a JSON object"),
    ("r.jsonl", '{"a": 1}\n{"a": \n', "r.jsonl:2: not valid JSON"),
    ("r.jsonl", "\n\n", "empty"),
    ("r.txt", "x", "takes a .csv or .jsonl file"),
])
def test_bad_rows_files_say_where(tmp_path, name, text, message):
    with pytest.raises(RowsError) as caught:
        list(RowSource(write(tmp_path, name, text)).rows())
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_standard_input_is_read_once_and_kept_on_disk_beyond_a_megabyte():
    lines = "".join(json.dumps({"n": n, "pad": "x" * 100}) + "\n" for n in range(20000))
    source = RowSource("-", io.BytesIO(lines.encode()))
    assert sum(1 for _ in source.rows()) == 20000
    assert next(iter(source.rows())).data["n"] == 0  # again, from the start
    source.close()


def test_a_torn_last_line_is_ignored(tmp_path, monkeypatch):
    path = tmp_path / "b.jsonl"
    with Ledger(path, {"template": "T", "rows": 2}) as ledger:
        ledger.row(1, "starting", "ref-1")
        ledger.row(1, "started", "ref-1", jobs=[{"Id": 5, "Key": "k"}])
    with open(path, "ab") as stream:
        stream.write(b'{"kind":"row","row":2,"sta')  # killed mid-write
    states = row_states(path)
    assert list(states) == [1] and states[1].state == "started"
    with Ledger(path, {"template": "T"}) as ledger:  # no second header on reopening
        ledger.row(2, "starting", "ref-2")
    kinds = [r["kind"] for r in read_records(path)]
    assert kinds.count("header") == 1
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_batches_lists_and_shows_by_id_prefix(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    path = batches_dir() / ("ab" * 32 + ".jsonl")
    header = {"template": "Triage incident", "rows": 3, "rows_source": "r.csv"}
    with Ledger(path, header) as ledger:
        ledger.row(1, "started", "startjob:b1:1:x", jobs=[{"Id": 10001, "Key": "k"}])
        ledger.row(2, "refused", "startjob:b1:2:y", message="no robot")
    assert main(["batches"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "abababababab" in out and "Triage incident" in out
    assert all(len(line) <= 80 for line in out.splitlines())
    row = out.splitlines()[1]
    assert row.split()[-4:] == ["3", "1", "1", "1"]  # rows, started, refused, pending
    assert main(["batches", "show", "abab"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "10001" in out and "no robot" in out
    assert main(["batches", "show", "abab", "--output", "json"]) == EXIT_OK
    data = json.loads(capsys.readouterr().out)
    assert [r["state"] for r in data["row_outcomes"]] == ["started", "refused"]
    assert main(["batches", "show", "ffff"]) == EXIT_USAGE


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


TEMPLATE = """\
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

[signature]
IncidentId = "System.String"
"""


@pytest.mark.parametrize("terminal", [True, False])
def test_the_progress_line_is_only_on_a_terminal(sandbox, tmp_path, monkeypatch, terminal):
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")
    monkeypatch.setattr(replay, "FOLLOW", FollowPolicy(first=0.05, longest=0.2))
    template = write(tmp_path, "t.toml", TEMPLATE)
    rows = write(tmp_path, "r.csv", "IncidentId\nA\nB\nC\n")
    err = FakeTerminal() if terminal else io.StringIO()
    out = io.StringIO()
    options = BatchOptions(ReplayOptions(template=template,
                                         connection={"url": sandbox.orchestrator_url}),
                           rows=rows)
    assert run_batch(options, out=out, err=err) == EXIT_OK, err.getvalue()
    if terminal:
        assert "\rrows " in err.getvalue() and "started" in err.getvalue()
        assert err.getvalue().endswith("\r")  # cleared at the end
    else:
        assert err.getvalue() == ""
    assert "\r" not in out.getvalue()
