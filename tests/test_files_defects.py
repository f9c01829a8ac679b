"""File defects: special and huge files named as templates or events, bad template URLs, and a
history line that a full disk cuts short."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui_app.cli import main
from tui_app.history import HistoryEntry, append_entry, read_entries
from tui_app.locations import history_file, templates_dir
from tui_app.templates import TemplateError, load_template, parse_template
from tui_app.userfiles import MAX_EVENT_BYTES, MAX_TEMPLATE_BYTES

ROOT = Path(__file__).resolve().parent.parent

TEMPLATE = """\
version = 1
name = "Hello"

[connection]
url = "{url}"

[process]
key = "HelloWorld"

[strategy]
kind = "ModernJobsCount"
"""

fifo_only = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")


def _startjob(*args, timeout=60):
    """Run startjob in a fresh interpreter (a hang fails the test instead of the suite)."""
    return subprocess.run([sys.executable, "-m", "tui_app", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=timeout, stdin=subprocess.DEVNULL)


# -- 11.7: a port above 65535 --------------------------------------------------------------


def test_a_template_url_with_a_bad_port_names_the_file_and_key(tmp_path, capsys):
    path = tmp_path / "bad-port.toml"
    path.write_text(TEMPLATE.format(url="https://me:hunter2@x.example:99999/o"), encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_template(path)
    assert caught.value.key == "connection.url"
    assert str(caught.value).startswith(f"{path}: connection.url must be an http(s) URL")
    assert "1 to 65535" in str(caught.value) and "hunter2" not in str(caught.value)
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert "connection.url" in err and "65535" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("url", ["https://x.example:0/o", "https://x.example:http/o"])
def test_other_bad_ports_are_template_errors(url):
    with pytest.raises(TemplateError, match="connection.url"):
        parse_template(TEMPLATE.format(url=url), "t.toml")


# -- 11.12: special and huge files ---------------------------------------------------------


@fifo_only
def test_templates_lists_a_fifo_without_blocking():
    folder = templates_dir()  # the subprocess gets the same STARTJOB_HOME
    folder.mkdir(parents=True)
    (folder / "good.toml").write_text(TEMPLATE.format(url="https://x.example/o"),
                                      encoding="utf-8")
    os.mkfifo(folder / "pipe.toml")
    done = _startjob("templates")
    assert done.returncode == 0
    assert "Hello" in done.stdout  # the readable template is listed (its file: --output json)
    assert "pipe.toml: cannot be used as a template: it is not a regular file (it is a named " \
           "pipe)" in done.stdout


@fifo_only
def test_a_fifo_template_or_event_is_refused_at_once(tmp_path):
    pipe = tmp_path / "pipe.toml"
    os.mkfifo(pipe)
    done = _startjob("run", str(pipe))
    assert done.returncode == 2
    assert done.stderr.strip() == (f"startjob run: {pipe}: cannot be used as a template: it is "
                                   "not a regular file (it is a named pipe)")
    done = _startjob("open", str(pipe))
    assert done.returncode == 2 and "not a regular file" in done.stderr

    template = tmp_path / "t.toml"
    template.write_text(TEMPLATE.format(url="https://x.example/o"), encoding="utf-8")
    event = tmp_path / "event.json"
    os.mkfifo(event)
    done = _startjob("run", str(template), "--event", str(event))
    assert done.returncode == 2
    assert done.stderr.strip() == (f"startjob run: Cannot use the event file {event}: it is not "
                                   "a regular file (it is a named pipe).")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_is_refused_without_reading_it(tmp_path, capsys):
    template = tmp_path / "t.toml"
    template.write_text(TEMPLATE.format(url="https://x.example/o"), encoding="utf-8")
    assert main(["run", str(template), "--event", "/dev/zero"]) == 2
    assert "it is not a regular file (it is a character device)" in capsys.readouterr().err
    assert main(["run", "/dev/zero"]) == 2
    assert "/dev/zero: cannot be used as a template" in capsys.readouterr().err


def test_a_huge_template_or_event_is_refused(tmp_path, capsys, monkeypatch):
    big = tmp_path / "big.toml"
    text = TEMPLATE.format(url="https://x.example/o")
    big.write_text(text + "#" * (MAX_TEMPLATE_BYTES - len(text)) + "\n", encoding="utf-8")
    assert main(["run", str(big)]) == 2
    assert "cannot be used as a template: it is larger than 1 MB" in capsys.readouterr().err

    template = tmp_path / "t.toml"
    template.write_text(text, encoding="utf-8")
    event = tmp_path / "event.json"
    with open(event, "wb") as handle:
        handle.truncate(MAX_EVENT_BYTES + 1)  # sparse: no real disk space
    assert main(["run", str(template), "--event", str(event)]) == 2
    assert "it is larger than 10 MB" in capsys.readouterr().err

    import io

    class Stdin:
        buffer = io.BytesIO(b" " * (MAX_EVENT_BYTES + 1))

    monkeypatch.setattr("sys.stdin", Stdin())
    assert main(["run", str(template), "--event", "-"]) == 2
    assert "the event on standard input: it is larger than 10 MB" in capsys.readouterr().err


def test_a_folder_named_like_a_template_is_listed_with_the_reason(capsys):
    (templates_dir() / "odd.toml").mkdir(parents=True)
    assert main(["templates", "--output", "json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)["templates"]
    assert entry["error"].endswith("it is not a regular file (it is a folder)")


# -- 11.13: a full disk never leaves half a line ------------------------------------------


def _entry(number: int) -> HistoryEntry:
    return HistoryEntry(source="headless", process_key=f"Process{number}")


def _short_writes(patch, fail: bool):
    """``os.write`` for history lines writes half the line, then (``fail``) hits ENOSPC."""
    real_write = os.write
    calls = []
    history_fds = set()

    def write(fd, data):
        if b'"kind":' in bytes(data):
            history_fds.add(fd)
        if fd not in history_fds:
            return real_write(fd, data)
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(fd, bytes(data)[: len(data) // 2])
        if fail:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    patch.setattr(os, "write", write)
    return calls


def test_a_short_write_leaves_no_partial_line_and_raises():
    first = append_entry(_entry(1))
    before = history_file().read_bytes()
    with pytest.MonkeyPatch.context() as patch, pytest.raises(OSError) as caught:
        calls = _short_writes(patch, fail=True)
        append_entry(_entry(2))
    assert caught.value.errno == errno.ENOSPC and len(calls) == 2
    assert history_file().read_bytes() == before  # the half line was cut back off
    third = append_entry(_entry(3))
    entries = read_entries(None)
    assert [e.id for e in entries] == [third.id, first.id] and entries.skipped == 0


def test_a_short_write_that_can_finish_completes_the_line():
    with pytest.MonkeyPatch.context() as patch:
        calls = _short_writes(patch, fail=False)
        entry = append_entry(_entry(1))
    assert len(calls) == 2
    assert [e.id for e in read_entries(None)] == [entry.id]


def test_a_line_cut_short_earlier_does_not_swallow_the_next():
    first = append_entry(_entry(1))
    with open(history_file(), "ab") as handle:
        handle.write(b'{"kind":"start","id":"cut-by-a-cra')  # a crash in the middle of a line
    second = append_entry(_entry(2))
    entries = read_entries(None)
    assert [e.id for e in entries] == [second.id, first.id]
    assert entries.skipped == 1


def test_a_full_disk_during_a_run_is_a_warning(sandbox, tmp_path, capsys, monkeypatch):
    template = tmp_path / "t.toml"
    template.write_text(TEMPLATE.format(url=sandbox.orchestrator_url).replace(
        "HelloWorld", "PasswordReset") + '[arguments]\nUserEmail = "a@example.com"\n',
        encoding="utf-8")
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")
    _short_writes(monkeypatch, fail=True)
    assert main(["run", str(template), "--folder", "Shared/Support"]) == 0
    err = capsys.readouterr().err
    assert "warning: The start was not written to the history: [Errno 28]" in err
    assert history_file().read_bytes() == b""
