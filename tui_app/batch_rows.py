"""The rows of a batch (``startjob run TEMPLATE --rows FILE``), read as a stream.

A rows file is ``.csv`` (a header row names the columns; every value is text, converted like
``--set NAME=TEXT``), ``.jsonl`` (one JSON object per line; values convert like
``--set-json`` or an event's), or ``-``: JSON lines on standard input, copied to a temporary
file first so the rows can be read twice (once to validate every row, once to start them)
without keeping them in memory. ``RowSource.rows()`` yields one ``Row`` at a time; blank
lines of a JSON-lines file are skipped. Every problem is a ``RowsError`` with one line that
names the file and line.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Optional

from tui_app.arguments.jsontext import JsonSyntaxError, dumps, loads

__all__ = ["Row", "RowSource", "RowsError"]

#: How much of standard input is kept in memory before the copy goes to disk.
_SPOOL_BYTES = 1 << 20


class RowsError(ValueError):
    """A rows file cannot be used; the message is one line naming the file and line."""


@dataclass(frozen=True)
class Row:
    """One row: its number (1 = the first data row), its line in the file, its values
    (column -> text for CSV, the JSON object for JSON lines) and a hash of its content."""

    number: int
    line: int
    data: dict
    digest: str


class RowSource:
    """A ``.csv`` or ``.jsonl`` file, or ``-`` (standard input as JSON lines)."""

    def __init__(self, source: str, stdin: Optional[IO[Any]] = None) -> None:
        self.source = source
        self._spool: Optional[IO[bytes]] = None
        if source == "-":
            self.name = "standard input"
            self.kind = "jsonl"
            stream = stdin if stdin is not None else sys.stdin
            self._spool = tempfile.SpooledTemporaryFile(_SPOOL_BYTES)  # noqa: SIM115 - close()
            shutil.copyfileobj(getattr(stream, "buffer", stream), self._spool)
            return
        path = Path(source).expanduser()
        self.name = str(path)
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".jsonl"):
            raise RowsError(f"{self.name}: --rows takes a .csv or .jsonl file (or - for JSON "
                            "lines on standard input).")
        self.kind = suffix[1:]
        if not path.is_file():
            raise RowsError(f"{self.name}: no such file.")
        self._path = path

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()

    def _open(self) -> IO[bytes]:
        if self._spool is not None:
            self._spool.seek(0)
            return self._spool
        try:
            return self._path.open("rb")
        except OSError as exc:
            raise RowsError(f"{self.name}: cannot be read: {exc.strerror or exc}.") from None

    def digest(self) -> str:
        """The SHA-256 of the whole content (read in blocks)."""
        hashed = hashlib.sha256()
        stream = self._open()
        try:
            for block in iter(lambda: stream.read(1 << 16), b""):
                hashed.update(block if isinstance(block, bytes) else block.encode("utf-8"))
        finally:
            if self._spool is None:
                stream.close()
        return hashed.hexdigest()

    def rows(self) -> Iterator[Row]:
        """Every row, in order (may be called again: each call reads from the start)."""
        binary = self._open()
        text = _Text(binary, self.name)
        try:
            if self.kind == "csv":
                yield from self._csv(text)
            else:
                yield from self._jsonl(text)
        finally:
            if self._spool is None:
                binary.close()

    def _csv(self, text: _Text) -> Iterator[Row]:
        reader = csv.reader(text, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                raise RowsError(f"{self.name}: empty: a CSV rows file starts with a header "
                                "row naming the columns.")
            names = [name.strip() for name in header]
            if any(not name for name in names):
                raise RowsError(f"{self.name}:1: a column of the header has no name.")
            twice = sorted({name for name in names if names.count(name) > 1})
            if twice:
                raise RowsError(f"{self.name}:1: the header names {', '.join(twice)} twice.")
            number = 0
            for values in reader:
                if not values or values == [""]:
                    continue  # a blank line
                number += 1
                if len(values) != len(names):
                    raise RowsError(f"{self.name}:{reader.line_num}: {len(values)} values, but "
                                    f"the header has {len(names)} columns.")
                digest = hashlib.sha256(dumps(values).encode("utf-8")).hexdigest()
                yield Row(number, reader.line_num, dict(zip(names, values)), digest)
        except csv.Error as exc:
            raise RowsError(f"{self.name}:{reader.line_num}: not valid CSV: {exc}.") from None
        if number == 0:
            raise RowsError(f"{self.name}: no rows below the header.")

    def _jsonl(self, text: _Text) -> Iterator[Row]:
        number = 0
        for line_number, line in enumerate(text, start=1):
            stripped = line.strip()
            if not stripped:
                continue
            number += 1
            yield Row(number, line_number, parse_object(stripped, f"{self.name}:{line_number}"),
                      hashlib.sha256(stripped.encode("utf-8")).hexdigest())
        if number == 0:
            raise RowsError(f"{self.name}: empty: one JSON object per line was expected.")


def parse_object(text: str, where: str) -> dict:
    """One JSON-lines record: a JSON object, or a ``RowsError`` naming ``where``."""
    try:
        value = loads(text, unique_keys=False)
    except JsonSyntaxError as exc:
        raise RowsError(f"{where}: not valid JSON: {exc}.") from None
    if not isinstance(value, dict):
        raise RowsError(f"{where}: must be a JSON object ({{...}}), not a list or a single "
                        "value.")
    return value


class _Text:
    """UTF-8 lines of a binary stream (a byte-order mark at the start is skipped); a bad
    byte is a ``RowsError`` with its line."""

    def __init__(self, binary: IO[bytes], name: str) -> None:
        self._binary = binary
        self._name = name

    def __iter__(self) -> Iterator[str]:
        for number, raw in enumerate(self._binary, start=1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise RowsError(f"{self._name}:{number}: not UTF-8 text (bad byte at column "
                                f"{exc.start + 1}).") from None
            yield line
