"""Hostile text: strings that try to break a terminal UI, an OData filter or a JSON file.

``HOSTILE_STRINGS`` is the corpus (tests iterate it); ``seed_hostile`` puts it into the sandbox
tenant (``SandboxConfig(hostile=True)``, or ``seed_hostile(sandbox.tenant)``):

- classic folder ``Hostile`` (id 6) with environment ``HOSTILE_ENVIRONMENT`` (a name with
  quotes, ``%``, ``&``, ``#`` and ``+``, so looking its robots up needs a correctly escaped
  ``$filter``) and robots whose names and machines are hostile;
- one release per corpus string: its ``Name``, ``ProcessKey`` and ``Description`` are the string
  itself, so searching for the string finds exactly that release (no string of the corpus
  contains another, in any case);
- release ``HostileArguments`` (key ``HOSTILE_ARGUMENTS_KEY``): hostile input argument names,
  and process defaults that make every job end Faulted with a hostile ``Info``;
- release ``HostileRefusal`` (key ``HOSTILE_REFUSAL_KEY``): StartJobs answers 409 with
  ``HOSTILE_ERROR`` as the message;
- modern sub-folder ``HOSTILE_SUBFOLDER`` (id 7) with hostile robot users and one release.

Nothing here is valid *markup* or *terminal control* on purpose: a UI must show every character
literally (control characters as visible symbols) and never act on it.
"""

from __future__ import annotations

from tui_app.sandbox.seedkit import SEED_TIME, STRING, _in
from tui_app.sandbox.tenant import Tenant, arguments_json

#: Rich / Textual markup: must show with its brackets, never style text or run an action.
MARKUP = "Markup [bold red]x[/]"
CLICK = "Click [@click=app.quit]quit[/]"
LINK = "Link [link=https://evil.example/]click me[/link]"
CLOSE_ONLY = "Stray close [/] tag"
VARIABLE = "Variable [$accent on $error]v[/]"
#: Terminal control: OSC 52 writes the clipboard, CSI 2J clears the screen, OSC 0 sets the title.
OSC52 = "Clipboard \x1b]52;c;aGVsbG8=\x07 end"
CLEAR = "Clear \x1b[2J\x1b[H screen"
SGR = "Colour \x1b[31mred\x1b[0m text"
TITLE = "Title \x1b]0;pwned\x07 set"
HYPERLINK = "Hyperlink \x1b]8;;https://evil.example/\x1b\\here\x1b]8;;\x1b\\ done"
C1 = "Eight-bit \x9b2J csi \x85 nel"
#: Quotes and characters with a meaning in URLs and OData filters.
QUOTES = "Quote O'Brien's \"report\""
INJECTION = "Inject ' or 1 eq 1 or Name eq '"
URL_CHARS = "Percent 100% & #1 + a=b?c;d/e"
ENCODED = "Encoded %27%20%2F%00 stays"
BACKSLASH = "Backslash C:\\temp\\new \\u0041"
#: Size: 10,000 characters.
LONG = "Long " + "x" * 9_995
#: Right to left, bidirectional overrides, emoji, combining marks.
RTL = "RTL \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627"
BIDI = "Bidi \u202etxt.exe\u202c name"
EMOJI = "Emoji \U0001f680 \U0001f469\u200d\U0001f4bb \U0001f1fa\U0001f1f3 \u2764\ufe0f"
COMBINING = "Zalgo Z\u0324\u0354\u0367\u0311\u0313a\u0308\u0356\u032d\u0308\u0307 cafe\u0301"
#: NUL and other C0 control characters, DEL, line breaks and tabs.
CONTROL = "Control nul\x00 bel\x07 bs\x08 del\x7f end"
LINES = "Lines one\ntwo\r\nthree\tfour"

HOSTILE_STRINGS = [
    MARKUP, CLICK, LINK, CLOSE_ONLY, VARIABLE,
    OSC52, CLEAR, SGR, TITLE, HYPERLINK, C1,
    QUOTES, INJECTION, URL_CHARS, ENCODED, BACKSLASH,
    LONG,
    RTL, BIDI, EMOJI, COMBINING,
    CONTROL, LINES,
]

