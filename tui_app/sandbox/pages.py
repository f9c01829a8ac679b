"""The Orchestrator web page of one job, at the URL the product links a job to:
``{orchestrator}/jobs(sidepanel:sidepanel/jobs/{key}/details)?fid={folder id}`` on either URL
shape (``tui_app.jobrefs.job_details_url``).

A small plain HTML page (no sign-in: the sandbox is a loopback demo) with the job's state,
process, robot, times, info, error, arguments and its last robot log lines; it reloads every
few seconds until the job ends. Every text is HTML-escaped and the page forbids scripts and
other resources (``Content-Security-Policy: default-src 'none'``). ``fid`` (optional) must be
the job's folder; a job the URL shape does not serve (a classic folder's, on the cloud shape),
an unknown key or another folder's ``fid`` answer a 404 page.
"""

from __future__ import annotations

import html
from collections import deque
from typing import Optional

from tui_app.sandbox.dtos import format_time
from tui_app.sandbox.jobs import Job
from tui_app.sandbox.robotlogs import job_lines
from tui_app.sandbox.tenant import Tenant
from tui_app.sandbox.wire import Request, Response

#: How many of the job's latest robot log lines the page shows.
LOG_LINES = 10
RELOAD_SECONDS = 5
_HEADERS = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "X-Content-Type-Options": "nosniff"}
_STYLE = ("body{font-family:sans-serif;margin:2em}th{text-align:left;padding-right:1em;"
          "vertical-align:top}pre{white-space:pre-wrap;margin:0}")


def _page(status: int, title: str, body: str, reload: bool = False) -> Response:
    refresh = (f'<meta http-equiv="refresh" content="{RELOAD_SECONDS}">' if reload else "")
    text = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{refresh}'
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body>{body}</body></html>")
    return Response(status, text.encode("utf-8"), dict(_HEADERS))


def _find(tenant: Tenant, key: str, folder_id: Optional[int], cloud: bool) -> Optional[Job]:
    wanted = key.strip().strip("{}").lower()
    for job in tenant.jobs.values():
        folder = tenant.folders[job.folder_id]
        if (job.key == wanted and (folder_id is None or folder.id == folder_id)
                and not (cloud and folder.classic)):
            return job
    return None


def _row(name: str, value: object) -> str:
    shown = "-" if value in (None, "") else str(value)
    return f"<tr><th>{html.escape(name)}</th><td><pre>{html.escape(shown)}</pre></td></tr>"


def _log_row(line: dict) -> str:
    """A log line; Error and Fatal say so in capitals (not in colour only)."""
    level = line["Level"].upper() if line["Level"] in ("Error", "Fatal") else line["Level"]
    return (f"<tr><td>{html.escape(line['TimeStamp'])}</td><td>{html.escape(level)}</td>"
            f"<td><pre>{html.escape(line['Message'])}</pre></td></tr>")


def job_details(request: Request, tenant: Tenant, key: str, cloud: bool) -> Response:
    fid = (request.query.get("fid") or "").strip()
    now = tenant.clock()
    tenant.advance(now)
    job = _find(tenant, key, int(fid) if fid.isdigit() else None, cloud)
    if job is None or (fid and not fid.isdigit()):
        return _page(404, "Job not found", f"<h1>Job not found</h1><p>There is no job with key "
                                           f"{html.escape(key)} in this folder.</p>")
    folder = tenant.folders[job.folder_id]
    fault = job.fault if job.state == "Faulted" else None
    rows = [
        ("State", job.state), ("Info", job.info), ("Process", job.release_name),
        ("Folder", folder.fully_qualified_name), ("Robot", job.robot_name),
        ("Host machine", job.host_machine_name), ("Runtime type", job.runtime_type),
        ("Created (UTC)", format_time(job.created_at)),
        ("Started (UTC)", format_time(job.started_at)),
        ("Ended (UTC)", format_time(job.ended_at)), ("Source", job.source),
        ("Reference", job.reference), ("Key", job.key), ("Id", job.id),
        ("Input arguments", job.input_arguments),
        ("Output arguments", job.output_arguments if job.state == "Successful" else None),
    ]
    if fault is not None:
        rows.append(("Error", f"{fault.code}: {fault.title}\n{fault.detail}"))
    lines = deque(job_lines(tenant, job, now), maxlen=LOG_LINES)
    log = "".join(_log_row(line) for line in lines)
    title = f"Job {job.id} – {job.release_name}"
    body = (f"<h1>{html.escape(title)}</h1><table>{''.join(_row(*row) for row in rows)}"
            f"</table><h2>Latest robot log lines</h2>"
            + (f"<table>{log}</table>" if log else "<p>No robot log lines yet.</p>"))
    return _page(200, title, body, reload=not job.is_final)
