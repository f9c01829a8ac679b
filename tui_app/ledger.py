"""The batch ledger: what became of each row of a batch, written as it happens.

One JSON-lines file per batch, ``data_dir()/batches/<batch id>.jsonl``: a header record
(``"kind": "header"``: template name and path, rows source, created, number of rows,
action), then one record per row event (``"kind": "row"``) with the row number, its
Reference and its state:

- ``starting``: written (and synced) BEFORE the request is sent (a few rows ahead at
  once: ``batch._Engine.mark``);
- ``unsent``: a row written ``starting`` ahead that a stop left unsent (a resume sends it);
- ``started`` (``jobs``: ids and keys) or ``added`` (a queue item; ``items`` when known);
- ``refused`` (``message``, ``error_code``): Orchestrator said no; tried again on resume;
- ``unknown``: the answer was lost and Orchestrator could not be asked;
- ``filtered``: an event the template's filter skipped (event streams).

Each record is one ``os.write`` of one line on an ``O_APPEND`` descriptor: a kill leaves at
most a torn last line, which reading ignores. A ``starting`` record is synced (``fsync``,
off the event loop) before its request is sent, which also syncs every record before it;
the other records reach the disk with the next sync or when the ledger is closed. The
batch id is a hash of the command (``batch_id``), so running the same command again finds
the same ledger and resumes it; each row's Reference ends in ``row_tail`` (or
``event_tail``), deterministic too.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tui_app.locations import data_dir, ensure_dir

__all__ = [
    "DONE_STATES",
    "OPEN_STATES",
    "Ledger",
    "LedgerError",
    "BatchSummary",
    "batch_id",
    "batches_dir",
    "event_tail",
    "find_batch",
    "list_batches",
    "read_records",
    "row_states",
    "row_tail",
    "stream_key",
]

#: Row states after which a row is never sent again.
DONE_STATES = frozenset({"started", "added", "filtered"})
#: Row states that may or may not have reached Orchestrator: looked up by Reference first.
OPEN_STATES = frozenset({"starting", "unknown"})
#: Orchestrator's limit on a job's or a queue item's Reference.
MAX_REFERENCE = 128


class LedgerError(ValueError):
    """No such batch, or an id prefix that names several."""


def batches_dir() -> Path:
    return data_dir() / "batches"


def batch_id(parts: Sequence[str]) -> str:
    """The id of a batch: the SHA-256 (hex) of what identifies the command."""
    hashed = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8")
        hashed.update(len(data).to_bytes(8, "big") + data)
    return hashed.hexdigest()


def row_tail(batch: str, number: int, digest: str) -> str:
    """The unique end of a row's Reference, ``b<12 hex of the batch id>:<row>:<8 hex of the
    row's hash>`` (after ``startjob:`` or the template's own reference)."""
    return f"b{batch[:12]}:{number}:{digest[:8]}"


def stream_key(template_path: str, template_name: str) -> str:
    """What an event's Reference is made from: the template (its file and name), never the
    stream, so a re-delivered event has the same Reference in every run."""
    return batch_id(["events", str(Path(template_path).resolve()), template_name])


def event_tail(key: str, event_id: str) -> str:
    """The unique end of an event's Reference, ``e<12 hex of key>:<16 hex of the event id's
    hash>``: the same event id gives the same Reference in every stream of the template
    (``key``)."""
    digest = hashlib.sha256(f"{key}\0{event_id}".encode()).hexdigest()
    return f"e{key[:12]}:{digest[:16]}"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Ledger:
    """An open batch ledger: ``append`` one record at a time (context manager)."""

    def __init__(self, path: Path, header: dict) -> None:
        self.path = path
        ensure_dir(path.parent, private=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        #: Records written by this ``Ledger`` so far (a sync covers every one before it).
        self.written = 0
        if os.fstat(self._fd).st_size == 0:
            self.append({"kind": "header", "version": 1, "created": _now(), **header})

    def append(self, record: dict, *, sync: bool = True) -> None:
        """Write ``record`` as one line, in one write; ``sync``: then ``fsync`` the file
        (which also syncs every record written before it)."""
        line = json.dumps({"at": _now(), **record}, ensure_ascii=False,
                          separators=(",", ":"), default=str) + "\n"
        os.write(self._fd, line.encode("utf-8"))
        self.written += 1
        if sync:
            self.sync()

    def sync(self) -> None:
        os.fsync(self._fd)

    def row(self, number: int, state: str, reference: str, *, sync: bool = False,
            **facts: Any) -> None:
        """A row record; unsynced by default (a kill loses nothing written: the next sync,
        or closing, puts it on disk)."""
        self.append({"kind": "row", "row": number, "state": state, "reference": reference,
                     **facts}, sync=sync)

    def close(self) -> None:
        try:
            self.sync()
        finally:
            os.close(self._fd)

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def read_records(path: Path) -> Iterator[dict]:
    """The records of a ledger; a torn or unreadable line (a kill mid-write) is skipped."""
    try:
        stream = path.open("rb")
    except FileNotFoundError:
        return
    with stream:
        for raw in stream:
            if not raw.endswith(b"\n"):
                return  # the torn last line of a killed writer
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record


@dataclass
class RowState:
    """The last record of one row (compact: what a resume needs)."""

    state: str
    reference: str
    jobs: list = field(default_factory=list)
    message: str = ""


def row_states(path: Path) -> dict[int, RowState]:
    """Each row's last state, by row number."""
    states: dict[int, RowState] = {}
    for record in read_records(path):
        if record.get("kind") == "row" and isinstance(record.get("row"), int):
            states[record["row"]] = RowState(str(record.get("state")),
                                             str(record.get("reference", "")),
                                             list(record.get("jobs") or []),
                                             str(record.get("message") or ""))
    return states


