"""Command line: ``startjob`` opens the wizard; subcommands do the rest.

Imports are lazy on purpose: the headless paths never import Textual, and the wizard only
imports the sandbox with ``--demo``. The wizard, ``open`` and ``run`` share one launch routine
(``_launch``): the same ``--demo`` sandbox, connection settings, ``--debug`` log and client
options for all three.

Exit codes: 0 done; 1 failed (``locate``, ``logout``, ``profiles``, ``settings``; ``history``
cannot read its file; ``sandbox`` cannot listen); 2 usage error (bad flag or value, unusable
template, event or settings); ``run`` also uses 1-8 (``tui_app.exit_codes``), ``route`` 4
(some events not started, ``tui_app.route_cli``), the jobs
commands (``jobs``, ``watch``, ``logs``, ``stop``, ``kill``, ``restart``, ``resume``) 0-6 and 8
(``tui_app.jobs_cli``), ``templates --check`` 0 and 2-4 (``tui_app.template_check``); 130
interrupted (Ctrl+C); 141 standard output was closed early (``| head``), nothing more is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from shlex import quote
from typing import TYPE_CHECKING, Any, Optional, cast

from tui_app import __version__
from tui_app.connection import SettingsError
from tui_app.connection_cli import (
    add_connection_arguments,
    add_logout_arguments,
    cmd_locate,
    cmd_logout,
    cmd_profiles,
    cmd_settings,
    connection_overrides,
)
from tui_app.locations import LocationError

if TYPE_CHECKING:
    from tui_app.connection import ConnectionSettings
    from tui_app.precedence import ResolvedSettings
    from tui_app.sandbox import Sandbox
    from tui_app.templates import Template, TemplateEntry

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
#: 128 + SIGPIPE, as a shell reports a command whose output pipe was closed.
EXIT_BROKEN_PIPE = 141
#: ``startjob sandbox --scale`` above this would take minutes and gigabytes to build.
MAX_SCALE = 100_000
#: Connection flags that choose a tenant or credentials: ``--demo`` uses its own instead.
_DEMO_IGNORES = (("url", "--url"), ("profile", "--profile"), ("auth_mode", "--auth"),
                 ("client_id", "--client-id"), ("identity_url", "--identity-url"),
                 ("scope", "--scope"), ("tenancy_name", "--tenant"), ("username", "--username"),
                 ("ca_bundle", "--ca-bundle"), ("insecure", "--insecure"))


class _OnlyCommand(argparse._SubParsersAction):
    """Subcommands of which only ``command`` (all when None, none when "") gets its
    arguments: the others
    are registered by name and help alone, so ``--help`` lists them and a wrong name is
    refused as before, without building some twenty parsers that one run never uses."""

    command: Optional[str] = None

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        if self.command is None or name == self.command:
            return super().add_parser(name, **kwargs)
        # What argparse's own add_parser records of a name, without building its parser
        # (each costs gettext look-ups on disk): a line of --help, and a valid choice.
        if "help" in kwargs:
            self._choices_actions.append(self._ChoicesPseudoAction(name, (), kwargs["help"]))
        self._name_parser_map[name] = None
        return _Unused()


class _Unused:
    """Stands in for a subcommand's parser that this run does not build: every call on it
    (``add_argument``, a group, ``set_defaults``) does nothing and returns it."""

    def __getattr__(self, name: str) -> Callable[..., _Unused]:
        return lambda *args, **kwargs: self


def _command_in(parser: argparse.ArgumentParser, argv: Sequence[str]) -> Optional[str]:
    """The first word of ``argv`` that is not an option of ``parser`` or an option's value:
    the subcommand named, if any (a word that is no subcommand is returned too; then every
    subcommand is built and argparse says what is wrong)."""
    takes_value = {option for action in parser._actions if action.nargs != 0
                   for option in action.option_strings}
    words = iter(argv)
    for word in words:
        if word == "--":
            return next(words, None)
        if word.startswith("-") and word != "-":
            if word in takes_value:
                next(words, None)
            continue
        return word
    return None


def build_parser(argv: Optional[Sequence[str]] = None) -> argparse.ArgumentParser:
    """The command line; given ``argv``, only the subcommand it names is built in full."""
    import textwrap

    parser = argparse.ArgumentParser(
        prog="startjob",
        description="Start UiPath Orchestrator jobs from a terminal wizard.",
        epilog="Run 'startjob --demo' to try it against the built-in sandbox Orchestrator.",
    )
    parser.add_argument("--version", action="version", version=f"startjob {__version__}")
    parser.add_argument(
        "--demo", action="store_true", help="start the built-in sandbox and open the wizard on it"
    )
    parser.add_argument("--no-mouse", action="store_true", help="do not capture the mouse")
    add_connection_arguments(parser)
    sub = cast(_OnlyCommand, parser.add_subparsers(
        dest="command", metavar="COMMAND", title="commands", action=_OnlyCommand))
    if argv is not None:
        command = _command_in(parser, argv)
        if command is None:
            sub.command = ""  # the wizard: no subcommand is built
        elif command in COMMANDS:
            sub.command = command

    sandbox = sub.add_parser(
        "sandbox",
        help="run the sandbox Orchestrator (a local stand-in for a real tenant)",
        description="Run the sandbox Orchestrator in the foreground until Ctrl+C. It prints "
        "its URLs and the demo credentials.",
    )
    sandbox.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    sandbox.add_argument(
        "--port", type=_port, default=8765, help="port 0-65535 (default 8765, 0 = any free port)"
    )
    sandbox.add_argument(
        "--scale",
        type=_scale,
        default=0,
        metavar="N",
        help=f"add a large classic folder with N processes and N/2 robots (N <= {MAX_SCALE:,})",
    )
    sandbox.add_argument(
        "--faults",
        metavar="SPEC",
        help="inject faults, e.g. '429=0.1,503=0.05,drop=0.01,delay=0.2:1.5'",
    )
    sandbox.add_argument(
        "--seed", type=int, default=0, help="random seed for --faults (default 0)"
    )
    sandbox.add_argument(
        "--token-lifetime",
        type=_seconds,
        default=3600.0,
        metavar="SECONDS",
        help="how long an access token stays valid (default 3600)",
    )

    sub.add_parser("locate", help="print where startjob keeps its files")
    add_logout_arguments(sub.add_parser("logout", help="forget cached access tokens"))
    sub.add_parser("profiles", help="list the saved connection profiles")
    add_connection_arguments(
        sub.add_parser("settings", help="show the connection settings in effect and their source")
    )
    opener = sub.add_parser(
        "open",
        help="open the wizard filled in from a saved template",
        description="Open the wizard filled in from a template: sign in, then it resolves the "
        "folder, release, robots and values, checks what changed since the template was saved "
        "and lands on Review, or on the first step that needs attention.",
    )
    opener.add_argument("template", metavar="TEMPLATE", help="a template name or a .toml file path")
    _add_demo_argument(opener)
    add_connection_arguments(opener)
    _add_run_parser(sub)
    _add_route_parser(sub)
    templates = sub.add_parser(
        "templates",
        help="list the saved templates (personal and shared folders)",
        description=textwrap.fill(
            "List the templates of every template folder, personal first, then the "
            "shared ones (STARTJOB_TEMPLATE_PATH, then template_path in settings.toml): name, "
            "process, strategy, folder, owner, description. Files that cannot be read are "
            "listed with the reason; templates sharing a name are warned about. --check "
            "checks them against Orchestrator instead (what changed since each was saved): "
            "one sign-in per connection, one request per folder where possible.", 78),
        epilog=_CHECK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    templates.add_argument("names", nargs="*", metavar="NAME",
                           help="with --check: only these templates (a name or a .toml path, "
                                "as for 'startjob run')")
    templates.add_argument("--check", action="store_true",
                           help="check every template (or the NAMEs) against Orchestrator: "
                                "ok, warnings or blocked, with the reasons")
    _add_output_argument(templates)
    _add_demo_argument(templates)
    add_connection_arguments(templates)
    _add_history_parser(sub)
    _add_batches_parser(sub)
    _add_jobs_parsers(sub)
    return parser


_CHECK_EPILOG = """\
exit codes of --check:
  0  every template is ok or has warnings only
  2  a template is blocked ('startjob run' would refuse it), or cannot be read or
     connected with (bad connection settings)
  3  nothing blocked, but a connection could not sign in or reach Orchestrator
  4  nothing blocked or unreachable, but Orchestrator refused a read (e.g. 403)"""


def _add_history_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    history = sub.add_parser(
        "history",
        help="show the latest job starts, and how they ended",
        description="Show the latest job starts (wizard and headless), newest first: @1 is "
        "the latest. The states of starts that had not ended when they were recorded are "
        "asked of Orchestrator (one request per folder, with the connection settings in "
        "effect) and recorded; without a connection they show as unknown. 'startjob history "
        "@N' shows one start in full.",
    )
    history.add_argument("entry", nargs="?", metavar="@N",
                         help="show this start in full (@1 = the latest)")
    history.add_argument(
        "--limit",
        type=_count,
        default=20,
        metavar="N",
        help="show the latest N starts (default 20, 0 = all)",
    )
    history.add_argument("--template", metavar="TEXT", help="starts of templates named so")
    history.add_argument("--process", metavar="TEXT", help="starts of processes named so")
    history.add_argument("--user", metavar="TEXT",
                         help="starts by the Orchestrator identity (user name or e-mail) "
                         "named so, whatever the OS account")
    history.add_argument("--state", type=_job_state, metavar="STATE",
                         help="starts with a job in this state (e.g. Faulted)")
    history.add_argument("--since", type=_duration, metavar="DURATION",
                         help="starts of the last DURATION (e.g. 90m, 12h, 7d)")
    history.add_argument("--offline", action="store_true",
                         help="do not ask Orchestrator for the states not recorded yet")
    _add_output_argument(history)
    add_connection_arguments(history)


#: ``startjob COMMAND REF...`` commands: (name, help, REF count "+" or 1, description).
_JOB_COMMANDS = (
    ("watch", "follow jobs until they end, then show their final states and outputs", "+",
     "Follow the jobs until they end (one request per poll for all of them, waits growing "
     "from 1 to 15 seconds), then print their final states and output arguments. Exit "
     "codes as 'startjob run --wait'."),
    ("logs", "show a job's robot log lines", 1,
     "Show the robot log lines of one job, oldest first (Error and Fatal lines say so in "
     "words); --follow tails a running job until it ends."),
    ("stop", "ask jobs to stop (SoftStop)", "+",
     "Ask the jobs that have not ended to stop (SoftStop: the workflow stops where it "
     "checks for it). Asks first on a terminal; --yes otherwise."),
    ("kill", "kill jobs (Kill)", "+",
     "Kill the jobs that have not ended (Kill: the robot ends the process). Asks first on a "
     "terminal; --yes otherwise."),
    ("restart", "start a job that ended again (RestartJob)", 1,
     "Start a job that ended (Successful, Faulted or Stopped) again, with the same "
     "arguments; the new job is recorded in the history as @1."),
    ("resume", "resume a Suspended job (ResumeJob)", 1,
     "Resume a job that is Suspended (waiting at a persistence point)."),
)
_REF_HELP = ("a job id, a job key, the reference startjob sent, or @N from 'startjob "
             "history' (@1 = the latest start)")


#: ``JobDto.State`` values (``--state``).
JOB_STATES = ("Pending", "Running", "Stopping", "Terminating", "Faulted", "Successful",
              "Stopped", "Suspended", "Resumed")
#: ``logs --level``: that level and the more severe ones.
LOG_LEVELS = ("Trace", "Info", "Warn", "Error")
#: Exit codes of ``jobs``, ``watch``, ``logs``, ``stop``, ``kill``, ``restart``, ``resume``.
JOBS_EXIT_CODES = (
    (0, "done (watch: every job ended Successful; stop/kill: nothing left to stop)"),
    (1, "watch: a job ended Faulted or Stopped; stop/kill: not confirmed"),
    (2, "usage: a malformed REF, @N beyond the history or started on another "
        "Orchestrator, jobs in several folders, no --folder for 'jobs', an unknown "
        "folder, several jobs for logs/restart/resume, stop/kill without --yes and no "
        "terminal to ask on"),
    (3, "sign-in failed, or Orchestrator cannot be reached or failed"),
    (4, "refused: an unknown job, a job in another folder, a job that cannot be "
        "restarted/resumed in its state, or Orchestrator refused the request"),
    (5, "watch --timeout: not every job ended in time (they keep running)"),
    (6, "watch: following the jobs failed (they keep running)"),
    (8, "watch: a job is Suspended (as 'run --wait')"),
)


def _add_jobs_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    import textwrap

    epilog = "exit codes:\n" + "\n".join(
        textwrap.fill(text, 78, initial_indent=f"  {code}  ", subsequent_indent=" " * 5)
        for code, text in JOBS_EXIT_CODES)
    jobs = sub.add_parser(
        "jobs", help="list the folder's latest jobs",
        description="List the latest jobs of the folder (--folder), newest first, in one "
        "request.", epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    jobs.add_argument("--mine", action="store_true",
                      help="only jobs started by startjob (per the history)")
    jobs.add_argument("--state", type=_job_state, metavar="STATE",
                      help="only jobs in this state (Pending, Running, Faulted...)")
    jobs.add_argument("--process", metavar="TEXT", help="only processes whose name has TEXT")
    jobs.add_argument("--since", type=_duration, metavar="DURATION",
                      help="only jobs created in the last DURATION (e.g. 90m, 12h, 7d)")
    jobs.add_argument("--limit", type=_page, default=20, metavar="N",
                      help="show the latest N jobs (1-1000, default 20)")
    _add_job_command_options(jobs)
    for name, help_text, count, description in _JOB_COMMANDS:
        command = sub.add_parser(name, help=help_text, description=description, epilog=epilog,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
        if count == 1:
            command.add_argument("refs", nargs=1, metavar="REF", help=_REF_HELP)
        else:
            command.add_argument("refs", nargs="+", metavar="REF", help=_REF_HELP)
        if name == "watch":
            command.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                                 help="stop waiting after SECONDS (exit 5)")
            command.add_argument("--tui", action="store_true",
                                 help="follow them in the wizard's Run step instead (their "
                                 "log, stop, kill, restart, resume)")
        if name == "logs":
            command.add_argument("--level", type=_choice(LOG_LEVELS), metavar="LEVEL",
                                 help="this level and the more severe ones: "
                                 + ", ".join(LOG_LEVELS))
            command.add_argument("--follow", action="store_true",
                                 help="keep showing new lines until the job ends")
            command.add_argument("--limit", type=_log_limit, default=100, metavar="N",
                                 help="the last N lines (default 100, at most 1000; 0 = all)")
        if name in ("stop", "kill"):
            command.add_argument("--yes", action="store_true", help="do not ask first")
        _add_job_command_options(command)


def _add_job_command_options(parser: argparse.ArgumentParser) -> None:
    _add_output_argument(parser)
    _add_demo_argument(parser)
    add_connection_arguments(parser)


def _add_demo_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--demo", action="store_true", default=argparse.SUPPRESS,
        help="run on a fresh built-in sandbox with the demo credentials",
    )


def _add_output_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output", choices=("text", "json"), default="text",
        help="text (default: a table that fits the terminal) or JSON on stdout",
    )


def _whole(text: str, low: int, high: Optional[int], expected: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = low - 1
    if number < low or (high is not None and number > high):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return number


def _count(text: str) -> int:
    return _whole(text, 0, None, "a whole number >= 0")


def _page(text: str) -> int:
    return _whole(text, 1, 1000, "a whole number from 1 to 1000")


def _log_limit(text: str) -> int:
    return _whole(text, 0, 1000, "a whole number from 0 to 1000 (0 = every line)")


#: ``--since`` units, in seconds.
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _duration(text: str) -> float:
    """``90m``, ``12h``, ``7d``, ``2w``, ``30s`` (or plain seconds) as seconds."""
    value = text.strip().lower()
    unit = _UNITS.get(value[-1:]) if value else None
    number = value[:-1] if unit else value
    try:
        seconds = float(number) * (unit or 1)
    except ValueError:
        seconds = -1.0
    if not seconds > 0 or not math.isfinite(seconds):
        raise argparse.ArgumentTypeError(
            f"expected a duration such as 90m, 12h or 7d, got {text!r}")
    return seconds


def _choice(names: Sequence[str]) -> Callable[[str], str]:
    """An argparse type for one of ``names`` in any case (the canonical spelling)."""
    def parse(text: str) -> str:
        for name in names:
            if name.casefold() == text.strip().casefold():
                return name
        raise argparse.ArgumentTypeError(f"expected one of {', '.join(names)}, got {text!r}")

    return parse


def _priority(text: str) -> Any:
    from tui_app.start_options import OptionError, parse_priority

    try:
        return parse_priority(text)
    except OptionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _job_state(text: str) -> str:
    return _choice(JOB_STATES)(text)


def _port(text: str) -> int:
    return _whole(text, 0, 65535, "a port number from 0 to 65535")


def _scale(text: str) -> int:
    return _whole(text, 0, MAX_SCALE, f"a whole number from 0 to {MAX_SCALE}")


def _seconds(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        number = -1.0
    if not number > 0 or not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return number


def _add_run_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from tui_app.exit_codes import exit_codes_help

    run = sub.add_parser(
        "run",
        help="start a saved template's jobs, or add its queue item, without the wizard "
             "(headless)",
        description=(
            "Replay a saved template without the wizard: resolve the folder, release and "
            "robots again by name, check what changed since it was saved (drift), start the "
            "jobs and, with --wait, follow them until they end. Argument values, highest "
            "precedence first: --set/--set-json, STARTJOB_ARG_<NAME> (ask arguments only), "
            "the --event via the template's [bindings], the template's [arguments], the "
            "process defaults. Credentials come from the UIPATH_* variables.\n\n"
            "A queue template (action = \"add_queue_item\") finds the queue by name, checks "
            "drift (queue gone, item schema or unique-reference rule changed), fills the "
            "content fields the same way (its [content], [bindings], ask) and the reference's "
            "{dotted.path} placeholders from --event, refuses a reference a unique-reference "
            "queue already has (exit 4), adds the item once and, with --wait, follows it until "
            "it is processed: exit 0 Successful, 1 Failed or Abandoned, 5 --timeout. "
            "--dry-run prints the exact itemData and adds nothing.\n\n"
            "On a terminal (standard input and standard error), ask arguments without a "
            "value and missing required ones are asked for, hidden for ask arguments and "
            "secret-looking names, parsed as --set parses them (3 tries; Ctrl+C cancels, "
            "exit 2). --no-input turns this off.\n\n"
            "A template's filter (filter = '...') is checked against --event: an event it "
            "does not match starts nothing and exits 0 (--dry-run says whether it matches).\n\n"
            "The production guard: a start through a protected profile, into a protected "
            "folder or from a protected template (protected = true, protected_folders), or of "
            "more jobs than max_jobs, needs the folder's name typed on a terminal (3 tries), "
            "or --yes; without either it exits 2 and nothing is sent. A batch asks once."
        ),
        epilog=exit_codes_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "template",
        metavar="TEMPLATE",
        help="a template name (see 'startjob templates') or a .toml file path",
    )
    run.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="argument value as you would type it (repeatable); NAME= leaves the argument out",
    )
    run.add_argument(
        "--set-json",
        dest="set_json",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="argument value as JSON (repeatable)",
    )
    run.add_argument(
        "--event",
        metavar="FILE",
        help="JSON object filling the template's [bindings] ('-' = stdin); an event that "
             "does not match the template's filter starts nothing (exit 0)",
    )
    run.add_argument(
        "--no-input",
        dest="no_input",
        action="store_true",
        help="never ask on the terminal for a missing or ask value (for scripts: exit 2 "
             "instead); without a terminal nothing is ever asked",
    )
    run.add_argument(
        "--yes",
        action="store_true",
        help="confirm a start the production guard asks about (a protected profile, "
             "folder or template, or more jobs than max_jobs) without typing",
    )
    run.add_argument("--wait", action="store_true",
                     help="wait until every job has ended (a queue item: is processed)")
    run.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help="with --wait: stop waiting after SECONDS (exit 5)",
    )
    run.add_argument(
        "--output",
        choices=("text", "json"),
        default="text",
        help="text (default) or one JSON object on stdout",
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="resolve and check everything, print the request, start nothing (uploads "
             "nothing either)",
    )
    run.add_argument(
        "--priority",
        type=_priority,
        metavar="PRIORITY",
        help="Low, Normal, High or a number from 1 to 100, instead of the template's "
             "(default: the template's, else the release's own)",
    )
    run.add_argument(
        "--large-input",
        dest="large_input",
        type=_choice(("refuse", "file")),
        metavar="{refuse,file}",
        help="input arguments over 10,000 characters: refuse them, or send them as a file "
             "(a job attachment); default: the template's large_input, else refuse",
    )
    batch = run.add_argument_group("batches and event streams")
    batch.add_argument("--rows", metavar="FILE",
                       help="one start (queue item) per row: a .csv (header row), a .jsonl "
                            "file, or - (JSON lines on stdin); resumable (see 'startjob "
                            "batches')")
    batch.add_argument("--events", metavar="FILE",
                       help="one start per JSON event line, read as it comes ('-' = stdin)")
    batch.add_argument("--parallel", type=_parallel, default=4, metavar="N",
                       help="rows started at once, 1 to 32 (default 4)")
    batch.add_argument("--stop-on-refusal", dest="stop_on_refusal", action="store_true",
                       help="stop at the first refused row (rows in flight finish)")
    batch.add_argument("--commit-type", dest="commit_type",
                       choices=("AllOrNothing", "StopOnFirstFailure", "ProcessAllIndependently"),
                       default="ProcessAllIndependently",
                       help="a queue batch's BulkAddQueueItems commit type (default "
                            "ProcessAllIndependently)")
    _add_demo_argument(run)
    add_connection_arguments(run)


def _parallel(text: str) -> int:
    return _whole(text, 1, 32, "a whole number from 1 to 32")


def _add_batches_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    batches = sub.add_parser(
        "batches", help="list batches (startjob run --rows) with their counts",
        description="The batches of 'startjob run --rows/--events', newest first; "
                    "'startjob batches show ID' (the start of an id works) shows each row's "
                    "outcome.")
    batches.add_argument("action", nargs="?", choices=("show",), help="show one batch")
    batches.add_argument("batch", nargs="?", metavar="ID", help="a batch id, or its start")
    _add_output_argument(batches)
def _add_route_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    route = sub.add_parser(
        "route",
        help="send each event (JSON lines) to the template whose filter matches it",
        description=(
            "Read events, one JSON object per line, from --events (a file, or '-' for "
            "standard input, handled as each line arrives) and run, for each, the first "
            "[[route]] of ROUTES.toml whose filter (and its template's own filter) matches "
            "it, else the [default] template, else skip it. Each run is 'startjob run "
            "TEMPLATE' with the event (its [bindings] fill the values; nothing is asked). "
            "One line per event on standard output (route, template, outcome); a summary "
            "on standard error."
        ),
        epilog=("exit codes:\n"
                "  0  every event a route matched was started (unmatched ones are counted)\n"
                "  2  the route file, a template it names, or --events cannot be used\n"
                "  4  some events were not started (the line says why), or a line was not "
                "a JSON object"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    route.add_argument("routes", metavar="ROUTES.toml", help="the route file")
    route.add_argument("--events", required=True, metavar="FILE",
                       help="JSON lines to route ('-' = standard input)")
    route.add_argument("--dry-run", action="store_true",
                       help="route and check each event's run, start nothing")
    route.add_argument("--yes", action="store_true",
                       help="confirm starts the production guard protects (else they are "
                            "not started: nothing is asked)")
    route.add_argument("--output", choices=("text", "json"), default="text",
                       help="text (default) or one JSON object per event")
    _add_demo_argument(route)
    add_connection_arguments(route)


@dataclass
class _Launch:
    """What the wizard, ``open`` and ``run`` connect with, prepared one way for all three."""

    #: ``ConnectionSettings`` fields from the flags (with ``--demo``: the sandbox's).
    connection: dict
    profile: Optional[str]
    #: ``ConnectionSettings.open_client`` options: ``debug_log``, ``token_cache``.
    client_options: dict = field(default_factory=dict)
    demo: bool = False


@contextlib.contextmanager
def _launch(args: argparse.Namespace) -> Iterator[_Launch]:
    """The one launch path: with ``--demo`` a fresh sandbox (stopped afterwards) and its demo
    credentials, else the connection flags; the ``--debug`` log and ``--no-token-cache``."""
    demo = bool(getattr(args, "demo", False))
    with contextlib.ExitStack() as stack:
        if demo:
            ignored = [flag for name, flag in _DEMO_IGNORES if getattr(args, name, None)]
            if ignored:
                print(f"startjob: --demo connects to its own sandbox with the demo credentials; "
                      f"ignoring {', '.join(ignored)}", file=sys.stderr)
            from tui_app.sandbox import Sandbox, SandboxConfig

            sandbox = stack.enter_context(Sandbox(SandboxConfig()))
            folder = {"folder": args.folder} if getattr(args, "folder", "") else {}
            launch = _Launch({**_demo_fields(sandbox), **folder}, None, demo=True)
        else:
            launch = _Launch(connection_overrides(args), getattr(args, "profile", None))
        if launch.demo or getattr(args, "no_token_cache", False):
            launch.client_options["token_cache"] = False  # a demo sandbox lives one session
        yield launch


def _debug_log(args: argparse.Namespace, launch: _Launch,
               resolved: Optional[ResolvedSettings] = None) -> None:
    """Start the ``--debug`` log (once the settings are known) into ``launch.client_options``."""
    from tui_app.connection_cli import debug_log_from_args

    log = debug_log_from_args(args, resolved)
    if log is not None:
        launch.client_options["debug_log"] = log


def _run_wizard(args: argparse.Namespace, **options: Any) -> int:
    from tui_app.connection import ConnectionSettings
    from tui_app.connection_cli import resolve_from_args

    with _launch(args) as launch:
        resolved = None
        if launch.demo:
            settings = ConnectionSettings(**launch.connection)
        else:
            resolved = resolve_from_args(args)  # a "prompt" profile leaves the secret to the form
            settings = resolved.settings
        _debug_log(args, launch, resolved)
        return _wizard(args, launch, settings, **options)


def _run_watch_tui(args: argparse.Namespace) -> int:
    """``startjob watch REF... --tui``: the wizard, opened on the Run step for the jobs."""
    from tui_app.jobrefs import RefError, parse_ref

    try:
        if args.output == "json":
            raise RefError("--tui shows the jobs in the wizard: leave out --output json.")
        refs = [parse_ref(text) for text in args.refs]
    except RefError as exc:
        print(f"startjob watch: {exc}", file=sys.stderr)
        return exc.exit_code
    return _run_wizard(args, watch=refs)


def _run_open(args: argparse.Namespace) -> int:
    from tui_app.replay import ReplayError, connection_settings, find_template
    from tui_app.templates import TemplateError

    with _launch(args) as launch:
        try:
            template, path = find_template(args.template)
            problem = _demo_problem(template, launch,
                                    f"startjob --demo open {quote(args.template)}")
            if problem:
                raise ReplayError(problem)
            settings = connection_settings(template, launch.connection, profile=launch.profile)
        except (ReplayError, TemplateError, SettingsError, OSError) as exc:
            print(f"startjob open: {exc}", file=sys.stderr)
            return EXIT_USAGE
        _debug_log(args, launch)
        return _wizard(args, launch, settings, template=template, template_path=path)


def _wizard(args: argparse.Namespace, launch: _Launch, settings: ConnectionSettings,
            **options: Any) -> int:
    from tui_app.ui.app import make_app

    app = make_app(settings, demo=launch.demo, handle_signals=True,
                   client_options=launch.client_options, **options)
    app.run(mouse=not args.no_mouse)
    if app.session.handoff_on_exit:  # copied on Review: OSC 52 may not have reached anyone
        from tui_app.text import visible

        print(visible(app.session.handoff_on_exit))
    return app.return_code or 0


def _demo_problem(template: Template, launch: _Launch, hint: str) -> Optional[str]:
    """Why ``template`` cannot run this way: one saved against the demo needs ``--demo``."""
    from tui_app.templates import is_demo_template
    from tui_app.text import visible

    if is_demo_template(template) and not launch.demo:
        return (f"The template {visible(template.name, single_line=True)!r} was saved against "
                f"the demo sandbox; run it on a fresh one with: {hint}")
    return None


def _demo_fields(sandbox: Sandbox) -> dict:
    from tui_app.sandbox import DEMO

    return {"url": sandbox.orchestrator_url, "auth_mode": "client_credentials",
            "client_id": DEMO.client_id, "client_secret": DEMO.client_secret,
            "tenancy_name": DEMO.tenancy_name, "username": DEMO.username}


def demo_settings(sandbox: Sandbox) -> ConnectionSettings:
    """Connection settings for a running sandbox, demo client credentials prefilled."""
    from tui_app.connection import ConnectionSettings

    return ConnectionSettings(**_demo_fields(sandbox))


def _run_sandbox(args: argparse.Namespace) -> int:
    from tui_app.sandbox import SandboxConfig, parse_faults, serve

    try:
        faults = parse_faults(args.faults) if args.faults else None
    except ValueError as exc:
        print(f"startjob sandbox: {exc}", file=sys.stderr)
        return EXIT_USAGE
    config = SandboxConfig(
        token_lifetime=args.token_lifetime, scale=args.scale, faults=faults, seed=args.seed
    )
    return serve(host=args.host, port=args.port, config=config)


def _run_replay(args: argparse.Namespace) -> int:
    from tui_app.exit_codes import EXIT_USAGE as REPLAY_USAGE
    from tui_app.replay import ReplayError, ReplayOptions, find_template, run
    from tui_app.templates import TemplateError

    if args.timeout is not None and not args.wait:
        print("startjob run: --timeout needs --wait", file=sys.stderr)
        return REPLAY_USAGE
    given = [flag for flag, value in (("--event", args.event), ("--rows", args.rows),
                                      ("--events", args.events)) if value is not None]
    if len(given) > 1:
        print(f"startjob run: {' and '.join(given)} cannot be combined; give one",
              file=sys.stderr)
        return REPLAY_USAGE
    with _launch(args) as launch:
        try:
            template, _ = find_template(args.template)
        except (ReplayError, TemplateError, OSError):
            pass  # the replay reports it
        else:
            problem = _demo_problem(template, launch,
                                    f"startjob run {quote(args.template)} --demo")
            if problem:
                return _replay_refused(args, problem)
        options = ReplayOptions(
            template=args.template,
            sets=args.sets,
            set_json=args.set_json,
            event=args.event,
            wait=args.wait,
            timeout=args.timeout,
            dry_run=args.dry_run,
            output=args.output,
            large_input=args.large_input,
            priority=args.priority,
            connection=launch.connection,
            profile=launch.profile,
            no_input=args.no_input,
            yes=args.yes,
        )
        _debug_log(args, launch)
        if args.rows is not None or args.events is not None:
            from tui_app.batch import BatchOptions, run_batch

            return run_batch(BatchOptions(options, rows=args.rows, events=args.events,
                                          parallel=args.parallel,
                                          stop_on_refusal=args.stop_on_refusal,
                                          commit_type=args.commit_type),
                             client_options=launch.client_options)
        return run(options, client_options=launch.client_options)


def _run_route(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tui_app.route_cli import exit_usage, open_events, route_events
    from tui_app.routes import RouteError, load_routes

    try:
        table = load_routes(Path(args.routes))
        events = open_events(args.events)
    except RouteError as exc:
        return exit_usage(str(exc))
    except OSError as exc:
        return exit_usage(f"Cannot read the events file {args.events}: {exc.strerror or exc}.")
    try:
        with _launch(args) as launch:
            _debug_log(args, launch)
            return route_events(table, events, connection=launch.connection,
                                profile=launch.profile, dry_run=args.dry_run,
                                output=args.output, client_options=launch.client_options,
                                yes=args.yes)
    finally:
        if events is not sys.stdin:
            events.close()


def _replay_refused(args: argparse.Namespace, problem: str) -> int:
    """Report a replay stopped before it began, as ``run`` reports its own errors."""
    from tui_app.replay import ReplayResult, print_outcome

    result = ReplayResult(template=args.template, errors=[problem], exit_code=EXIT_USAGE)
    return print_outcome(result, args.output, sys.stdout, sys.stderr)


def _run_templates(args: argparse.Namespace) -> int:
    if args.check:
        return _check_templates(args)
    if args.names:
        print("startjob templates: NAMEs go with --check (startjob templates --check NAME...)",
              file=sys.stderr)
        return EXIT_USAGE
    from tui_app.locations import LocationError
    from tui_app.table import format_table, terminal_width
    from tui_app.templates import list_library
    from tui_app.text import visible

    try:
        library = list_library()
    except LocationError as exc:
        print(f"startjob templates: {exc}", file=sys.stderr)
        return EXIT_USAGE
    entries, personal = library.entries, library.folders[0].path
    for warning in library.warnings:
        print(f"warning: {visible(warning, single_line=True)}", file=sys.stderr)
    if args.output == "json":
        _print_json({"folder": str(personal),
                     "folders": [{"path": str(f.path), "origin": f.origin, "source": f.source}
                                 for f in library.folders],
                     "templates": [_template_json(e) for e in entries],
                     "clashes": [{"name": c.name, "paths": [str(e.path) for e in c.entries],
                                  "winner": str(c.winner.path) if c.winner else None}
                                 for c in library.clashes],
                     "warnings": list(library.warnings)})
        return EXIT_OK
    if not entries:
        print(f"No templates saved yet (they are kept in {visible(str(personal))}).")
        return EXIT_OK
    rows: list[tuple[str, ...]] = [("Name", "Process", "Strategy", "From", "Owner",
                                    "Description")]
    for entry in entries:
        where = "personal" if entry.origin == "personal" else str(entry.folder)
        template = entry.template
        if template is None:
            rows.append((entry.name, "(cannot be read)", "-", where, entry.owner, ""))
            continue
        environment = f" ({template.process.environment})" if template.process.environment else ""
        rows.append((template.name, template.process.key + environment, template.strategy.kind,
                     where, entry.owner, template.description))
    if not any(row[5] for row in rows[1:]):  # no descriptions: room for the others
        rows = [row[:5] for row in rows]
    rows = [tuple(visible(cell, single_line=True) for cell in row) for row in rows]
    print("\n".join(format_table(rows, terminal_width(), keep=(2,))))
    for entry in entries:
        if entry.error:
            print(f"error: {visible(entry.error, single_line=True)}")
    for clash in library.clashes:
        paths = ", ".join(str(e.path) for e in clash.entries)
        outcome = (f"{clash.winner.path} is the one a name finds" if clash.winner else
                   "a name finds none of them (two in one folder): give the path")
        print(visible(f"warning: {len(clash.entries)} templates are named "
                      f"{clash.name!r} ({paths}); {outcome}", single_line=True))
    folders = ", then ".join(str(f.path) for f in library.folders)
    print(f"(in {visible(folders, single_line=True)})")
    return EXIT_OK


def _check_templates(args: argparse.Namespace) -> int:
    """``startjob templates --check [NAME...]`` (``tui_app.template_check``): a table
    (Template, Status, Reasons) and a totals line, or one JSON object."""
    from tui_app.arguments.jsontext import printable_json
    from tui_app.table import terminal_width
    from tui_app.template_check import CheckOptions, run_check

    with _launch(args) as launch:
        _debug_log(args, launch)
        try:
            report = run_check(CheckOptions(args.names, launch.connection, launch.profile,
                                            demo=launch.demo),
                               client_options=launch.client_options)
        except LocationError as exc:
            print(f"startjob templates: {exc}", file=sys.stderr)
            return EXIT_USAGE
    if args.output == "json":
        print(printable_json(report.to_json()))
        return report.exit_code
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not report.templates:
        print("No templates to check (see 'startjob templates').")
        return report.exit_code
    print("\n".join(_check_table(report.templates, terminal_width())))
    totals = report.totals
    print(f"{totals['templates']} template(s): {totals['ok']} ok, {totals['warnings']} with "
          f"warnings, {totals['blocked']} blocked, {totals['error']} not checked "
          f"({totals['requests']} request(s))")
    return report.exit_code


def _check_table(checks: Sequence[Any], width: int) -> list:
    """Template, Status, Reasons in ``width`` columns: each reason wrapped in its column
    (never cut), a long name shortened."""
    import textwrap

    from tui_app.table import format_table

    name_width = min(max(len(check.name) for check in checks), max(12, width // 3))
    reason_width = max(24, width - name_width - len("warnings") - 4)
    rows: list[tuple[str, ...]] = [("Template", "Status", "Reasons")]
    for check in checks:
        lines = [line for reason in check.reasons or ["-"]
                 for line in textwrap.wrap(reason, reason_width, subsequent_indent="  ",
                                           break_on_hyphens=False)]
        rows.append((check.name, check.status, lines[0] if lines else ""))
        rows += [("", "", line) for line in lines[1:]]
    return format_table(rows, width, keep=(1, 2))


def _template_json(entry: TemplateEntry) -> dict:
    where = {"origin": entry.origin, "folder": str(entry.folder), "owner": entry.owner,
             "read_only": entry.read_only}
    template = entry.template
    if template is None:
        return {"name": entry.name, "path": str(entry.path), "error": entry.error, **where}
    return {"name": template.name, "path": str(entry.path), "description": template.description,
            "process": template.process.key, "environment": template.process.environment,
            "strategy": template.strategy.kind, "protected": template.protected,
            "max_jobs": template.max_jobs, "error": None, **where}


def _run_history(args: argparse.Namespace) -> int:
    from tui_app.history import (
        entry_json,
        format_entry,
        format_history,
        history_json,
        read_entries,
        select_entries,
    )
    from tui_app.locations import history_file
    from tui_app.table import link, terminal_width

    try:
        entries = read_entries(None)
    except OSError as exc:
        print(f"startjob history: cannot read {history_file()}: {exc.strerror or exc}",
              file=sys.stderr)
        return EXIT_FAILED
    if args.entry is not None:
        number = _history_number(args.entry, len(entries))
        if number is None:
            return EXIT_USAGE
        entry = entries[number - 1]
        live, problem = _history_states(args, [entry], every_job=True)
        _states_note(args, problem)
        if args.output == "json":
            _print_json({**entry_json(entry, number, live), "states_unknown": problem})
        else:
            print(format_entry(entry, number, live, link=lambda url: link(url, sys.stdout)))
        return EXIT_OK
    chosen = select_entries(entries, template=args.template, process=args.process,
                            since=_since(args.since), user=args.user)
    candidates = chosen if args.state else chosen.first(args.limit or None)
    live, problem = _history_states(args, candidates)
    if args.state:
        chosen = select_entries(chosen, state=args.state, live=live)
    shown = chosen.first(args.limit or None)
    _states_note(args, problem if any(not e.is_finished for e in shown) else None)
    if args.output == "json":
        _print_json({**history_json(shown, live), "states_unknown": problem})
    else:
        print(format_history(shown, terminal_width(), live))
    return EXIT_OK


def _history_number(text: str, total: int) -> Optional[int]:
    """N of ``@N`` (1..total); else None after saying why."""
    from tui_app.jobrefs import HISTORY, RefError, parse_ref

    try:
        ref = parse_ref(text)
    except RefError as exc:
        print(f"startjob history: {exc}", file=sys.stderr)
        return None
    if ref.kind != HISTORY:
        print(f"startjob history: {text!r}: give a start as @N (@1 = the latest).",
              file=sys.stderr)
        return None
    if int(ref.value) > total:
        print(f"startjob history: {ref.text}: the history has {total} start(s).",
              file=sys.stderr)
        return None
    return int(ref.value)


def _since(seconds: Optional[float]) -> Any:
    from datetime import datetime, timedelta, timezone

    return datetime.now(timezone.utc) - timedelta(seconds=seconds) if seconds else None


def _history_states(args: argparse.Namespace, entries: list, *,
                    every_job: bool = False) -> tuple:
    """(job key -> current ``Job``, None) for the unfinished ``entries``, asked of
    Orchestrator once; ({}, why not) when offline, without connection settings or when
    Orchestrator cannot be asked. Never prompts for a secret."""
    import asyncio

    from tui_app.history import refresh_states
    from tui_app.orchestrator.errors import OrchestratorError
    from tui_app.precedence import resolve_settings

    if args.offline:
        return {}, "--offline"
    if not every_job and all(entry.is_finished for entry in entries):
        return {}, None

    async def ask(settings: ConnectionSettings, options: dict) -> dict:
        async with settings.open_client(**options) as client:
            return await refresh_states(client, entries, every_job=every_job)

    try:
        with _launch(args) as launch:
            resolved = resolve_settings(launch.connection, None, launch.profile)
            if resolved.needs_prompt:
                return {}, "the profile asks for its secret when connecting"
            _debug_log(args, launch, resolved)
            return asyncio.run(ask(resolved.settings, launch.client_options)), None
    except SettingsError as exc:
        return {}, f"no connection settings ({str(exc).rstrip('.')})"
    except (OrchestratorError, OSError) as exc:
        return {}, str(exc).rstrip(".")


def _states_note(args: argparse.Namespace, problem: Optional[str]) -> None:
    if problem and problem != "--offline" and args.output != "json":
        print(f"startjob history: states not recorded yet are unknown: {problem}.",
              file=sys.stderr)


def _run_jobs_command(args: argparse.Namespace) -> int:
    """``jobs``, ``watch``, ``logs``, ``stop``, ``kill``, ``restart``, ``resume``: connected
    the way ``run`` connects (``_launch``)."""
    from tui_app.jobs_cli import run
    from tui_app.precedence import require_secret, resolve_settings, terminal_prompt

    if getattr(args, "tui", False):
        return _run_watch_tui(args)
    with _launch(args) as launch:
        if launch.demo:
            from tui_app.connection import ConnectionSettings

            settings = ConnectionSettings(**launch.connection)
        else:
            settings = require_secret(resolve_settings(launch.connection, None, launch.profile,
                                                       prompt=terminal_prompt()))
        _debug_log(args, launch)
        return run(args.command, args, settings, client_options=launch.client_options)


def _batches(args: argparse.Namespace) -> int:
    from tui_app.batches_cli import run_batches

    return run_batches(args.action, args.batch, args.output)


def _print_json(data: object) -> None:
    import json

    print(json.dumps(data, indent=2))


#: Subcommand -> handler (without one: the wizard).
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "sandbox": _run_sandbox,
    "locate": cmd_locate,
    "logout": cmd_logout,
    "profiles": cmd_profiles,
    "settings": cmd_settings,
    "open": _run_open,
    "run": _run_replay,
    "route": _run_route,
    "templates": _run_templates,
    "history": _run_history,
    "batches": _batches,
    **dict.fromkeys(("jobs", "watch", "logs", "stop", "kill", "restart", "resume"),
                    _run_jobs_command),
}


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        if argv is None:
            argv = sys.argv[1:]
        args = build_parser(argv).parse_args(argv)
        handler = COMMANDS.get(args.command, _run_wizard)
        try:
            code = handler(args)
        except (SettingsError, LocationError) as exc:
            print(f"startjob: {exc}", file=sys.stderr)
            code = EXIT_USAGE
        sys.stdout.flush()  # a closed pipe shows here, not as a traceback at exit
        return code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE


def _silence_stdout() -> None:
    """Point standard output at the null device, so the interpreter's last flush is quiet."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
