"""Jobs and their life, derived from the clock whenever a job is read (no background threads).

``Pending`` for the pending time, then ``Running`` (on its robot) for the running time, then
``Successful`` — or ``Faulted`` when a string input argument starts with "FAIL" (any case).
SoftStop turns a running job ``Stopping`` and Kill ``Terminating``; either ends ``Stopped``
after the stop time. A pending job stops at once; a finished job ignores stop requests; a Kill
while ``Stopping`` takes over from the SoftStop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional

FINAL_STATES = frozenset({"Successful", "Faulted", "Stopped"})


@dataclass(frozen=True)
class JobStatus:
    state: str
    started_at: Optional[float]
    ended_at: Optional[float]
    changed_at: float
    info: Optional[str]


@dataclass
class Job:
    """One job; times are epoch seconds."""

    id: int
    key: str
    folder_id: int
    release_id: int
    release_name: str
    batch_execution_key: str
    created_at: float
    pending_seconds: float
    running_seconds: float
    stop_seconds: float
    robot_id: Optional[int]
    host_machine_name: str
    input_arguments: Optional[str]
    #: The ``Info`` text of the fault this job will end with, or None when it succeeds.
    failure: Optional[str]
    output_arguments: Optional[str]
    reference: Optional[str]
    source: str
    runtime_type: str
    job_priority: str
    specific_priority_value: Optional[int]
    entry_point_path: str
    stop_requested_at: Optional[float] = None
    stop_strategy: Optional[str] = None

    def status(self, now: float) -> JobStatus:
        started = self.created_at + self.pending_seconds
        finished = started + self.running_seconds
        stop_at = self.stop_requested_at
        if stop_at is not None:
            info = "The job was killed." if self.stop_strategy == "Kill" else "The job was stopped."
            if stop_at <= started:
                return JobStatus("Stopped", None, stop_at, stop_at, info)
            done = stop_at + self.stop_seconds
            if now < done:
                state = "Terminating" if self.stop_strategy == "Kill" else "Stopping"
                return JobStatus(state, started, None, stop_at, None)
            return JobStatus("Stopped", started, done, done, info)
        if now <= started:  # inclusive: a job is Pending when created, even with no wait
            return JobStatus("Pending", None, None, self.created_at, None)
        if now < finished:
            return JobStatus("Running", started, None, started, None)
        if self.failure:
            return JobStatus("Faulted", started, finished, finished, self.failure)
        return JobStatus("Successful", started, finished, finished, "Job completed")

    def request_stop(self, strategy: str, now: float) -> None:
        """Apply a SoftStop or Kill request made at ``now``."""
        state = self.status(now).state
        if state in FINAL_STATES:
            return
        if self.stop_requested_at is None or (state == "Stopping" and strategy == "Kill"):
            self.stop_requested_at = now
            self.stop_strategy = strategy


def failure_info(arguments: dict) -> Optional[str]:
    """The fault a job with these input arguments ends with (a string value starting "FAIL")."""
    for name, value in arguments.items():
        if isinstance(value, str) and value.upper().startswith("FAIL"):
            return (
                "Execution error : System.Exception: Demo failure requested by input "
                f"{name}={value}\r\n   at UiPath.Sandbox.Demo.Fail(String argument)\r\n"
                "   at Main.xaml: Throw"
            )
    return None


def _demo_value(type_name: str, job_id: int) -> Any:
    simple = type_name.split(",", 1)[0].strip()
    if simple == "System.String":
        return f"Done by job {job_id}"
    if simple == "System.Boolean":
        return True
    if simple in ("System.Int16", "System.Int32", "System.Int64", "System.Decimal",
                  "System.Double", "System.Single", "System.Byte"):
        return job_id
    return None


def demo_outputs(arguments_output: Optional[str], job_id: int) -> Optional[str]:
    """``OutputArguments`` for a successful job: a value for each declared output argument."""
    try:
        declared = json.loads(arguments_output) if arguments_output else None
    except ValueError:
        return None
    if not isinstance(declared, list) or not declared:
        return None
    values = {item["name"]: _demo_value(str(item.get("type", "")), job_id)
              for item in declared if isinstance(item, dict) and "name" in item}
    return json.dumps(values)
