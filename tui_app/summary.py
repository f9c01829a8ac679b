"""The plan in readable rows: one summary for the wizard's Review step and ``startjob run``."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Optional

from tui_app.arguments.jsontext import dumps
from tui_app.text import visible

#: How an argument left out of the body is described.
NOT_SENT = "not sent (Orchestrator's default applies)"


def plan_rows(
    plan: Any,
    specs: Sequence[Any],
    *,
    hidden: Collection[str] = (),
    hidden_as: str = "•••",
    sources: Optional[Mapping[str, str]] = None,
) -> list[tuple[str, str]]:
    """(label, value) rows for a ``StartPlan``: folder, process, release, environment,
    strategy, then one row per input argument (``specs``). Values in ``hidden`` (a
    template's ``ask``) show as ``hidden_as``; ``sources`` adds where each value came from.
    Every value is one visible line (server text and typed text may hold anything)."""
    rows = []
    if plan.folder is not None:
        kind = "classic" if plan.folder.is_classic else "modern"
        folder = plan.folder
        rows.append(("Folder", f"{folder.fully_qualified_name}  ({kind}, id {folder.id})"))
    release = plan.release
    rows.append(("Process", f"{release.process_key} {release.process_version}"))
    rows.append(("Release", release.name))
    if release.environment_name:
        rows.append(("Environment", release.environment_name))
    rows.append(("Strategy", plan.strategy.describe(release.environment_name)))
    # contract (issue 15): core helper's version wins at merge
    from tui_app.start_options import priority_words

    rows.append(("Priority", priority_words(plan.strategy.priority, release.default_priority)))
    rows += plan.options.rows()
    if not specs:
        rows.append(("Arguments", "(this process has no input arguments)"))
    for index, spec in enumerate(specs):
        label = "Arguments" if index == 0 else ""
        if spec.name not in plan.arguments:
            rows.append((label, f"{spec.name}: {NOT_SENT}"))
            continue
        value = plan.arguments[spec.name]
        if spec.name in hidden:
            shown = hidden_as
        elif isinstance(value, (list, dict)):
            shown = dumps(value)  # compact JSON: one line, as Orchestrator gets it
        else:
            shown = spec.to_text(value)
        where = f"  [{sources[spec.name]}]" if sources and sources.get(spec.name) else ""
        rows.append((label, f"{spec.name} = {shown}{where}"))
    return [(label, visible(value, single_line=True, limit=300)) for label, value in rows]


def format_rows(rows: Sequence[tuple[str, str]]) -> list[str]:
    """Rows as aligned text lines (``Label        value``)."""
    return [f"{label:<13}{value}" for label, value in rows]
