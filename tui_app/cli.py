"""Command line: ``startjob`` opens the wizard; subcommands do the rest.

Imports are lazy on purpose: the headless paths never import Textual, and the wizard only
imports the sandbox with ``--demo``. The wizard, ``open`` and ``run`` share one launch routine
(``_launch``): the same ``--demo`` sandbox, connection settings, ``--debug`` log and client
options for all three.

Exit codes: 0 done; 1 failed (``locate``, ``logout``, ``profiles``, ``settings``; ``history``
cannot read its file; ``sandbox`` cannot listen); 2 usage error (bad flag or value, unusable
template, event or settings); ``run`` also uses 1-5 (``tui_app.exit_codes``); 130 interrupted
(Ctrl+C); 141 standard output was closed early (``| head``), nothing more is printed.
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
from typing import TYPE_CHECKING, Any, Optional

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


def build_parser() -> argparse.ArgumentParser:
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

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
    templates = sub.add_parser(
        "templates",
        help="list the saved templates",
        description="List the saved templates (name, process, strategy, file); files that "
        "cannot be read are listed with the reason.",
    )
    _add_output_argument(templates)
    history = sub.add_parser(
        "history",
        help="show the latest job starts",
        description="Show the latest job starts (wizard and headless), newest first.",
    )
    history.add_argument(
        "--limit",
        type=_count,
        default=20,
        metavar="N",
        help="show the latest N starts (default 20, 0 = all)",
    )
    _add_output_argument(history)
    return parser


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
        help="start a saved template's jobs without the wizard (headless)",
        description=(
            "Replay a saved template without the wizard: resolve the folder, release and "
            "robots again by name, check what changed since it was saved (drift), start the "
            "jobs and, with --wait, follow them until they end. Argument values, highest "
            "precedence first: --set/--set-json, STARTJOB_ARG_<NAME> (ask arguments only), "
            "the --event via the template's [bindings], the template's [arguments], the "
            "process defaults. Credentials come from the UIPATH_* variables."
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
        help="JSON object filling the template's [bindings] ('-' = stdin)",
    )
    run.add_argument("--wait", action="store_true", help="wait until every job has ended")
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
        help="resolve and check everything, print the request, start nothing",
    )
    _add_demo_argument(run)
    add_connection_arguments(run)


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


def _run_wizard(args: argparse.Namespace) -> int:
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
        return _wizard(args, launch, settings)


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
            connection=launch.connection,
            profile=launch.profile,
        )
        _debug_log(args, launch)
        return run(options, client_options=launch.client_options)


def _replay_refused(args: argparse.Namespace, problem: str) -> int:
    """Report a replay stopped before it began, as ``run`` reports its own errors."""
    from tui_app.replay import ReplayResult, print_outcome

    result = ReplayResult(template=args.template, errors=[problem], exit_code=EXIT_USAGE)
    return print_outcome(result, args.output, sys.stdout, sys.stderr)


def _run_templates(args: argparse.Namespace) -> int:
    from tui_app.locations import LocationError, templates_dir
    from tui_app.table import format_table, terminal_width
    from tui_app.templates import list_templates
    from tui_app.text import visible

    try:
        folder = templates_dir()
        entries = list_templates(folder)
    except LocationError as exc:
        print(f"startjob templates: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.output == "json":
        _print_json({"folder": str(folder), "templates": [_template_json(e) for e in entries]})
        return EXIT_OK
    if not entries:
        print(f"No templates saved yet (they are kept in {folder}).")
        return EXIT_OK
    rows: list[tuple[str, ...]] = [("Name", "Process", "Strategy", "File")]
    for entry in entries:
        template = entry.template
        if template is None:
            rows.append((entry.name, "(cannot be read)", "-", entry.path.name))
            continue
        environment = f" ({template.process.environment})" if template.process.environment else ""
        rows.append((template.name, template.process.key + environment, template.strategy.kind,
                     entry.path.name))
    rows = [tuple(visible(cell, single_line=True) for cell in row) for row in rows]
    print("\n".join(format_table(rows, terminal_width(), keep=(2,))))
    for entry in entries:
        if entry.error:
            print(f"error: {visible(entry.error, single_line=True)}")
    print(f"(in {visible(str(folder), single_line=True)})")
    return EXIT_OK


def _template_json(entry: TemplateEntry) -> dict:
    template = entry.template
    if template is None:
        return {"name": entry.name, "path": str(entry.path), "error": entry.error}
    return {"name": template.name, "path": str(entry.path), "description": template.description,
            "process": template.process.key, "environment": template.process.environment,
            "strategy": template.strategy.kind, "error": None}


def _run_history(args: argparse.Namespace) -> int:
    from tui_app.history import format_history, history_json, read_entries
    from tui_app.locations import history_file
    from tui_app.table import terminal_width

    try:
        entries = read_entries(args.limit or None)
    except OSError as exc:
        print(f"startjob history: cannot read {history_file()}: {exc.strerror or exc}",
              file=sys.stderr)
        return EXIT_FAILED
    if args.output == "json":
        _print_json(history_json(entries))
    else:
        print(format_history(entries, terminal_width()))
    return EXIT_OK


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
    "templates": _run_templates,
    "history": _run_history,
}


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        args = build_parser().parse_args(argv)
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