@dataclass
class BatchSummary:
    """One batch as ``startjob batches`` lists it."""

    id: str
    path: Path
    header: dict
    rows: int
    counts: dict

    @property
    def pending(self) -> int:
        done = sum(self.counts.get(state, 0) for state in (*DONE_STATES, "refused"))
        return max(self.rows - done, 0)

    def to_json(self) -> dict:
        return {"id": self.id, "template": self.header.get("template"),
                "template_path": self.header.get("template_path"),
                "rows_source": self.header.get("rows_source"),
                "created": self.header.get("created"), "rows": self.rows,
                "started": self.counts.get("started", 0) + self.counts.get("added", 0),
                "refused": self.counts.get("refused", 0),
                "unknown": self.counts.get("unknown", 0) + self.counts.get("starting", 0),
                "filtered": self.counts.get("filtered", 0), "pending": self.pending}


def summarize(path: Path) -> BatchSummary:
    header: dict = {}
    states: dict[int, str] = {}
    for record in read_records(path):
        if record.get("kind") == "header":
            header = record
        elif record.get("kind") == "row" and isinstance(record.get("row"), int):
            states[record["row"]] = str(record.get("state"))
    counts: dict[str, int] = {}
    for state in states.values():
        counts[state] = counts.get(state, 0) + 1
    rows = header.get("rows")
    total = rows if isinstance(rows, int) else max(states, default=0)
    return BatchSummary(path.stem, path, header, max(total, len(states)), counts)


def list_batches() -> list[BatchSummary]:
    """Every batch, newest first."""
    folder = batches_dir()
    if not folder.is_dir():
        return []
    found = [summarize(path) for path in folder.glob("*.jsonl")]
    return sorted(found, key=lambda b: (str(b.header.get("created", "")), b.id), reverse=True)


def find_batch(prefix: str) -> BatchSummary:
    """The batch whose id starts with ``prefix``; ``LedgerError`` for none or several."""
    wanted = prefix.strip().lower()
    if not wanted:
        raise LedgerError("give a batch id (or the start of one; see 'startjob batches').")
    matches = [b for b in list_batches() if b.id.startswith(wanted)]
    if not matches:
        raise LedgerError(f"no batch id starts with {prefix!r} (see 'startjob batches').")
    if len(matches) > 1:
        raise LedgerError(f"{len(matches)} batches start with {prefix!r}; give more of the "
                          "id.")
    return matches[0]
