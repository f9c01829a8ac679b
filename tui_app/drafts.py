"""The wizard's unfinished choices as a draft file.

A :class:`Draft` holds everything chosen or typed so far except secrets: the client secret,
password and access token are never part of it (they cannot even be passed in), and argument
values whose *name* looks like a secret (password, token, api key...) are left out too, and
so are those of a template's ``ask`` arguments. The draft lives in ``data_dir()/draft.json``
and is written atomically, so a crash or a kill leaves the previous draft or the new one,
never half a file. ``load_draft`` never raises for a bad file: it reports why the draft was
ignored.

Leaving when the terminal goes (signals, a vanished terminal) is ``tui_app.hangup``.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional, Union

from tui_app.files import atomic_write_text
from tui_app.locations import LocationError, data_dir
from tui_app.secretnames import looks_secret

__all__ = [
    "DRAFT_FORMAT",
    "DRAFT_VERSION",
    "SECRET_KEYS",
    "Draft",
    "DraftLoad",
    "discard_draft",
    "draft_from_state",
    "draft_path",
    "load_draft",
    "save_draft",
]

log = logging.getLogger(__name__)

DRAFT_FORMAT = "startjob-draft"
DRAFT_VERSION = 1
#: A draft bigger than this is not read (a draft is a few kilobytes).
MAX_DRAFT_BYTES = 2_000_000
#: Keys that are secrets wherever they appear; never stored.
SECRET_KEYS = frozenset({"client_secret", "password", "token", "access_token",
                         "personal_access_token", "refresh_token", "secret"})
_FILE_NAME = "draft.json"


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class Draft:
    """The wizard's choices so far, without secrets. Every field is plain JSON data."""

    url: str = ""
    auth_mode: str = ""
    client_id: str = ""
    tenancy_name: str = ""
    username: str = ""
    scope: str = ""
    identity_url: str = ""
    #: Fully qualified folder path ("" when no folder was chosen).
    folder_path: str = ""
    search_text: str = ""
    process_key: str = ""
    release_key: str = ""
    environment: str = ""
    #: Specific / JobsCount / All / ModernJobsCount ("" when not chosen yet).
    strategy_kind: str = ""
    robot_names: list = field(default_factory=list)
    jobs_count_text: str = ""
    runtime_type: str = ""
    #: What was typed per argument name (secret-looking and ``ask`` names are left out).
    argument_texts: dict = field(default_factory=dict)
    #: The Options step as typed (``wizard.state.OptionsChoice``: names and texts, no ids).
    options: dict = field(default_factory=dict)
    #: Arguments asked at every start (a template's ``ask``): named, their values never kept.
    ask_names: list = field(default_factory=list)
    #: The jobs the session had started or was following (``{"id": int, "key": str}``):
    #: resuming the draft reopens their monitor instead of offering to start again.
    started_jobs: list = field(default_factory=list)
    #: The folder id of those jobs (None: no folder) and their history entry id ("": none).
    started_folder_id: Optional[int] = None
    history_id: str = ""
    #: ``add_queue_item``: the queue; ``argument_texts`` then holds the content as typed,
    #: ``options`` the item options, ``content_kinds`` the key/value editor's kinds, and
    #: ``started_jobs`` the item added ({id, key}).
    action: str = ""
    queue_name: str = ""
    content_kinds: dict = field(default_factory=dict)
    #: The wizard step reached (Connect, Folder, Process, ...).
    step: str = ""
    #: When the draft was saved (ISO 8601, UTC).
    saved_at: str = ""

    def __post_init__(self) -> None:
        self.robot_names = [str(name) for name in (self.robot_names or [])]
        self.ask_names = [str(name) for name in (self.ask_names or [])]
        self.started_jobs = [{"id": int(job["id"]), "key": str(job["key"])}
                             for job in (self.started_jobs or [])]
        self.argument_texts = {
            str(name): str(text)
            for name, text in dict(self.argument_texts or {}).items()
            if not looks_secret(name)
            and str(name).lower() not in SECRET_KEYS
            and str(name) not in self.ask_names
        }

    # -- conversions ----------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: dict) -> Draft:
        """A draft from loose data: unknown keys and secrets are dropped; types are checked.

        ``TypeError`` names a field of the wrong type.
        """
        if not isinstance(data, dict):
            raise TypeError("a draft is a JSON object")
        values: dict = {}
        for item in fields(cls):
            if item.name not in data or item.name in SECRET_KEYS:
                continue
            value = data[item.name]
            if item.name in ("robot_names", "ask_names"):
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise TypeError(f"{item.name} must be a list of text")
            elif item.name == "started_jobs":
                if not isinstance(value, list) or not all(_is_job(v) for v in value):
                    raise TypeError("started_jobs must be a list of {id, key}")
            elif item.name == "started_folder_id":
                if value is not None and type(value) is not int:
                    raise TypeError("started_folder_id must be a whole number")
            elif item.name == "options":
                if not isinstance(value, dict) or not all(
                    isinstance(v, str) for v in value.values()
                ):
                    raise TypeError("options must map names to text")
            elif item.name in ("argument_texts", "content_kinds"):
                if not isinstance(value, dict) or not all(
                    isinstance(v, str) for v in value.values()
                ):
                    raise TypeError(f"{item.name} must map names to text")
            elif not isinstance(value, str):
                raise TypeError(f"{item.name} must be text")
            values[item.name] = value
        return cls(**values)

    def to_dict(self) -> dict:
        """The draft as JSON data (with the file format marker and version)."""
        data = {"format": DRAFT_FORMAT, "version": DRAFT_VERSION}
        data.update(asdict(self))
        for key in SECRET_KEYS:  # belt and braces: a subclass could add one
            data.pop(key, None)
        return data


