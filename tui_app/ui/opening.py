"""``startjob open TEMPLATE``: fill the wizard from a template and land on the right step.

After the person has signed in, the template's folder, release, strategy, robots and argument
values are resolved against Orchestrator, the drift check runs, and the wizard opens on
Review when everything is valid, or on the first step that needs attention.
"""

from __future__ import annotations

from typing import Optional

from tui_app.arguments import (
    ArgumentsFormatError,
    ArgumentValueError,
    collect_values,
    parse_process_defaults,
)
from tui_app.drift import check_drift
from tui_app.resolver import AmbiguousRelease, find_folder, pick_release
from tui_app.templates import ConnectionSpec, ProcessSpec, StrategySpec, Template
from tui_app.ui.screens.arguments import argument_specs


def draft_template(draft) -> Optional[Template]:
    """A resumed draft as a template to fill the wizard with (None: nothing past Connect)."""
    if not draft.process_key:
        return None
    return Template(
        name="resumed draft",
        process=ProcessSpec(
            key=draft.process_key,
            environment=draft.environment or None,
            release_key=draft.release_key or None,
        ),
        connection=ConnectionSpec(folder=draft.folder_path or None),
        strategy=StrategySpec(
            kind=draft.strategy_kind or ("Specific" if draft.robot_names else "JobsCount"),
            robots=tuple(draft.robot_names),
            jobs_count=int(draft.jobs_count_text) if draft.jobs_count_text.isdigit() else None,
            runtime_type=draft.runtime_type or None,
        ),
        # Typed text: the argument model reads a string as if typed in the form.
        arguments=dict(draft.argument_texts),
        ask=tuple(draft.ask_names),
    )


async def prefill(app, template: Template, *, check: bool = True) -> tuple:
    """Fill ``app.state`` from ``template``; return (landing step, drift findings).

    ``check=False`` skips the drift check (a resumed draft has no saved signature).
    """
    state, client = app.state, app.client
    state.ask_names = state.ask_names | frozenset(template.ask)  # masked, never in a draft
    folder = None
    if template.connection.folder:
        folder = find_folder(state.folders, template.connection.folder)
        if folder is None:
            return "Folder", check_drift(template, None, folder_missing=True)
        app.choose_folder(folder)
    state.search_text = template.process.key
    releases = await client.releases_for_process(template.process.key)
    try:
        release = pick_release(template.process, releases)
    except AmbiguousRelease:  # several releases and nothing says which: the person chooses
        app.choose_process(releases)
        return "Release", []
    if release is None:
        return "Process", check_drift(template, None)
    app.choose_process(releases)
    app.choose_release(release)

    strategy = template.strategy
    state.strategy_kind = strategy.kind
    state.jobs_count_text = str(strategy.jobs_count or 1)
    state.runtime_type = strategy.runtime_type or "Unattended"
    robots = None
    if strategy.robots:
        if state.is_classic:
            environment = await client.environment_robots(release.environment_name or "")
            if environment is not None:
                state.environments[environment.name] = environment
            robots = list(environment.robots) if environment else []
        else:
            robots = await client.folder_robots(folder.id) if folder else []
            if folder:
                state.folder_robots[folder.id] = robots
        by_name = {robot.name: robot.id for robot in robots}
        state.selected_robots[state.robots_key()] = {
            by_name[name] for name in strategy.robots if name in by_name
        }

    try:
        specs = argument_specs(release)
        defaults = parse_process_defaults(release.input_arguments)
    except ArgumentsFormatError:
        return "Arguments", []  # the Arguments step explains what cannot be read
    for spec in specs:
        if spec.name in template.arguments:
            try:
                value = spec.from_toml(template.arguments[spec.name])
            except ArgumentValueError:
                state.argument_texts[spec.name] = str(template.arguments[spec.name])
            else:
                state.argument_texts[spec.name] = spec.to_text(value)
    findings = check_drift(template, release, specs, robots, given=defaults.keys()) if check else []
    landing = _landing(app, template, specs, defaults, findings)
    return landing, findings


def _landing(app, template, specs, defaults, findings) -> str:
    state = app.state
    codes = {finding.code for finding in findings if finding.blocks}
    if any("robot" in code for code in codes) or (
        template.strategy.kind == "Specific" and not state.selected_robots.get(state.robots_key())
    ):
        return "Strategy"
    if specs:
        texts = {name: text for name, text in state.argument_texts.items()}
        values, errors = collect_values(list(specs), texts, defaults)
        if errors or any(name not in texts for name in template.ask):
            return "Arguments"
        state.argument_values = values
    return "Review"


def landing_note(landing: str, app, template: Template) -> Optional[str]:
    """Why the wizard stopped on ``landing`` after filling it from ``template`` (None: on
    Review, nothing to say). Drift findings, when there are any, are shown instead."""
    state = app.state
    if landing == "Folder":
        return "Choose the folder: the saved one was not found."
    if landing == "Process":
        return "Choose the process: the saved release was not found."
    if landing == "Release":
        return f"{template.process.key} has several releases: choose one."
    if landing == "Strategy":
        return "Choose the robots: the saved ones are not all there."
    if landing == "Arguments":
        asked = [name for name in template.ask if not state.argument_texts.get(name)]
        if asked:
            return (
                f"Type {', '.join(asked)}: the template asks for it at every replay and never "
                "stores it. Then press ctrl+n."
            )
        return "Some argument values need attention (see the fields below)."
    return None

