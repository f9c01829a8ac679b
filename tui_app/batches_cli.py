"""``startjob batches`` (every batch with its counts, newest first) and ``startjob batches
show ID`` (each row's last outcome), from the batch ledgers (``tui_app.ledger``)."""

from __future__ import annotations

import json
import sys
from typing import Optional

from tui_app.exit_codes import EXIT_OK, EXIT_USAGE
from tui_app.ledger import LedgerError, find_batch, list_batches, read_records
from tui_app.table import format_table, terminal_width
from tui_app.text import visible

__all__ = ["run_batches"]


def _cell(value: object) -> str:
    return visible(str(value if value is not None else ""), single_line=True, limit=200)


def run_batches(action: Optional[str], batch: Optional[str], output: str) -> int:
    """List the batches, or show one (``action == "show"``); returns the exit code."""
    if action == "show" or batch:
        return _show(batch or "", output)
    found = list_batches()
    if output == "json":
        print(json.dumps({"batches": [b.to_json() for b in found]}, indent=2))
        return EXIT_OK
    if not found:
        print("No batches yet: 'startjob run TEMPLATE --rows FILE' starts one.")
        return EXIT_OK
    rows = [["ID", "TEMPLATE", "CREATED", "ROWS", "STARTED", "REFUSED", "PENDING"]]
    for summary in found:
        data = summary.to_json()
        rows.append([summary.id[:12], _cell(data["template"]),
                     _cell(str(data["created"] or "")[:16].replace("T", " ")),
                     str(data["rows"]), str(data["started"]), str(data["refused"]),
                     str(data["pending"])])
    for line in format_table(rows, min(terminal_width(), 80), keep=(0, 3, 4, 5, 6)):
        print(line)
    return EXIT_OK


def _show(prefix: str, output: str) -> int:
    try:
        summary = find_batch(prefix)
    except LedgerError as exc:
        print(f"startjob batches: {exc}", file=sys.stderr)
        return EXIT_USAGE
    last: dict = {}
    for record in read_records(summary.path):
        if record.get("kind") == "row" and isinstance(record.get("row"), int):
            last[record["row"]] = record
    if output == "json":
        print(json.dumps({**summary.to_json(),
                          "row_outcomes": [last[n] for n in sorted(last)]}, indent=2))
        return EXIT_OK
    data = summary.to_json()
    print(f"Batch     {summary.id}")
    print(f"Template  {_cell(data['template'])}  ({_cell(data['template_path'])})")
    print(f"Rows      {_cell(data['rows_source'])}: {data['rows']} rows, {data['started']} "
          f"started, {data['refused']} refused, {data['pending']} pending")
    rows = [["ROW", "STATE", "REFERENCE", "JOBS / WHY"]]
    for number in sorted(last):
        record = last[number]
        jobs = record.get("jobs") or []
        detail = (", ".join(str(job.get("Id")) for job in jobs if isinstance(job, dict))
                  or record.get("message") or "")
        rows.append([str(number), _cell(record.get("state")), _cell(record.get("reference")),
                     _cell(detail)])
    for line in format_table(rows, min(terminal_width(), 80), keep=(0, 1)):
        print(line)
    return EXIT_OK
