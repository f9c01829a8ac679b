"""Terminal prompts of ``startjob run`` (``tui_app.prompts``): what is asked, hidden input,
parsing as ``--set`` does, retries, cancel, ``--no-input``, never without a terminal; and one
real pseudo-terminal in a subprocess."""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from queue_fakes import BASE, FakeOrchestrator, queue

from tui_app import replay
from tui_app.exit_codes import EXIT_OK, EXIT_USAGE
from tui_app.prompts import (
    TRIES,
    PromptCancelled,
    Prompter,
    PromptFailed,
    Wanted,
    ask_values,
    terminal,
    wanted_values,
)
from tui_app.replay import ASK_PLACEHOLDER, ReplayOptions

START_JOBS = "POST /odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
DEMO_ENV = {"UIPATH_CLIENT_ID": "demo-client", "UIPATH_CLIENT_SECRET": "demo-secret"}

TRIAGE = """\
version = 1
name = "Triage incident"
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
"""

INVOICE = """\
version = 1
name = "Invoice"

[connection]
folder = "Finance"

[process]
key = "InvoiceIntake"

[strategy]
kind = "ModernJobsCount"
jobs_count = 1

[arguments]
InvoiceNumber = "F-1"
"""


class FakeTerminal(io.StringIO):
    """A text stream that says it is a terminal (no echo control: it is not a real one)."""

    def isatty(self) -> bool:
        return True


class Interrupting(FakeTerminal):
    def readline(self, *args):
        raise KeyboardInterrupt


def prompter(answers: str = "") -> tuple[Prompter, FakeTerminal]:
    err = FakeTerminal()
    return Prompter(FakeTerminal(answers), err), err


def whole(text: str) -> int:
    if not text.strip().isdigit():
        raise ValueError(f"{text!r} is not a whole number")
    return int(text)


# -- what is asked and how -------------------------------------------------------------------


def test_only_ask_and_missing_required_values_without_a_source_are_wanted():
    candidates = [(name, "text", str) for name in ("Asked", "Given", "Needed", "Optional",
                                                   "ApiToken")]
    wanted = wanted_values(candidates, ask=("Asked", "Given"), sources={"Given": "--set"},
                           missing={"Needed": "Needed is required", "ApiToken": "required"})
    assert [(w.name, w.required, w.masked) for w in wanted] == [
        ("Asked", False, True), ("Needed", True, False), ("ApiToken", True, True)]


def test_values_are_parsed_and_an_optional_empty_one_is_left_out():
    ask, err = prompter("7\n\n")
    values = ask_values(ask, [Wanted("Count", "a whole number", whole, required=True),
                              Wanted("Note", "text", str)])
    assert values == {"Count": 7}
    text = err.getvalue()
    assert "2 value(s) to type (Ctrl+C cancels):" in text
    assert "Count (a whole number, required): " in text
    assert "Note (text, empty: leave it out): " in text


def test_a_wrong_value_asks_again_with_the_reason():
    ask, err = prompter("seven\n7\n")
    assert ask_values(ask, [Wanted("Count", "a whole number", whole, required=True)]) == {
        "Count": 7}
    assert "Not valid: 'seven' is not a whole number" in err.getvalue()
    assert err.getvalue().count("Count (a whole number, required): ") == 2


def test_a_required_value_left_empty_asks_again():
    ask, err = prompter("\n7\n")
    assert ask_values(ask, [Wanted("Count", "a whole number", whole, required=True)]) == {
        "Count": 7}
    assert "Count is required; type a value" in err.getvalue()


def test_three_wrong_values_stop():
    ask, _ = prompter("a\nb\nc\n7\n")
    with pytest.raises(PromptFailed, match=f"Count: no valid value after {TRIES} tries"):
        ask_values(ask, [Wanted("Count", "a whole number", whole, required=True)])


def test_a_hidden_value_is_never_quoted_back():
    ask, err = prompter("hunter2\n42\n")
    ask_values(ask, [Wanted("Pin", "a whole number", whole, required=True, masked=True)])
    text = err.getvalue()
    assert "hunter2" not in text
    assert "Not valid: expected a whole number (the value is not shown)" in text
    assert "Pin (a whole number, required, hidden): " in text


@pytest.mark.parametrize("stdin", [FakeTerminal(""), Interrupting()])
def test_end_of_input_and_ctrl_c_cancel(stdin):
    with pytest.raises(PromptCancelled):
        ask_values(Prompter(stdin, FakeTerminal()), [Wanted("X", "text", str)])


def test_terminal_needs_stdin_and_stderr_to_be_terminals():
    assert terminal(FakeTerminal(), FakeTerminal()) is not None
    assert terminal(io.StringIO(), FakeTerminal()) is None
    assert terminal(FakeTerminal(), io.StringIO()) is None


# -- startjob run against the sandbox ----------------------------------------------------------


@pytest.fixture
def run(sandbox, tmp_path):
    def run(text, answers=None, *, err_tty=True, **flags):
        path = tmp_path / "template.toml"
        path.write_text(text, encoding="utf-8")
        out = io.StringIO()
        err = FakeTerminal() if err_tty else io.StringIO()
        stdin = FakeTerminal(answers) if answers is not None else io.StringIO()
        options = ReplayOptions(template=str(path),
                                connection={"url": sandbox.orchestrator_url}, **flags)
        code = replay.run(options, environ=DEMO_ENV, stdin=stdin, out=out, err=err,
                          client_options={"token_cache": False})
        return code, out.getvalue(), err.getvalue()

    return run


def sent(sandbox) -> list:
    return [json.loads(json.loads(r.body)["startInfo"]["InputArguments"], parse_float=Decimal)
            for r in sandbox.request_log if r.route == START_JOBS]


