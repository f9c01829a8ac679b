"""Command line: ``startjob`` opens the wizard; subcommands do the rest.

Imports are lazy on purpose: the headless paths never import Textual, and the wizard only
imports the sandbox with ``--demo``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Optional

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

EXIT_OK = 0
EXIT_USAGE = 2


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
        "sandbox", help="run the sandbox Orchestrator (a local stand-in for a real tenant)"
    )
    sandbox.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    sandbox.add_argument(
        "--port", type=int, default=8765, help="port (default 8765, 0 = any free port)"
    )
    sandbox.add_argument(
        "--scale",
        type=int,
        default=0,
        metavar="N",
        help="add a large classic folder with N processes and N/2 robots",
    )
    sandbox.add_argument(
        "--faults",
        metavar="SPEC",
        help="inject faults, e.g. '429=0.1,503=0.05,drop=0.01,delay=0.2:1.5'",
    )
    sandbox.add_argument("--seed", type=int, default=0, help="random seed for --faults")
    sandbox.add_argument("--token-lifetime", type=float, default=3600.0, metavar="SECONDS")

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
    add_connection_arguments(opener)
    _add_run_parser(sub)
    sub.add_parser(
        "templates",
        help="list the saved templates",
        description="List the saved templates (name, process, strategy, file); files that "
        "cannot be read are listed with the reason.",
    )
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
    return parser


def _count(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return number


def _seconds(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        number = -1.0
    if not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return number


def _add_run_parser(sub) -> None:
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
    add_connection_arguments(run)


def _run_wizard(args: argparse.Namespace) -> int:
    from tui_app.connection_cli import debug_log_from_args, resolve_from_args
    from tui_app.ui.app import make_app

    resolved = resolve_from_args(args)  # a "prompt" profile leaves the secret to the form
    log = debug_log_from_args(args, resolved)
    options = {"client_options": {"debug_log": log}} if log else {}
    if args.demo:
        from tui_app.sandbox import Sandbox, SandboxConfig

        with Sandbox(SandboxConfig()) as sandbox:
            app = make_app(demo_settings(sandbox), demo=True, handle_signals=True, **options)
            app.run(mouse=not args.no_mouse)
        return app.return_code or 0
    app = make_app(resolved.settings, handle_signals=True, **options)
    app.run(mouse=not args.no_mouse)
    return app.return_code or 0


def _run_open(args: argparse.Namespace) -> int:
    from tui_app.connection import SettingsError
    from tui_app.replay import ReplayError, connection_settings, find_template
    from tui_app.templates import TemplateError

    try:
        template, path = find_template(args.template)
        settings = connection_settings(
            template, connection_overrides(args), profile=getattr(args, "profile", None)
        )
    except (ReplayError, TemplateError, SettingsError, OSError) as exc:
        print(f"startjob open: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from tui_app.ui.app import make_app

    app = make_app(settings, template=template, template_path=path, handle_signals=True)
    app.run(mouse=not args.no_mouse)
    return app.return_code or 0


def demo_settings(sandbox):
    """Connection settings for a running sandbox, demo client credentials prefilled."""
    from tui_app.connection import ConnectionSettings
    from tui_app.sandbox import DEMO

    return ConnectionSettings(
        url=sandbox.orchestrator_url,
        auth_mode="client_credentials",
        client_id=DEMO.client_id,
        client_secret=DEMO.client_secret,
        tenancy_name=DEMO.tenancy_name,
        username=DEMO.username,
    )


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
    from tui_app.replay import ReplayOptions, run

    if args.timeout is not None and not args.wait:
        print("startjob run: --timeout needs --wait", file=sys.stderr)
        return REPLAY_USAGE
    options = ReplayOptions(
        template=args.template,
        sets=args.sets,
        set_json=args.set_json,
        event=args.event,
        wait=args.wait,
        timeout=args.timeout,
        dry_run=args.dry_run,
        output=args.output,
        connection=connection_overrides(args),
        profile=getattr(args, "profile", None),
    )
    from tui_app.connection_cli import debug_log_from_args

    client_options: dict = {"debug_log": debug_log_from_args(args)}
    if getattr(args, "no_token_cache", False):
        client_options["token_cache"] = False
    return run(options, client_options=client_options)


def _run_templates(args: argparse.Namespace) -> int:
    from tui_app.locations import LocationError, templates_dir
    from tui_app.templates import list_templates
    from tui_app.text import visible

    try:
        entries = list_templates()
    except LocationError as exc:
        print(f"startjob templates: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not entries:
        print(f"No templates saved yet (they are kept in {templates_dir()}).")
        return EXIT_OK
    rows = [("Name", "Process", "Strategy", "File")]
    broken = []
    for entry in entries:
        template = entry.template
        if template is None:
            rows.append((entry.name, "(cannot be read)", "-", str(entry.path)))
            broken.append(entry.error or "")
            continue
        environment = f" ({template.process.environment})" if template.process.environment else ""
        rows.append(
            (
                template.name,
                template.process.key + environment,
                template.strategy.kind,
                str(entry.path),
            )
        )
    rows = [
        tuple(
            visible(cell, single_line=True, limit=None if column == 3 else 60)
            for column, cell in enumerate(row)
        )
        for row in rows
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3])
    for error in broken:
        print(f"error: {visible(error, single_line=True)}")
    return EXIT_OK


def _run_history(args: argparse.Namespace) -> int:
    from tui_app.history import format_history, read_entries

    print(format_history(read_entries(args.limit or None)))
    return EXIT_OK


COMMANDS = {
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
    args = build_parser().parse_args(argv)
    handler = COMMANDS.get(args.command, _run_wizard)
    try:
        return handler(args)
    except (SettingsError, LocationError) as exc:
        print(f"startjob: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