HOSTILE_FOLDER = "Hostile"
HOSTILE_FOLDER_ID = 6
HOSTILE_ENVIRONMENT = "Env 'O''Brien' \"q\" 100% & #1 +"
HOSTILE_SUBFOLDER = "Sub [bold]x[/] \x1b[2J \u202eRTL"
HOSTILE_SUBFOLDER_ID = 7
HOSTILE_ARGUMENTS_KEY = "0b5f1e2d-7c3a-4e6b-9a8d-1f2e3d4c5b6a"
HOSTILE_REFUSAL_KEY = "6a5b4c3d-2e1f-4a0b-8c7d-6e5f4a3b2c1d"
#: The message StartJobs answers for ``HostileRefusal``.
HOSTILE_ERROR = f"Refused: {MARKUP} {OSC52} {CLEAR} {BIDI} {CONTROL}"
#: Robots of the Hostile environment: (id, name, machine name, state).
HOSTILE_ROBOTS = (
    (501, CLICK, MARKUP, "Available"),
    (502, OSC52, CLEAR, "Available"),
    (503, BIDI, EMOJI, "Busy"),
    (504, CONTROL, CLOSE_ONLY, "Disconnected"),
)
#: Input argument names of ``HostileArguments`` (all System.String).
HOSTILE_ARGUMENT_NAMES = (MARKUP, OSC52, QUOTES, "Plain")
#: The process default that makes jobs of ``HostileArguments`` fault with a hostile Info.
HOSTILE_FAILURE_VALUE = f"FAIL {MARKUP} {CLICK} {OSC52} {CLEAR} {CLOSE_ONLY}"


def _check_corpus() -> None:
    lowered = [s.strip().lower() for s in HOSTILE_STRINGS]
    for i, needle in enumerate(lowered):
        for j, other in enumerate(lowered):
            if i != j and needle in other:
                raise AssertionError(f"corpus string {i} is part of string {j}")


_check_corpus()


def seed_hostile(tenant: Tenant) -> None:
    """Add the Hostile folders, robots and releases to ``tenant`` (see the module text)."""
    folder = tenant.add_folder(HOSTILE_FOLDER, classic=True, folder_id=HOSTILE_FOLDER_ID,
                               key="9d8c7b6a-5f4e-4d3c-a2b1-c0d9e8f7a6b5")
    environment = tenant.add_environment(folder.id, HOSTILE_ENVIRONMENT, environment_id=14,
                                         description=MARKUP)
    for robot_id, name, machine, state in HOSTILE_ROBOTS:
        tenant.add_robot(name, machine, state, environment_id=environment.id, robot_id=robot_id)
    for text in HOSTILE_STRINGS:
        tenant.add_release(folder.id, text, text, "1.0.0", key=tenant.new_key(),
                           environment_id=environment.id, description=text,
                           created_at=SEED_TIME)
    tenant.add_release(
        folder.id, "HostileArguments", "HostileArguments", "1.0.0", key=HOSTILE_ARGUMENTS_KEY,
        environment_id=environment.id, description=f"{OSC52} {MARKUP}",
        arguments_input=arguments_json([_in(n, STRING) for n in HOSTILE_ARGUMENT_NAMES]),
        input_arguments=arguments_json_object({"Plain": HOSTILE_FAILURE_VALUE}),
        created_at=SEED_TIME)
    tenant.add_release(
        folder.id, "HostileRefusal", "HostileRefusal", "1.0.0", key=HOSTILE_REFUSAL_KEY,
        environment_id=environment.id, description="StartJobs refuses this one",
        start_error=HOSTILE_ERROR, created_at=SEED_TIME)

    sub = tenant.add_folder(HOSTILE_SUBFOLDER, parent_id=folder.id,
                            folder_id=HOSTILE_SUBFOLDER_ID,
                            key="5e4d3c2b-1a0f-4e9d-8c7b-6a5f4e3d2c1b")
    tenant.add_robot(MARKUP, OSC52, "Available", folder_id=sub.id, robot_id=601)
    tenant.add_robot(RTL, BIDI, "Available", folder_id=sub.id, robot_id=602)
    tenant.add_release(sub.id, "HostileModern", "HostileModern", "1.0.0",
                       key="4d3c2b1a-0f9e-4d8c-b7a6-5f4e3d2c1b0a", description=CLEAR,
                       created_at=SEED_TIME)


def arguments_json_object(values: dict) -> str:
    """A process-defaults string (``ReleaseDto.InputArguments``): a compact JSON object."""
    import json

    return json.dumps(values, separators=(",", ":"))
