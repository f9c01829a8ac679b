"""Step 8: follow the started jobs; stop or kill them."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Optional

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from tui_app.diagnosis import SNAPSHOT_NOTE, explain_fault, explain_suspended
from tui_app.text import visible
from tui_app.ui.dialogs import ConfirmDialog
from tui_app.ui.screens.base import StepScreen
from tui_app.wizard.errors import ServerProblem

COLUMNS = ("Id", "Robot / machine", "State", "Started", "Ended", "Info")
#: Columns the table needs besides the Id, robot and Info texts: cell padding (2 per
#: column), State (10, "Successful"), two times (8 each), the table's margin (2).
FIXED_WIDTH = 6 * 2 + 10 + 2 * 8 + 2
#: The Info column keeps at least this much (the whole Info is in the detail pane).
MIN_INFO = 5


def short_time(value) -> str:
    """``HH:MM:SS`` (local time) from an ISO timestamp, or an empty string."""
    if not value:
        return ""
    text = str(value)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # .NET sends 1-7 fractional digits; Python 3.9 wants exactly 6.
    text = re.sub(r"\.(\d+)", lambda m: "." + (m.group(1) + "000000")[:6], text)
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return visible(value, single_line=True, limit=19)
    return stamp.astimezone().strftime("%H:%M:%S")


def job_where(job) -> str:
    return " / ".join(x for x in (job.robot_name, job.host_machine_name) if x) or "—"


def job_cells(job, widths: tuple) -> tuple:
    """The table cells of a job, as Text: DataTable would read plain strings as markup.

    ``widths``: at most this many characters of the robot / machine and of the Info.
    """
    where_width, info_width = widths
    cells = (
        str(job.id),
        visible(job_where(job), single_line=True, limit=where_width),
        job.state,
        short_time(job.start_time),
        short_time(job.end_time),
        visible(job.info or "", single_line=True, limit=info_width),
    )
    return tuple(Text(cell) for cell in cells)


def column_widths(jobs: list, width: int) -> tuple:
    """(robot / machine, Info) widths for a table ``width`` columns wide: the robot and
    machine in full when they fit, the Info gets the rest."""
    id_width = max((len(str(job.id)) for job in jobs), default=2)
    scrollbar = 2 if len(jobs) > 11 else 0  # the table is at most 12 rows tall
    free = max(width - FIXED_WIDTH - max(id_width, 2) - scrollbar, 2 * MIN_INFO)
    where = min(max((len(job_where(job)) for job in jobs), default=1), free - MIN_INFO)
    return where, free - where


class RunScreen(StepScreen):
    STEP = "Run"
    HEADING = "Jobs"
    HELP = """
The jobs you started, refreshed automatically (all of them in one request, less often
while nothing changes). Up/Down choose a job; its details and output arguments are shown
below the table when it has finished.

A job still Pending after a few seconds: Orchestrator is asked once why, and the
reasons are shown in words (a snapshot from when it first tried to start the job).
A Faulted job shows its error and what it means; a Suspended job shows what it waits on
(it is not finished, and goes on by itself).

