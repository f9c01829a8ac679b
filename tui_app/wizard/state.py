"""Everything the person has chosen or typed so far, kept across steps (never secrets on disk)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from tui_app.actions import DEFAULT_ACTION
from tui_app.connection import ConnectionSettings
from tui_app.orchestrator.models import (
    Environment,
    Folder,
    Job,
    QueueDefinition,
    QueueItem,
    Release,
)


@dataclass
class OptionsChoice:
    """The Options step as typed: names and texts only (a draft keeps it as it is)."""

    #: The chosen ``EntryPointPath`` ("": the release's own).
    entry_point: str = ""
    #: "inherit" (the release's own), Low / Normal / High, or "value" (``priority_value``).
    priority: str = "inherit"
    priority_value: str = ""
    #: Machine name and host name ("": Orchestrator picks / any host of the machine).
    machine: str = ""
    host: str = ""
    stop_after: str = ""
    stop_strategy: str = "SoftStop"
    kill_after: str = ""
    alert_pending: str = ""
    alert_running: str = ""
    #: "refuse" or "file": arguments over 10,000 characters go as a job attachment.
    large_input: str = "refuse"


#: The duration fields of ``OptionsChoice`` and their labels.
DURATION_FIELDS = (
    ("stop_after", "Stop after"),
    ("kill_after", "Kill after"),
    ("alert_pending", "Alert if Pending longer than"),
    ("alert_running", "Alert if Running longer than"),
)


@dataclass
class ItemChoice:
    """The Item step as typed ("" leaves a field out: the queue's own rules apply)."""

    #: Low / Normal / High ("": not sent, Orchestrator's default Normal).
    priority: str = ""
    #: The item's Reference ("": startjob makes one up, ``startjob:<uuid>``).
    reference: str = ""
    defer_date: str = ""
    due_date: str = ""
    risk_sla_date: str = ""


@dataclass
class ContentRow:
    """One row of the key/value editor of a queue without an item schema."""

    name: str = ""
    #: One of ``queue_schema.TYPED_KINDS``.
    kind: str = "text"
    text: str = ""


@dataclass
class QueueChoice:
    """Everything chosen or typed on the queue steps."""

    search_text: str = ""
    queue: Optional[QueueDefinition] = None
    #: What the person typed per schema field name.
    content_texts: dict = field(default_factory=dict)
    #: The key/value editor's rows (a queue without an item schema).
    rows: list = field(default_factory=list)
    #: The content that will be sent (set when the Content step is left).
    content_values: dict = field(default_factory=dict)
    item: ItemChoice = field(default_factory=ItemChoice)
    #: The item added (the Monitor step follows it), as last polled.
    added: Optional[QueueItem] = None


@dataclass
class WizardState:
    settings: ConnectionSettings
    folders: list = field(default_factory=list)
    folder: Optional[Folder] = None
    search_text: str = ""
    #: Releases of the chosen process (one per environment).
    releases: list = field(default_factory=list)
    release: Optional[Release] = None
    strategy_kind: str = ""
    #: Robot ids ticked on the Strategy step, per environment/folder key.
    selected_robots: dict = field(default_factory=dict)
    environments: dict = field(default_factory=dict)  # name -> Environment (fetched once)
    folder_robots: dict = field(default_factory=dict)  # folder id -> list[Robot]
    jobs_count_text: str = "1"
    runtime_type: str = "Unattended"
    #: What the person typed per argument name (kept when going back and forth).
    argument_texts: dict = field(default_factory=dict)
    #: The converted values that will be sent (set when the Arguments step is left).
    argument_values: dict = field(default_factory=dict)
    jobs: list = field(default_factory=list)
    options: OptionsChoice = field(default_factory=OptionsChoice)
    #: Argument names never stored or shown in clear (a template's ``ask``): masked in the
    #: form, ``•••`` on Review, never in a draft.
    ask_names: frozenset = frozenset()
    #: What the Action step chose (``tui_app.actions``), and the queue steps' choices.
    action: str = DEFAULT_ACTION
    queue: QueueChoice = field(default_factory=QueueChoice)

    @property
    def is_classic(self) -> bool:
        """Classic when the folder says so, or (no folders) when the release has an environment."""
        if self.folder is not None:
            return self.folder.is_classic
        return bool(self.release and self.release.environment_name)

    def environment(self) -> Optional[Environment]:
        if self.release is None or not self.release.environment_name:
            return None
        return self.environments.get(self.release.environment_name)

    def robots_key(self) -> str:
        """Key of the robot selection for the current environment or folder."""
        if self.is_classic:
            return f"env:{self.release.environment_name if self.release else ''}"
        return f"folder:{self.folder.id if self.folder else ''}"

    def unfinished_jobs(self) -> list:
        return [job for job in self.jobs if isinstance(job, Job) and not job.is_final]

    def active_jobs(self) -> list:
        """The jobs worth following: neither finished nor resting Suspended."""
        return [job for job in self.jobs if isinstance(job, Job) and not job.is_resting]
