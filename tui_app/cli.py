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

EXIT_OK = 0
EXIT_USAGE = 2


def _add_connection_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection (flags win over UIPATH_* variables)")
    group.add_argument(
        "--url", help="Orchestrator URL, e.g. https://cloud.uipath.com/ORG/TENANT/orchestrator_"
    )
    group.add_argument("--folder", help="folder path, e.g. Shared/Support")
    group.add_argument("--client-id", help="external application id (client credentials)")
    group.add_argument("--identity-url", help="token endpoint (default: derived from --url)")
    group.add_argument("--scope", help="space-separated OAuth scopes")
    group.add_argument("--tenant", dest="tenancy_name", help="tenancy name (on-prem sign-in)")
    group.add_argument("--username", help="user name (on-prem sign-in)")
    group.add_argument("--ca-bundle", help="PEM file of certificate authorities to trust")
    group.add_argument(
        "--insecure",
        action="store_true",
        help="do not verify TLS certificates (never in production)",
    )


def _connection_overrides(args: argparse.Namespace) -> dict:
    names = (
        "url",
        "folder",
        "client_id",
        "identity_url",
        "scope",
        "tenancy_name",
        "username",
        "ca_bundle",
        "insecure",
    )
    return {name: getattr(args, name, None) for name in names}


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
    _add_connection_flags(parser)
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
    return parser


def _run_wizard(args: argparse.Namespace) -> int:
    from tui_app.connection import ConnectionSettings
    from tui_app.ui.app import make_app

    settings = ConnectionSettings.from_env(**_connection_overrides(args))
    if args.demo:
        from tui_app.sandbox import Sandbox, SandboxConfig

        with Sandbox(SandboxConfig()) as sandbox:
            app = make_app(demo_settings(sandbox), demo=True)
            app.run(mouse=not args.no_mouse)
        return app.return_code or 0
    app = make_app(settings)
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


def _run_locate(args: argparse.Namespace) -> int:
    from tui_app.locations import all_locations

    for name, path in all_locations().items():
        print(f"{name:<10} {path}")
    return EXIT_OK


COMMANDS = {"sandbox": _run_sandbox, "locate": _run_locate}


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    handler = COMMANDS.get(args.command, _run_wizard)
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130