Stop asks the workflow to stop at its next safe point (soft stop); Kill ends it at once.
Both ask for confirmation. Ctrl+N goes back to Review to start the same again;
Escape also goes back.
"""
    BINDINGS = [
        Binding("ctrl+e,f7", "stop('SoftStop')", "Stop", key_display="^e/F7", id="run.stop"),
        Binding("ctrl+k,f8", "stop('Kill')", "Kill", key_display="^k/F8", id="run.kill"),
        Binding("ctrl+n", "again", "Start another", key_display="^n", id="run.again"),
    ]

    def compose_body(self) -> ComposeResult:
        yield DataTable(id="jobs", cursor_type="row", zebra_stripes=True)
        yield Static("", id="poll-status")
        yield Static(id="job-detail")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)
        for job in self.state.jobs:
            table.add_row(*self._cells(job), key=str(job.id))
        table.focus()
        self._show_detail()
        #: How a lost StartJobs answer was resolved: kept above later messages.
        self.notice, self.session.start_notice = self.session.start_notice, None
        #: The message line shows a failed or slowed-down update (cleared by the next one).
        self._poll_trouble = False
        if self.notice:
            self.message.show("warning", self.notice)
        self.poll()

    def heading(self) -> str:
        count = len(self.state.jobs)
        release = self.state.release.name if self.state.release else ""
        return f"{count} job(s) of {visible(release, single_line=True)}"

    def _cells(self, job) -> tuple:
        return job_cells(job, column_widths(self.state.jobs, self.app.size.width))

    def selected_job(self):
        table = self.query_one(DataTable)
        if not self.state.jobs or table.cursor_row is None:
            return None
        return self.state.jobs[min(table.cursor_row, len(self.state.jobs) - 1)]

    @work(exclusive=True, group="poll")
    async def poll(self, at_least_once: bool = False) -> None:
        """Follow the jobs until they all ended or rest Suspended (by the session's follow
        policy)."""
        await self.session.follow_jobs(self._updated, self._poll_failed,
                                       at_least_once=at_least_once)
        self._all_done()

    def _poll_failed(self, problem: ServerProblem, delay: float) -> None:
        if problem.slow_down:
            self.message.show(
                "warning", f"Orchestrator asks to slow down; next update in {delay:.0f} s."
            )
        else:
            self.message.show_error(problem)
        self._poll_trouble = True

    def _updated(self, changed: list, delay: float) -> None:
        self.update_jobs(changed)
        self._show_poll_status(delay)

    def _show_poll_status(self, delay: float) -> None:
        now = datetime.now().strftime("%H:%M:%S")
        self.query_one("#poll-status", Static).update(
            Text(f"Updated {now}; next update in {delay:.0f} s.", style="dim")
        )

    def update_jobs(self, changed: list) -> None:
        """Show the jobs at the ``changed`` indexes of ``state.jobs`` anew."""
        table = self.query_one(DataTable)
        for index in changed:
            job = self.state.jobs[index]
            for column, value in zip(COLUMNS, self._cells(job)):
                table.update_cell(str(job.id), column, value, update_width=True)
        if changed:
            if self._poll_trouble:  # an update came through: the problem is over
                self._poll_trouble = False
                if self.notice:
                    self.message.show("warning", self.notice)
                else:
                    self.message.clear()
            self._show_detail()

    def _all_done(self) -> None:
        self.query_one("#poll-status", Static).update("")
        states = [job.state for job in self.state.jobs]
        summary = ", ".join(f"{states.count(s)} {s}" for s in dict.fromkeys(states))
        kind = "info" if all(s == "Successful" for s in states) and not self.notice else "warning"
        done = f"All jobs finished: {summary}. Ctrl+N starts the same again."
        suspended = [str(job.id) for job in self.state.jobs if job.is_suspended]
        if suspended:
            more = f" and {len(suspended) - 10} more" if len(suspended) > 10 else ""
            done = (f"No job is running now: {summary}. Still Suspended, not finished: job "
                    f"{', '.join(suspended[:10])}{more}; it goes on by itself when what it "
                    "waits on happens (see its details). Ctrl+N starts the same again.")
        self.message.show(kind, f"{self.notice}\n{done}" if self.notice else done)
        self.session.record_final_states()

    @on(DataTable.RowHighlighted)
    def _show_detail(self) -> None:
        job = self.selected_job()
        detail = self.query_one("#job-detail", Static)
        if job is None:
            detail.update("")
            return
        text = Text(f"Job {job.id} · {job.state} · key {job.key}\n", style="bold")
        if job.info:
            text.append("Info: " + visible(job.info, limit=2000) + "\n")
        self._explain(job, text)
        if job.is_final and job.output_arguments:
            try:
                pretty = json.dumps(json.loads(job.output_arguments), indent=2, ensure_ascii=False)
            except ValueError:
                pretty = job.output_arguments
            text.append("Output arguments:\n", style="bold")
            text.append(visible(pretty, limit=4000))
        elif not job.is_final:
            text.append("Output arguments appear here when the job has finished.", style="dim")
        detail.update(text)

    def _explain(self, job, text: Text) -> None:
        """Why a job is Pending, faulted or Suspended, in words (appended to ``text``)."""
        if job.state == "Pending":
            self._why_pending(job, text)
            return
        if job.state == "Faulted":
            finding, label = explain_fault(job), "Why it faulted: "
        elif job.is_suspended:
            finding, label = explain_suspended(job), "Suspended: "
        else:
            return
        if finding is None:
            return
        text.append(label, style="bold")
        text.append(visible(finding.sentence) + "\n")
        if finding.advice:
            text.append("What to do: " + visible(finding.advice) + "\n")

    def _why_pending(self, job, text: Text) -> None:
        check = self.session.pending_checks.get(job.id)
        if check is None:
            text.append("If it stays Pending, Orchestrator is asked why in a few seconds.\n",
                        style="dim")
        elif not check.available:
            text.append("Why it is Pending cannot be asked: the check is not available on "
                        "this server.\n", style="dim")
        elif check.problem:
            text.append(visible(check.problem) + "\n", style="dim")
        else:
            text.append("Why is it Pending?\n", style="bold")
            if not check.findings:
                text.append("Orchestrator names no reason: it waits for its turn.\n")
            for finding in check.findings:
                text.append("- " + visible(finding.sentence) + "\n")
                if finding.advice:
                    text.append("  What to do: " + visible(finding.advice) + "\n")
            text.append(SNAPSHOT_NOTE + "\n", style="dim")

    def action_stop(self, strategy: str) -> None:
        job = self.selected_job()
        if job is None or job.is_final:
            self.message.show("info", "Choose a job that is still running (Up/Down).")
            return
        verb = "Stop" if strategy == "SoftStop" else "Kill"
        question = f"{verb} job {job.id}? " + (
            "The workflow is asked to stop at its next safe point."
            if strategy == "SoftStop"
            else "The process is ended at once; work in progress is lost."
        )

        def answered(yes: Optional[bool]) -> None:
            if yes:
                self._stop(job.id, strategy)

        self.app.push_screen(ConfirmDialog(question, yes=verb, no="Keep running"), answered)

    @work(group="stop")
    async def _stop(self, job_id: int, strategy: str) -> None:
        try:
            await self.session.stop_job(job_id, strategy)
        except ServerProblem as problem:
            self.message.show_error(problem)
            return
        self.message.show(
            "info", f"{'Stop' if strategy == 'SoftStop' else 'Kill'} requested for job {job_id}."
        )
        self.poll(at_least_once=True)  # a Suspended job is not followed until then

    def action_again(self) -> None:
        self.wizard.go_back()
