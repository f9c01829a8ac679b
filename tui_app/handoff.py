"""Hand-off forms: the start on Review written for another tool, to paste elsewhere.

``job_forms`` and ``queue_forms`` give the same start (or queue item) as ``startjob run``, as
``curl`` against the Orchestrator API (the exact body), as PowerShell (the UiPathOrch
module's ``Start-OrchJob``) and as the UiPath CLI (``uip or jobs start``). What a tool cannot
express is said in a ``#`` line, never dropped; where it has no equivalent at all the form
says so instead of a command.

Nothing secret is ever written: credentials are environment variables (``$UIPATH_TOKEN``,
``$UIPATH_CLIENT_SECRET``…), and the values of ``ask`` and secret-looking arguments are too
(``STARTJOB_ARG_<NAME>``). Every value is quoted for its shell, so a pasted form never runs
a value as code, and every line is one line of printable characters (a control character
in a value is written as an escape), so a ``#`` line cannot end early.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

from tui_app.arguments.jsontext import dumps, escape_unprintable, printable_json
from tui_app.plan import MODERN_STRATEGY, StartPlan
from tui_app.queue_plan import QueuePlan
from tui_app.start_options import INPUT_FILE_PLACEHOLDER
from tui_app.text import visible

START_JOBS_PATH = "/odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
ADD_QUEUE_ITEM_PATH = "/odata/Queues/UiPathODataSvc.AddQueueItem"
#: The environment variable a hand-off reads a hidden value from (as ``startjob run`` does
#: for an ``ask`` argument).
ASK_ENV_PREFIX = "STARTJOB_ARG_"
#: The variable the ``curl`` forms take the access token from.
TOKEN_VARIABLE = "UIPATH_TOKEN"
#: Said by the ``startjob run`` form while the choice is not saved as a template.
SAVE_FIRST = ("# startjob run replays a template: save this choice first (Save template, "
              "ctrl+s) to the file below")


@dataclass(frozen=True)
class Where:
    """Where the start goes and how the person signed in (never a secret)."""

    url: str
    auth_mode: str
    tenancy_name: str = ""
    identity_url: str = ""
    scope: str = ""
    demo: bool = False


@dataclass(frozen=True)
class Replay:
    """The template ``startjob run`` replays: its file, and which values differ from it."""

    path: str
    #: The template holds this choice (else it must be saved first, and every value is set).
    saved: bool
    #: Names whose value differs from the saved template's (``--set``); None: every value.
    differing: Optional[frozenset] = None


@dataclass(frozen=True)
class Form:
    """One hand-off: ``key`` (run, curl, powershell, uip), a label, the text to copy."""

    key: str
    label: str
    text: str


@dataclass(frozen=True)
class _Env:
    """A value taken from an environment variable where the form is pasted."""

    variable: str


_Piece = Union[str, _Env]


def env_variable(name: str) -> str:
    """The variable a hidden value of ``name`` comes from: ``STARTJOB_ARG_<NAME>`` (other
    characters than letters, digits and ``_`` become ``_``, so a shell can name it)."""
    return ASK_ENV_PREFIX + re.sub(r"[^A-Za-z0-9_]", "_", name)


# -- quoting ----------------------------------------------------------------------------------


def sh_quote(text: str) -> str:
    """``text`` as one POSIX shell word on one line: ``shlex.quote`` for printable text,
    else ANSI-C quoting (``$'…'``, bash/zsh/ksh) with every unprintable character escaped."""
    if text.isprintable():
        return shlex.quote(text)
    out = []
    for char in text:
        code = ord(char)
        if char in "\\'":
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        elif char in "\n\t\r":
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}[char])
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "$'" + "".join(out) + "'"


def ps_quote(text: str) -> str:
    """``text`` as one PowerShell expression on one line: a single-quoted string (every
    kind of single quote doubled), unprintable characters joined in as ``[char]`` codes."""
    parts, literal = [], []
    for char in text:
        if char.isprintable():
            literal.append(char * 2 if char in "'\u2018\u2019\u201a\u201b" else char)
            continue
        if literal:
            parts.append("'" + "".join(literal) + "'")
            literal = []
        parts.append(f"[char]0x{ord(char):04X}" if ord(char) <= 0xFFFF
                     else f"[char]::ConvertFromUtf32(0x{ord(char):X})")
    if literal or not parts:
        parts.append("'" + "".join(literal) + "'")
    return parts[0] if len(parts) == 1 else "(" + " + ".join(parts) + ")"


def _sh_pieces(pieces: list[_Piece]) -> str:
    """Pieces as one shell word: literals quoted, variables expanded (``${X:?}``: the shell
    refuses to run the command while one is not set)."""
    return "".join(f'"${{{p.variable}:?}}"' if isinstance(p, _Env) else sh_quote(p)
                   for p in pieces if p != "")


def _comment(text: str) -> str:
    return "# " + visible(text, single_line=True)


# -- hidden values ------------------------------------------------------------------------------


class _Tokens:
    """Stand-ins for hidden values while a body is written (letters only: JSON writes them
    as they are), then split out as ``_Env`` pieces."""

    def __init__(self, names: set) -> None:
        stamp = uuid.uuid4().hex
        self.by_name = {name: f"HIDDEN{i}X{stamp}" for i, name in enumerate(sorted(names))}
        self._variables = {token: env_variable(name) for name, token in self.by_name.items()}

    def values(self, values: Mapping[str, Any]) -> dict:
        return {name: self.by_name.get(name, value) for name, value in values.items()}

    def split(self, text: str, quoted: bool = False) -> list[_Piece]:
        """``text`` cut at each token (``quoted``: with the JSON quotes around it)."""
        if not self.by_name:
            return [text]
        alternatives = "|".join(self._variables)
        pattern = f'"({alternatives})"' if quoted else f"({alternatives})"
        pieces: list[_Piece] = []
        for i, part in enumerate(re.split(pattern, text)):
            pieces.append(_Env(self._variables[part]) if i % 2 else part)
        return pieces


def _hidden_notes(tokens: _Tokens, how: str) -> list[str]:
    """What the body forms say of their hidden values (``how`` to escape them)."""
    if not tokens.by_name:
        return []
    variables = ", ".join(env_variable(name) for name in sorted(tokens.by_name))
    return [f"Hidden values come from {variables}, put into the JSON as they are: {how}."]


def _compact(value: Any) -> str:
    """Compact JSON of printable characters (control and invisible ones as ``\\u``)."""
    return printable_json(value, indent=None)


# -- startjob run ---------------------------------------------------------------------------------


def _set_option(name: str, value: Any, parse: Optional[Callable[[str], Any]]) -> str:
    """``--set NAME=TEXT`` when the text means the value exactly, else ``--set-json``."""
    if isinstance(value, str) and value.strip():
        try:
            same = parse is None or parse(value) == value
        except (ValueError, TypeError):
            same = False
        if same:
            return "--set " + sh_quote(f"{name}={value}")
    return "--set-json " + sh_quote(f"{name}={dumps(value)}")


def run_form(replay: Replay, values: Mapping[str, Any], *, hidden: set, asked: set,
             parsers: Mapping[str, Callable[[str], Any]], demo: bool,
             what: str = "argument") -> Form:
    """``startjob run TEMPLATE`` with ``--set`` for the values that differ from it.

    ``asked`` values are asked by ``startjob run`` itself (or read from
    ``STARTJOB_ARG_<NAME>``): never set. Other ``hidden`` ones come from a variable."""
    lines = [] if replay.saved else [SAVE_FIRST]
    words = ["startjob", "run", sh_quote(replay.path)]
    if demo:
        words.append("--demo")
    differing = replay.differing if replay.saved else None
    for name in sorted(set(values) | set(differing or ())):
        if name in asked or (differing is not None and name not in differing):
            continue
        if name not in values:  # saved in the template, left out now
            words.append("--set " + sh_quote(f"{name}="))
        elif name in hidden:
            words.append("--set " + _sh_pieces([f"{name}=", _Env(env_variable(name))]))
        else:
            words.append(_set_option(name, values[name], parsers.get(name)))
    lines.append(" ".join(words))
    for name in sorted(asked):
        lines.append(_comment(f"{name}: an ask {what}, typed at the prompt or read from "
                              f"{ASK_ENV_PREFIX}{name}"))
    for name in sorted(hidden - asked):
        if name in values and (differing is None or name in differing):
            lines.append(_comment(f"{name} looks secret: set {env_variable(name)} first"))
    return Form("run", "startjob run", "\n".join(lines))


# -- curl ---------------------------------------------------------------------------------------


def _token_lines(where: Where, scope: str) -> list[str]:
    """How to get ``$UIPATH_TOKEN`` for the sign-in mode in use (a ``#`` line each)."""
    from tui_app.orchestrator.auth import identity_url_for

    if where.auth_mode == "token":
        return [_comment(f"Token: your personal access token, e.g. "
                         f'export {TOKEN_VARIABLE}="$UIPATH_ACCESS_TOKEN"')]
    if where.auth_mode == "password":
        base = where.url.rstrip("/")
        return [_comment(
            f"Token (user and password): export {TOKEN_VARIABLE}=\"$(jq -n --arg t "
            f"{sh_quote(where.tenancy_name)} --arg u \"$UIPATH_USERNAME\" --arg p "
            "\"$UIPATH_PASSWORD\" '{tenancyName:$t,usernameOrEmailAddress:$u,password:$p}' | "
            f"curl -s {sh_quote(base + '/api/Account/Authenticate')} "
            "-H 'Content-Type: application/json' --data @- | jq -r .result)\"")]
    token_url = where.identity_url or identity_url_for(where.url)
    return [_comment(
        f"Token (client credentials): export {TOKEN_VARIABLE}=\"$(curl -s "
        f"{sh_quote(token_url)} -d grant_type=client_credentials --data-urlencode "
        "client_id=\"$UIPATH_CLIENT_ID\" --data-urlencode client_secret=\"$UIPATH_CLIENT_SECRET\" "
        f"--data-urlencode {sh_quote('scope=' + (where.scope or scope))} | jq -r .access_token)\"")]


def curl_form(where: Where, path: str, body_pieces: list[_Piece], folder_id: Optional[int],
              scope: str, notes: list[str]) -> Form:
    """``curl`` POSTing the body to ``path`` with the token and folder headers."""
    lines = _token_lines(where, scope) + [_comment(note) for note in notes]
    command = [f"curl -sS -X POST {sh_quote(where.url.rstrip('/') + path)}",
               f'-H "Authorization: Bearer ${TOKEN_VARIABLE}"']
    if folder_id is not None:
        command.append("-H " + sh_quote(f"X-UIPATH-OrganizationUnitId: {folder_id}"))
    command += ["-H 'Content-Type: application/json'", "--data " + _sh_pieces(body_pieces)]
    lines.append(" \\\n  ".join(command))
    return Form("curl", "curl", "\n".join(lines))


# -- the jobs ------------------------------------------------------------------------------------

#: The ``startInfo`` fields each official tool sets from its own options.
_UIP_FIELDS = {"ReleaseKey", "Strategy", "JobsCount", "RuntimeType", "InputArguments",
               "Reference"}
_PS_FIELDS = {"ReleaseKey", "Strategy", "JobsCount", "RuntimeType", "InputArguments"}


def _not_offered(tool: str, info: Mapping[str, Any]) -> list[str]:
    """A ``#`` line per ``startInfo`` field that ``tool`` cannot set."""
    known = _UIP_FIELDS if tool == "uip" else _PS_FIELDS
    lines = []
    for key, value in info.items():
        if key in known:
            continue
        if key == "Source":
            lines.append(_comment(f"Not offered by {tool}: Source ({value}); it sends its own"))
        else:
            lines.append(_comment(f"Not offered by {tool}: {key} = {dumps(value)}"))
    return lines


def _inputs(info: Mapping[str, Any], tokens: _Tokens, quote: str) -> Optional[list[_Piece]]:
    """The ``InputArguments`` text as pieces (None when there is none)."""
    text = info.get("InputArguments")
    if not isinstance(text, str) or text == "{}":
        return None
    return tokens.split(escape_unprintable(text), quoted=quote == "ps")


def _modern_only(tool: str, plan: StartPlan) -> Optional[str]:
    """Why ``tool`` cannot make this start (it starts modern jobs by count only)."""
    if plan.strategy.kind != MODERN_STRATEGY:
        return (f"{tool} has no equivalent of the classic {plan.strategy.kind} strategy "
                "(it starts a number of jobs in a modern folder): use the startjob run or "
                "curl form.")
    return None


def uip_form(plan: StartPlan, info: Mapping[str, Any], tokens: _Tokens) -> Form:
    """``uip or jobs start`` (the UiPath CLI) for a modern start."""
    lines = [_comment("UiPath CLI: sign in first with uip login; the process is its Key "
                      "(a GUID)")]
    problem = _modern_only("uip or jobs start", plan)
    if problem:
        return Form("uip", "uip CLI", "\n".join([*lines, _comment(problem)]))
    words = ["uip or jobs start", sh_quote(plan.release.key)]
    if plan.folder is not None:
        words += (["--folder-key", sh_quote(plan.folder.key)] if plan.folder.key
                  else ["--folder-path", sh_quote(plan.folder.fully_qualified_name)])
    words += ["--jobs-count", str(plan.strategy.jobs_count),
              "--runtime-type", sh_quote(plan.strategy.runtime_type)]
    inputs = _inputs(info, tokens, "sh")
    if inputs is not None:
        words += ["--input-arguments", _sh_pieces(inputs)]
    if "Reference" in info:
        words += ["--reference", sh_quote(str(info["Reference"]))]
    lines.append(" ".join(words))
    return Form("uip", "uip CLI", "\n".join(lines + _not_offered("uip", info)))


def _ps_wildcard(text: str) -> str:
    """``text`` with PowerShell's wildcard characters escaped (``-Name`` and ``-Path`` take
    wildcards)."""
    return re.sub(r"([*?\[\]`])", r"`\1", text)


def powershell_form(plan: StartPlan, info: Mapping[str, Any], tokens: _Tokens) -> Form:
    """``Start-OrchJob`` (the UiPathOrch module) for a modern start."""
    lines = [_comment("PowerShell, UiPathOrch module (Install-Module UiPathOrch), signed in "
                      "by its config; Orch1: stands for this Orchestrator's drive")]
    problem = _modern_only("Start-OrchJob", plan)
    if problem:
        return Form("powershell", "PowerShell", "\n".join([*lines, _comment(problem)]))
    words = ["Start-OrchJob"]
    if plan.folder is not None:
        folder = plan.folder.fully_qualified_name.replace("/", "\\")
        words += ["-Path", ps_quote("Orch1:\\" + _ps_wildcard(folder))]
    words += ["-Name", ps_quote(_ps_wildcard(plan.release.name)),
              "-RuntimeType", ps_quote(plan.strategy.runtime_type),
              "-JobsCount", str(plan.strategy.jobs_count)]
    inputs = _inputs(info, tokens, "ps")
    if inputs is not None:
        parts = [f"(ConvertTo-Json -Compress $env:{p.variable})" if isinstance(p, _Env)
                 else ps_quote(p) for p in inputs if p != ""]
        words += ["-InputArguments", parts[0] if len(parts) == 1 else
                  "(" + " + ".join(parts) + ")"]
    lines.append(" ".join(words))
    variables = sorted({p.variable for p in inputs or () if isinstance(p, _Env)})
    lines += [_comment(f"Set $env:{v} first (a hidden value)") for v in variables]
    return Form("powershell", "PowerShell", "\n".join(lines + _not_offered("Start-OrchJob",
                                                                            info)))


def job_forms(plan: StartPlan, where: Where, replay: Replay, *, hidden: set, asked: set,
              parsers: Mapping[str, Callable[[str], Any]]) -> list[Form]:
    """The hand-off forms of a job start (``hidden``: names whose value is never written,
    ``asked`` among them the template's ``ask`` ones). Raises ``PlanError``."""
    tokens = _Tokens({name for name in plan.arguments if name in hidden})
    info = dataclasses.replace(plan, arguments=tokens.values(plan.arguments)).preview_info()
    notes = _hidden_notes(tokens, 'escape " and \\ in them twice (InputArguments is JSON '
                                  "inside JSON)")
    if info.get("InputFile") == INPUT_FILE_PLACEHOLDER:
        notes.append("The arguments go as a job attachment that startjob uploads at Start; "
                     "curl cannot: use the startjob run form for this start.")
    body = tokens.split(_compact({"startInfo": info}))
    folder_id = plan.folder.id if plan.folder is not None else None
    return [
        run_form(replay, plan.arguments, hidden=hidden, asked=asked, parsers=parsers,
                 demo=where.demo),
        curl_form(where, START_JOBS_PATH, body, folder_id, "OR.Jobs", notes),
        powershell_form(plan, info, tokens),
        uip_form(plan, info, tokens),
    ]


def queue_forms(plan: QueuePlan, where: Where, replay: Replay, *, hidden: set, asked: set,
                parsers: Mapping[str, Callable[[str], Any]]) -> list[Form]:
    """The hand-off forms of a queue item. Raises ``PlanError``."""
    tokens = _Tokens({name for name in plan.content if name in hidden})
    data = dataclasses.replace(plan, content=tokens.values(plan.content)).item_data()
    body = tokens.split(_compact({"itemData": data}))
    folder_id = plan.folder.id if plan.folder is not None else None
    notes = _hidden_notes(tokens, 'escape " and \\ in them')
    none = "no command to add a queue item is known for {}: use the startjob run or curl form."
    return [
        run_form(replay, plan.content, hidden=hidden, asked=asked, parsers=parsers,
                 demo=where.demo, what="content field"),
        curl_form(where, ADD_QUEUE_ITEM_PATH, body, folder_id, "OR.Queues", notes),
        Form("powershell", "PowerShell", _comment("PowerShell: " + none.format("UiPathOrch"))),
        Form("uip", "uip CLI", _comment("uip CLI: " + none.format("uip"))),
    ]
