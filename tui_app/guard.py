"""The production guard: whether a start needs a typed confirmation, and the cap on its jobs.

The one place that decides, for the wizard (Review, the PROTECTED line on every step) and
for ``startjob run`` (single runs and batches). Its inputs are plain:

- the profile in effect: ``protected = true`` (every folder), ``protected_folders = [...]``
  (folder paths, matched case-insensitively against the folder's FullyQualifiedName or
  DisplayName; a protected folder's subfolders are protected too) and ``max_jobs = N``;
- the template the choice came from: ``protected = true`` and ``max_jobs = N``;
- the folder chosen, what is started (the process key, or the queue for a queue item) and
  how many jobs the start creates (``planned_jobs``; None: not known).

A protected start needs the word (``Guard.word``: the folder's name, else the process or
queue name) typed exactly (case-sensitive; ``Guard.accepts``) on a terminal, or ``--yes``
in scripts. A start of more jobs than the cap (the smaller of the profile's and the
template's ``max_jobs``), or of an unknown number of jobs while a cap is set, needs a
confirmation too. A queue item is one item: no cap applies to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional

__all__ = ["Guard", "GuardKeys", "decide", "folder_protected", "planned_jobs"]


@dataclass(frozen=True)
class GuardKeys:
    """The guard keys of a profile or template (``name`` for the sentences)."""

    name: str
    protected: bool = False
    protected_folders: tuple[str, ...] = ()
    max_jobs: Optional[int] = None

    @classmethod
    def of(cls, source: Any) -> Optional[GuardKeys]:
        """The keys of a ``Profile`` or ``Template`` (None for None)."""
        if source is None:
            return None
        return cls(source.name, bool(getattr(source, "protected", False)),
                   tuple(getattr(source, "protected_folders", ())),
                   getattr(source, "max_jobs", None))


@dataclass(frozen=True)
class Guard:
    """What the guard says about one start."""

    #: Why it is protected, e.g. "profile prod", "folder Production in profile prod",
    #: "template Payroll run" (empty: not protected).
    reasons: tuple[str, ...] = ()
    #: What to type to confirm a protected start ("" when not protected).
    word: str = ""
    #: What the word names: "folder", "process" or "queue".
    word_kind: str = "folder"
    #: The cap on jobs per start, and where it comes from (None: no cap).
    cap: Optional[int] = None
    cap_source: str = ""
    #: How many jobs the start creates (None: not known, e.g. All robots before they are
    #: listed); a queue item is ``item``.
    jobs: Optional[int] = None
    item: bool = False

    @property
    def protected(self) -> bool:
        return bool(self.reasons)

    @property
    def over_cap(self) -> bool:
        """More jobs than the cap, or a number not known while a cap is set."""
        if self.item or self.cap is None:
            return False
        return self.jobs is None or self.jobs > self.cap

    @property
    def needs_confirmation(self) -> bool:
        return self.protected or self.over_cap

    @property
    def applies(self) -> bool:
        """Any guard rule is set (protection or a cap): worth showing."""
        return self.protected or (self.cap is not None and not self.item)

    def terminal_word(self) -> str:
        """What ``startjob run`` asks to type: the word of a protected start, else (over the
        cap) the number of jobs, or "yes" when it is not known."""
        if self.protected:
            return self.word
        return str(self.jobs) if self.jobs is not None else "yes"

    def accepts(self, typed: str) -> bool:
        """Whether ``typed`` confirms the start: exactly ``terminal_word`` (the word of a
        protected start), surrounding spaces aside, case-sensitive."""
        word = self.terminal_word()
        return bool(word) and typed.strip() == word

    # -- sentences ------------------------------------------------------------------------

    @property
    def protected_by(self) -> str:
        return "; ".join(self.reasons)

    def banner(self) -> str:
        """The line every wizard step shows (in words: it must read without colour)."""
        return (f"PROTECTED: {self.protected_by} — every start needs a typed confirmation"
                if self.protected else "")

    def jobs_text(self) -> str:
        if self.jobs is None:
            return "an unknown number of jobs (one per robot)"
        return f"{self.jobs} job" + ("" if self.jobs == 1 else "s")

    def cap_sentence(self) -> str:
        """E.g. "12 jobs, more than the cap of 5 jobs per start (profile prod)", or "at
        most 5 jobs per start (profile prod)" when the start is within it."""
        if self.cap is None or self.item:
            return ""
        if not self.over_cap:
            return f"at most {self.cap} jobs per start ({self.cap_source})"
        return (f"{self.jobs_text()}, more than the cap of {self.cap} jobs per start "
                f"({self.cap_source})")

    def summary_rows(self) -> list[tuple[str, str]]:
        """The Review step's rows: "Protected" (by what, and the word to type) and
        "Jobs cap" (none when no rule applies)."""
        rows = []
        if self.protected:
            rows.append(("Protected", f"{self.protected_by}: type {self.word!r} to start"))
        if self.cap is not None and not self.item:
            rows.append(("Jobs cap", self.cap_sentence()))
        return rows

    def question(self) -> str:
        """The typed confirmation's question (the wizard's dialog)."""
        what = "add the item" if self.item else "start"
        return (f"This is a protected target ({self.protected_by}). To {what}, type the "
                f"{self.word_kind} name {self.word!r}.")

    def prompt(self) -> str:
        """The terminal prompt of ``startjob run``."""
        if not self.protected:
            return (f"Type {self.terminal_word()} to start {self.jobs_text()} (over the cap "
                    f"of {self.cap}): ")
        where = "in a protected folder" if self.word_kind == "folder" else "a protected target"
        return f"Type the {self.word_kind} name ({self.word}) to start {where}: "

    def cap_question(self) -> str:
        """The confirmation of a start over the cap."""
        return f"This start creates {self.cap_sentence()}. Start anyway?"

    def refusal(self) -> str:
        """Why a run without a terminal and without ``--yes`` stops (one line)."""
        why = []
        if self.protected:
            why.append(f"the target is protected ({self.protected_by})")
        if self.over_cap:
            why.append(f"it would start {self.cap_sentence()}")
        return (f"Not started: {' and '.join(why)}; confirm with --yes (or run it on a "
                "terminal to type the confirmation).")

    def to_json(self, confirmed: Optional[str] = None) -> dict:
        """The ``"guard"`` object of ``--output json``."""
        return {"protected": self.protected, "protected_by": list(self.reasons),
                "word": self.word or None, "cap": None if self.item else self.cap,
                "jobs": None if self.item else self.jobs, "over_cap": self.over_cap,
                "needs_confirmation": self.needs_confirmation, "confirmed": confirmed}


