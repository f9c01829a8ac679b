"""Step 8: follow the jobs; their details or robot log; stop, kill, restart or resume them."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime
from typing import Optional

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from tui_app.diagnosis import SNAPSHOT_NOTE, explain_fault, explain_suspended
from tui_app.jobrefs import url_of
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
#: Seconds the highlight rests on a job before its log is read (not on every row passed).
LOG_PAUSE = 0.2


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


def job_cells(job, widths: tuple, url: str = "") -> tuple:
    """The table cells of a job, as Text: DataTable would read plain strings as markup.

    ``widths``: at most this many characters of the robot / machine and of the Info; the
    Id links to ``url`` (the job's page in Orchestrator) where the terminal shows links.
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
    texts = tuple(Text(cell) for cell in cells)
    if url:
        texts[0].stylize(Style(link=url))
    return texts


def log_text(log, job, width: int) -> Text:
    """The robot log pane of ``job``: a title, then one line per log line (time, level,
    message); Error and Fatal lines say ``ERROR`` / ``FATAL`` in words (and are bold)."""
    text = Text(f"Robot log of job {job.id}", style="bold")
    if log is None:
        text.append(" · F4 details\nReading the log…", style="dim")
        return text
    shown = f"last {len(log.lines)} of {log.total} line(s)" if log.total > len(log.lines) else (
        f"{len(log.lines)} line(s)")
    text.append(f" · {shown} · F4 details\n", style="dim")
    if log.problem:
        text.append(visible(log.problem) + "\n", style="dim")
    if not log.lines and not log.problem:
        text.append("No log lines yet." if not job.is_final else "The job logged nothing.",
                    style="dim")
    for entry in log.lines:
        level = entry.level.upper() if entry.is_error else entry.level
        prefix = f"{short_time(entry.time_stamp):<8} {visible(level, single_line=True):<5} "
        message = visible(entry.message, limit=2000).replace("\t", "    ")
        message = message.replace("\n", "\n" + " " * len(prefix))
        text.append(prefix + message + "\n", style="bold" if entry.is_error else "")
    text.rstrip()
    return text


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
(it is not finished, and goes on by itself). The details end with the job's page in
Orchestrator (a link where the terminal shows links).

F4 shows the robot log of the highlighted job instead of its details (and back): its last
lines, read again at each update while the job runs; Error and Fatal lines say ERROR and
FATAL.

Stop asks the workflow to stop at its next safe point (soft stop); Kill ends it at once.
Both ask for confirmation. F5 restarts a job that ended (a new job, after a confirmation;
it joins this list and the history); F6 resumes a Suspended job. The footer shows the
keys for the highlighted job. Ctrl+N goes back to start the same again; Escape also goes
back. When every job has ended the terminal bell rings (STARTJOB_NOTIFY=off: silent).
"""
    BINDINGS = [
        Binding("ctrl+e,f7", "stop('SoftStop')", "Stop", key_display="^e/F7", id="run.stop"),
        Binding("ctrl+k,f8", "stop('Kill')", "Kill", key_display="^k/F8", id="run.kill"),
        Binding("f4", "toggle_log", "Log", key_display="F4", id="run.log"),
        Binding("f5", "restart", "Restart", key_display="F5", id="run.restart"),
        Binding("f6", "resume", "Resume", key_display="F6", id="run.resume"),
        Binding("ctrl+n", "again", "Start another", key_display="^n", id="run.again"),
        # The footer shows the keys for the highlighted job only (80 columns); a key it does
        # not show still answers, in words (these come after the shown ones).
        Binding("ctrl+e,f7", "anyway('stop', 'SoftStop')", show=False),
        Binding("ctrl+k,f8", "anyway('stop', 'Kill')", show=False),
        Binding("f5", "anyway('restart')", show=False),
        Binding("f6", "anyway('resume')", show=False),
    ]

    def compose_body(self) -> ComposeResult:
        yield DataTable(id="jobs", cursor_type="row", zebra_stripes=True)
        yield Static("", id="poll-status")
        yield Static(id="job-detail")
        with VerticalScroll(id="job-log", can_focus=False):
            yield Static(id="log-lines")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)
        for job in self.state.jobs:
            table.add_row(*self._cells(job), key=str(job.id))
        table.focus()
        self.query_one("#job-log").display = False
        self._show_detail()
        if self.session.notify_problem:
            self.app.notify(self.session.notify_problem, severity="warning", markup=False)
        #: How a lost StartJobs answer was resolved: kept above later messages.
        self.notice, self.session.start_notice = self.session.start_notice, None
        #: The message line shows a failed or slowed-down update (cleared by the next one).
        self._poll_trouble = False
        if self.notice:
            self.message.show("warning", self.notice)
        self.poll()

    def heading(self) -> str:
        count = len(self.state.jobs)
        return f"{count} job(s) of {visible(self.session.watch_title(), single_line=True)}"

    def _url(self, job) -> str:
        client = self.session.client
        return url_of(client.base_url, job) if client is not None else ""

    def _cells(self, job) -> tuple:
        return job_cells(job, column_widths(self.state.jobs, self.app.size.width),
                         self._url(job))

    def check_action(self, action: str, parameters: tuple):
        """The footer shows Stop and Kill for a job that runs (Stop and Resume for a
        Suspended one), Restart for one that ended."""
        job = self.selected_job()
        if action == "stop":
            return job is None or not job.is_final and (
                parameters != ("Kill",) or not job.is_suspended)
        if action == "restart":
            return job is not None and job.is_final
        if action == "resume":
            return job is not None and job.is_suspended
        return True

    def action_anyway(self, action: str, *parameters) -> None:
        """A key the footer does not show for the highlighted job: it does what it says."""
        getattr(self, f"action_{action}")(*parameters)

    def selected_job(self):
        """The highlighted job; None also before the table is composed (the footer asks
        ``check_action`` as soon as the screen is pushed)."""
        tables = self.query(DataTable)
        if not tables or not self.state.jobs or tables.first().cursor_row is None:
            return None
        table = tables.first()
        return self.state.jobs[min(table.cursor_row, len(self.state.jobs) - 1)]

    @work(exclusive=True, group="poll")
    async def poll(self, at_least_once: bool = False) -> None:
        """Follow the jobs until they all ended or rest Suspended (by the session's follow
        policy); the bell (``session.notify``) when the jobs followed have all ended."""
        followed = bool(self.state.active_jobs())
        await self.session.follow_jobs(self._updated, self._poll_failed,
                                       at_least_once=at_least_once)
        self._all_done()
        if followed and all(job.is_final for job in self.state.jobs):
            self._notify_ended()

    def _notify_ended(self) -> None:
        mode = self.session.notify
        if mode == "off":
            return
        driver = getattr(self.app, "_driver", None)
        if mode == "osc9" and driver is not None and not self.app.is_headless:
            said = visible(f"startjob: every job has ended ({self.heading()})",
                           single_line=True, limit=200)
            driver.write(f"\x1b]9;{said}\x1b\\")
        self.app.bell()

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
        self._show_log()
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
            self.refresh_bindings()

    def _all_done(self) -> None:
        self.query_one("#poll-status", Static).update("")
        states = [job.state for job in self.state.jobs]
        summary = ", ".join(f"{states.count(s)} {s}" for s in dict.fromkeys(states))
        kind = "info" if all(s == "Successful" for s in states) and not self.notice else "warning"
        again = " Ctrl+N starts the same again." if self.state.release is not None else ""
        done = f"All jobs finished: {summary}.{again}"
        suspended = [str(job.id) for job in self.state.jobs if job.is_suspended]
        if suspended:
            more = f" and {len(suspended) - 10} more" if len(suspended) > 10 else ""
            done = (f"No job is running now: {summary}. Still Suspended, not finished: job "
                    f"{', '.join(suspended[:10])}{more}; it goes on by itself when what it "
                    f"waits on happens (see its details).{again}")
        self.message.show(kind, f"{self.notice}\n{done}" if self.notice else done)
        self.session.record_final_states()

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_detail()
        self.refresh_bindings()
        if self.query_one("#job-log").display:
            self._follow_log()

    def action_toggle_log(self) -> None:
        """Show the robot log of the highlighted job instead of its details, or back."""
        pane = self.query_one("#job-log")
        pane.display = not pane.display
        self.query_one("#job-detail").display = not pane.display
        if pane.display:
            self._follow_log()
        else:
            self.session.log_job = None

    @work(exclusive=True, group="log")
    async def _follow_log(self) -> None:
        """Show the highlighted job's log at once (read when not known yet: after a short
        pause, so running down the list reads only where it stops); the poll reads it again
        while the job runs."""
        job = self.selected_job()
        self.session.log_job = job.id if job is not None else None
        self._show_log()
        if self.session.log_due() is not None:
            await asyncio.sleep(LOG_PAUSE)
            await self.session.read_log()
            self._show_log()

    def _show_log(self) -> None:
        job = self.selected_job()
        if job is None or not self.query_one("#job-log").display:
            return
        width = self.query_one("#job-log").content_size.width or self.app.size.width
        self.query_one("#log-lines", Static).update(
            log_text(self.session.logs.get(job.id), job, width))
        self.query_one("#job-log", VerticalScroll).scroll_end(animate=False)

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
        output = self.session.known_output(job)
        if job.is_final and output:
            try:
                pretty = json.dumps(json.loads(output), indent=2, ensure_ascii=False)
            except ValueError:
                pretty = output
            text.append("Output arguments:\n", style="bold")
            text.append(visible(pretty, limit=4000))
        elif self.session.output_due(job):
            text.append("Output arguments: reading the job's output file…\n", style="dim")
            self._read_output(job)
        elif not job.is_final:
            text.append("Output arguments appear here when the job has finished.\n",
                        style="dim")
        url = self._url(job)
        if url:
            text.append("\nIn Orchestrator: ", style="bold")
            text.append(visible(url, single_line=True), style=Style(link=url))
        detail.update(text)

    @work(exclusive=True, group="output")
    async def _read_output(self, job) -> None:
        """Download a job's OutputFile (once), then show the details again."""
        try:
            await self.session.output_arguments(job)
        except ServerProblem as problem:
            self.message.show_error(problem)
            return
        selected = self.selected_job()
        if selected is not None and selected.id == job.id:
            self._show_detail()

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

    def action_restart(self) -> None:
        job = self.selected_job()
        if job is None:
            return
        refusal = self.session.restart_refusal(job)
        if refusal:
            self.message.show("info", refusal)
            return

        def answered(yes: Optional[bool]) -> None:
            if yes:
                self._restart(job)

        self.app.push_screen(ConfirmDialog(
            f"Restart job {job.id} ({job.state})? Orchestrator starts a new job with the "
            "same process and arguments.", yes="Restart", no="Cancel"), answered)

    @work(group="restart")
    async def _restart(self, job) -> None:
        try:
            new = await self.session.restart_job(job)
        except ServerProblem as problem:
            self.message.show_error(problem)
            return
        table = self.query_one(DataTable)
        table.add_row(*self._cells(new), key=str(new.id))
        self.query_one("#heading", Static).update(Text(self.heading(), style="bold"))
        self.message.show("info", f"Restarted job {job.id} as job {new.id} ({new.state}).")
        table.move_cursor(row=len(self.state.jobs) - 1)
        self.poll()

    def action_resume(self) -> None:
        job = self.selected_job()
        if job is None:
            return
        refusal = self.session.resume_refusal(job)
        if refusal:
            self.message.show("info", refusal)
            return
        self._resume(job)

    @work(group="resume")
    async def _resume(self, job) -> None:
        try:
            resumed = await self.session.resume_job(job)
        except ServerProblem as problem:
            self.message.show_error(problem)
            return
        self.update_jobs([i for i, known in enumerate(self.state.jobs) if known.id == resumed.id])
        self.message.show("info", f"Asked Orchestrator to resume job {job.id} (now "
                                  f"{visible(resumed.state, single_line=True)}).")
        self.poll(at_least_once=True)

    def action_again(self) -> None:
        self.wizard.go_back()