def _is_job(value: Any) -> bool:
    return (isinstance(value, dict) and type(value.get("id")) is int
            and isinstance(value.get("key"), str))


@dataclass(frozen=True)
class DraftLoad:
    """What ``load_draft`` found: a draft, or why there is none (``problem``, for the user)."""

    draft: Optional[Draft] = None
    problem: Optional[str] = None
    path: Optional[Path] = None

    def __bool__(self) -> bool:
        return self.draft is not None


def draft_path() -> Path:
    """Where the draft is kept: ``data_dir()/draft.json``."""
    return data_dir() / _FILE_NAME


def _path(path: Union[str, os.PathLike, None]) -> Path:
    return Path(path) if path is not None else draft_path()


def save_draft(draft: Draft, path: Union[str, os.PathLike, None] = None) -> Path:
    """Write the draft atomically (owner-only permissions) and return its path.

    ``saved_at`` is set to now. Raises ``LocationError`` / ``OSError`` when the folder
    cannot be written.
    """
    draft.saved_at = _now()
    text = json.dumps(draft.to_dict(), ensure_ascii=False, indent=2) + "\n"
    return atomic_write_text(_path(path), text, mode=0o600)


def load_draft(path: Union[str, os.PathLike, None] = None) -> DraftLoad:
    """Read the draft. Never raises: a missing file is an empty result without a problem;
    a damaged, foreign or newer-format file is an empty result with ``problem`` saying why
    it was ignored (the file is left in place for ``discard_draft``)."""
    try:
        target = _path(path)
    except LocationError as exc:
        return DraftLoad(problem=str(exc))
    where = f"The saved draft {target}"
    try:
        size = target.stat().st_size
        if size > MAX_DRAFT_BYTES:
            return DraftLoad(problem=f"{where} is too big ({size:,} bytes) to be a draft; it "
                                     "was ignored.", path=target)
        raw = target.read_bytes()
    except FileNotFoundError:
        return DraftLoad(path=target)
    except OSError as exc:
        return DraftLoad(problem=f"{where} could not be read ({exc.strerror or exc}); it was "
                                 "ignored.", path=target)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return DraftLoad(problem=f"{where} is damaged ({exc}); it was ignored.", path=target)
    if not isinstance(data, dict) or data.get("format") != DRAFT_FORMAT:
        return DraftLoad(problem=f"{where} is not a startjob draft; it was ignored.",
                         path=target)
    version = data.get("version")
    if version != DRAFT_VERSION:
        newer = isinstance(version, int) and not isinstance(version, bool) and (
            version > DRAFT_VERSION)
        why = ("was saved by a newer startjob" if newer
               else f"has an unknown format version ({version!r})")
        return DraftLoad(problem=f"{where} {why}; it was ignored.", path=target)
    try:
        draft = Draft.from_dict(data)
    except TypeError as exc:
        return DraftLoad(problem=f"{where} is damaged ({exc}); it was ignored.", path=target)
    return DraftLoad(draft=draft, path=target)


def discard_draft(path: Union[str, os.PathLike, None] = None) -> bool:
    """Delete the draft (and temporary files a killed save left). True when one was deleted."""
    try:
        target = _path(path)
    except LocationError:
        return False
    removed = False
    try:
        target.unlink()
        removed = True
    except FileNotFoundError:
        pass
    try:
        leftovers = list(target.parent.glob(f".{target.name}.*.tmp"))
    except OSError:
        leftovers = []
    for leftover in leftovers:
        try:
            leftover.unlink()
        except OSError:
            pass
    return removed