def folder_protected(patterns: Sequence[str], folder: Any) -> Optional[str]:
    """The entry of ``patterns`` that protects ``folder`` (a ``Folder``; None: none): its
    FullyQualifiedName or DisplayName, or a parent path of it, in any case."""
    if folder is None:
        return None
    path = (folder.fully_qualified_name or "").casefold()
    name = (folder.display_name or "").casefold()
    for pattern in patterns:
        wanted = pattern.strip().strip("/").casefold()
        if wanted and (wanted in (path, name) or path.startswith(wanted + "/")):
            return pattern
    return None


def planned_jobs(kind: str, *, robots: int = 0, jobs_count: int = 1,
                 pool: Optional[Sequence[Any]] = None) -> Optional[int]:
    """How many jobs a start of strategy ``kind`` creates: the ticked ``robots`` (Specific),
    ``jobs_count`` (JobsCount, ModernJobsCount), the robot ``pool`` (All; None when it is
    not known)."""
    if kind == "Specific":
        return robots
    if kind == "All":
        return len(pool) if pool is not None else None
    return jobs_count


def decide(*, profile: Any = None, template: Any = None, folder: Any = None,
           what: str = "", jobs: Optional[int] = None, item: bool = False) -> Guard:
    """The guard of one start: ``profile`` and ``template`` are a ``Profile``/``Template``
    (or ``GuardKeys``, or None), ``folder`` the ``Folder`` chosen (None: none), ``what``
    the process key or queue name (the word when there is no folder), ``jobs`` the
    ``planned_jobs``, ``item`` a queue item (no cap)."""
    keys = [k if isinstance(k, GuardKeys) else GuardKeys.of(k) for k in (profile, template)]
    profile_keys, template_keys = keys
    reasons = []
    if profile_keys is not None:
        if profile_keys.protected:
            reasons.append(f"profile {profile_keys.name}")
        else:
            matched = folder_protected(profile_keys.protected_folders, folder)
            if matched is not None:
                reasons.append(f"folder {matched} in profile {profile_keys.name}")
    if template_keys is not None and template_keys.protected:
        reasons.append(f"template {template_keys.name}")
    caps = [(k.max_jobs, f"{kind} {k.name}") for kind, k in
            (("profile", profile_keys), ("template", template_keys))
            if k is not None and k.max_jobs is not None]
    cap, cap_source = min(caps, key=lambda c: c[0]) if caps else (None, "")
    if folder is not None and folder.display_name:
        word, kind = folder.display_name, "folder"
    else:
        word, kind = what, "queue" if item else "process"
    return Guard(reasons=tuple(reasons), word=word if reasons else "", word_kind=kind,
                 cap=cap, cap_source=cap_source, jobs=jobs, item=item)