def test_an_ask_argument_is_asked_hidden_and_never_printed(sandbox, run):
    code, out, err = run(TRIAGE.format(top='ask = ["IncidentId"]'), "INC-TYPED\n")
    assert code == EXIT_OK, err
    assert sent(sandbox) == [{"IncidentId": "INC-TYPED"}]
    assert "IncidentId (text, required, hidden): " in err
    assert "INC-TYPED" not in out + err and ASK_PLACEHOLDER in out


def test_a_missing_required_argument_is_asked_shown_and_parsed_as_set_parses_it(sandbox, run):
    code, out, err = run(INVOICE, "twelve\n12.50\n")
    assert code == EXIT_OK, err
    assert "1 argument(s) to type" in err and "Amount (a number with a dot" in err
    assert "Not valid:" in err and "twelve" in err  # not hidden: quoted back
    assert sent(sandbox) == [{"InvoiceNumber": "F-1", "Amount": Decimal("12.50")}]
    assert "Amount = 12.50  [typed in]" in out


def test_no_input_keeps_exit_2(sandbox, run):
    code, _, err = run(TRIAGE.format(top='ask = ["IncidentId"]'), "INC-1\n", no_input=True)
    assert code == EXIT_USAGE
    assert "IncidentId is required" in err and sandbox.count(START_JOBS) == 0


@pytest.mark.parametrize("answers, err_tty", [(None, True), ("INC-1\n", False)])
def test_never_asked_without_a_terminal(sandbox, run, answers, err_tty):
    code, _, err = run(TRIAGE.format(top='ask = ["IncidentId"]'), answers, err_tty=err_tty)
    assert code == EXIT_USAGE and "IncidentId is required" in err
    assert "to type" not in err


def test_end_of_input_cancels_with_exit_2(sandbox, run):
    code, _, err = run(TRIAGE.format(top='ask = ["IncidentId"]'), "")
    assert code == EXIT_USAGE
    assert "Cancelled: nothing was started." in err and sandbox.count(START_JOBS) == 0


# -- queue templates ------------------------------------------------------------------------


CREDS = """version = 1
name = "Creds"
action = "add_queue_item"
{top}
[connection]
folder = "Shared"

[queue]
name = "Creds"

[item]
"""


def test_queue_content_fields_are_asked_and_a_secret_looking_one_hidden(tmp_path):
    schema = json.dumps({"type": "object", "required": ["ApiToken", "Count"],
                         "properties": {"ApiToken": {"type": "string"},
                                        "Count": {"type": "integer"},
                                        "Note": {"type": "string"}}})
    fake = FakeOrchestrator([queue(1, "Creds", schema=schema)])
    path = tmp_path / "creds.toml"
    path.write_text(CREDS.format(top='ask = ["Note"]'), encoding="utf-8")
    out, err = io.StringIO(), FakeTerminal()
    code = replay.run(ReplayOptions(template=str(path)),
                      environ={"UIPATH_URL": BASE, "UIPATH_ACCESS_TOKEN": "token-abc"},
                      stdin=FakeTerminal("tok-SECRET\nthree\n3\nnote-SECRET\n"), out=out,
                      err=err, client_options={"transport": fake.transport(),
                                               "token_cache": False})
    assert code == EXIT_OK, err.getvalue()
    (data,) = [json.loads(r.content)["itemData"] for r in fake.requests
               if r.url.path.endswith("AddQueueItem")]
    assert data["SpecificContent"] == {"ApiToken": "tok-SECRET", "Count": 3,
                                       "Note": "note-SECRET"}
    shown = out.getvalue() + err.getvalue()
    assert "SECRET" not in shown and ASK_PLACEHOLDER in out.getvalue()
    assert "ApiToken (text, required, hidden): " in err.getvalue()
    assert "3 content field(s) to type" in err.getvalue()


# -- a real terminal ---------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_a_real_terminal_reads_the_ask_value_without_echo(sandbox, tmp_path):
    import pty

    path = tmp_path / "template.toml"
    path.write_text(TRIAGE.format(top='ask = ["IncidentId"]'), encoding="utf-8")
    master, slave = pty.openpty()
    env = {**os.environ, **DEMO_ENV, "STARTJOB_HOME": str(tmp_path / "home"),
           "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tui_app", "run", str(path), "--url", sandbox.orchestrator_url,
         "--no-token-cache"],
        stdin=slave, stderr=slave, stdout=subprocess.PIPE, env=env, close_fds=True)
    os.close(slave)
    seen = b""
    try:
        seen = _read_until(master, b"hidden): ", seen)
        os.write(master, b"INC-PTY-VALUE\n")
        stdout, _ = process.communicate(timeout=60)
        seen = _drain(master, seen)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    assert process.returncode == EXIT_OK, seen.decode(errors="replace")
    assert sent(sandbox) == [{"IncidentId": "INC-PTY-VALUE"}]
    assert b"INC-PTY-VALUE" not in seen  # not echoed on the terminal
    assert b"INC-PTY-VALUE" not in stdout and ASK_PLACEHOLDER.encode() in stdout


def _read_until(fd: int, wanted: bytes, seen: bytes) -> bytes:
    deadline = time.monotonic() + 60
    while wanted not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError(f"no prompt on the terminal: {seen!r}")
        seen += os.read(fd, 4096)
    return seen


def _drain(fd: int, seen: bytes) -> bytes:
    while True:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            return seen
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the other side is closed
            return seen
        if not chunk:
            return seen
        seen += chunk


def test_run_help_explains_prompts_and_no_input(capsys):
    from tui_app.cli import main

    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--no-input" in text and "never ask on the terminal" in text
    assert "On a terminal (standard input and standard error)" in text
    assert "does not match the template's filter" in text