# ------------------------------------------------------------------------------ the wizard


def _options(choice: Any) -> dict:
    """The Options step's texts of an ``OptionsChoice``-shaped object ({} for none)."""
    try:
        return {name: value for name, value in asdict(choice).items() if isinstance(value, str)}
    except TypeError:
        return {}


def draft_from_state(state: Any, step: str = "") -> Draft:
    """A draft of a ``WizardState``-shaped object (duck-typed; no UI import).

    Reads ``settings`` (``ConnectionSettings``), ``folder``, ``search_text``, ``release``,
    ``strategy_kind``, ``selected_robots`` (robot ids per ``robots_key()``), ``environments``
    / ``folder_robots`` (for robot names), ``jobs_count_text``, ``runtime_type`` and
    ``argument_texts`` and ``ask_names`` (a template's ``ask``: named, values left out),
    and ``jobs`` (the started jobs: their ids and keys, and the folder's id).
    """
    settings = getattr(state, "settings", None)

    def setting(name: str) -> str:
        value = getattr(settings, name, "") if settings is not None else ""
        return value if isinstance(value, str) else ""

    folder = getattr(state, "folder", None)
    release = getattr(state, "release", None)
    robot_names: list = []
    try:
        key = state.robots_key()
        chosen = set(getattr(state, "selected_robots", {}).get(key, ()))
        if chosen:
            if state.is_classic:
                environment = state.environment()
                pool = list(environment.robots) if environment is not None else []
            else:
                pool = list(getattr(state, "folder_robots", {}).get(
                    folder.id if folder is not None else None, []))
            robot_names = [robot.name for robot in pool if robot.id in chosen]
    except (AttributeError, TypeError):
        robot_names = []
    started = [{"id": job.id, "key": job.key} for job in getattr(state, "jobs", None) or ()
               if isinstance(getattr(job, "id", None), int) and isinstance(job.key, str)]
    if getattr(state, "action", "") == "add_queue_item":
        return Draft(
            url=setting("url"), auth_mode=setting("auth_mode"), client_id=setting("client_id"),
            tenancy_name=setting("tenancy_name"), username=setting("username"),
            scope=setting("scope"), identity_url=setting("identity_url"),
            folder_path=getattr(folder, "fully_qualified_name", "") or "",
            ask_names=sorted(getattr(state, "ask_names", ()) or ()), step=step,
            **_queue_fields(state))
    return Draft(
        url=setting("url"),
        auth_mode=setting("auth_mode"),
        client_id=setting("client_id"),
        tenancy_name=setting("tenancy_name"),
        username=setting("username"),
        scope=setting("scope"),
        identity_url=setting("identity_url"),
        folder_path=getattr(folder, "fully_qualified_name", "") or "",
        search_text=getattr(state, "search_text", "") or "",
        process_key=getattr(release, "process_key", "") or "",
        release_key=getattr(release, "key", "") or "",
        environment=getattr(release, "environment_name", "") or "",
        strategy_kind=getattr(state, "strategy_kind", "") or "",
        robot_names=robot_names,
        jobs_count_text=getattr(state, "jobs_count_text", "") or "",
        runtime_type=getattr(state, "runtime_type", "") or "",
        argument_texts=dict(getattr(state, "argument_texts", {}) or {}),
        options=_options(getattr(state, "options", None)),
        ask_names=sorted(getattr(state, "ask_names", ()) or ()),
        started_jobs=started,
        started_folder_id=getattr(folder, "id", None) if started else None,
        step=step,
    )


def _queue_fields(state: Any) -> dict:
    """The draft fields of the queue steps' choices (``state.queue``)."""
    choice = state.queue
    queue, added = choice.queue, choice.added
    rows = [row for row in choice.rows if row.name.strip()]
    values: dict = {
        "action": "add_queue_item",
        "queue_name": getattr(queue, "name", "") or "",
        "search_text": choice.search_text,
        "argument_texts": ({row.name.strip(): row.text for row in rows} if rows
                           else dict(choice.content_texts)),
        "content_kinds": {row.name.strip(): row.kind for row in rows},
        "options": _options(choice.item),
    }
    if added is not None:
        values["started_jobs"] = [{"id": added.id, "key": added.key}]
        values["started_folder_id"] = getattr(state.folder, "id", None)
    return values
