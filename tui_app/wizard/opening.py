"""``startjob open TEMPLATE`` and resumed drafts: fill the session from a template and say
on which step to land.

After the person has signed in, the template's folder, release, strategy, robots and argument
values are resolved against Orchestrator (by ``tui_app.resolver``, as ``startjob run`` does),
the drift check runs, and the wizard opens on Review when everything is valid, or on the first
step that needs attention.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional

from tui_app.arguments import (
    ArgumentsFormatError,
    ArgumentValueError,
    collect_values,
    parse_process_defaults,
)
from tui_app.arguments.spec import ArgumentSpec
from tui_app.drafts import Draft
from tui_app.drift import Finding, check_drift
from tui_app.resolver import (
    AmbiguousRelease,
    OptionFacts,
    find_folder,
    pick_release,
    robots_named,
)
from tui_app.start_options import StartOptions, format_duration
from tui_app.templates import ConnectionSpec, ProcessSpec, StrategySpec, Template
from tui_app.wizard.state import DURATION_FIELDS, OptionsChoice

if TYPE_CHECKING:
    from tui_app.wizard.session import WizardSession


#: Codes of the drift findings the Options step settles.
OPTION_CODES = ("entry-point-gone", "machine-gone", "host-gone", "machines-unknown")


def options_choice(options: StartOptions, priority: Any = None) -> OptionsChoice:
    """A template's options (and ``[strategy] priority``) as the Options step shows them."""
    target = options.target
    text = str(priority) if priority is not None else ""
    number = text.isascii() and text.isdigit()
    return OptionsChoice(
        entry_point=options.entry_point or "",
        priority="inherit" if priority is None else "value" if number else text,
        priority_value=text if number else "",
        machine=target.machine if target else "",
        host=(target.host or "") if target else "",
        stop_strategy=options.stop_strategy,
        large_input=options.large_input,
        **{name: format_duration(getattr(options, name)) if getattr(options, name) else ""
           for name, _ in DURATION_FIELDS},
    )


def draft_template(draft: Draft) -> Optional[Template]:
    """A resumed draft as a template to fill the wizard with (None: nothing past Connect)."""
    if draft.action == "add_queue_item":
        return _queue_draft_template(draft)
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


def _queue_draft_template(draft: Draft) -> Optional[Template]:
    """A resumed queue draft as an ``add_queue_item`` template (content as typed text)."""
    from tui_app.queue_plan import ITEM_DATE_FIELDS, ItemOptions
    from tui_app.templates import QueueSpec

    if not draft.queue_name:
        return None
    typed = {name: draft.options.get(name, "") for name in ("priority", "reference",
                                                             *ITEM_DATE_FIELDS)}
    return Template(
        name="resumed draft",
        process=ProcessSpec(""),
        action="add_queue_item",
        connection=ConnectionSpec(folder=draft.folder_path or None),
        queue=QueueSpec(draft.queue_name),
        item=ItemOptions(**{name: text or None for name, text in typed.items()}),
        content=dict(draft.argument_texts),
        ask=tuple(draft.ask_names),
    )


async def _fill_options(session: WizardSession, template: Template,
                        draft: Optional[Draft]) -> tuple[Any, Any]:
    """Fill the Options step from the template (a draft: from its texts); the entry points
    and machine sessions looked up for the drift check (None: not looked up)."""
    state = session.state
    choice = options_choice(template.options, template.strategy.priority)
    if draft is not None and draft.options:
        known = vars(OptionsChoice())
        choice = OptionsChoice(**{k: v for k, v in draft.options.items() if k in known})
    path, choice.entry_point = choice.entry_point, ""
    state.options = choice
    entry_points = sessions = None
    if path:
        listed, note = await session.load_entry_points()
        entry_points = None if note else listed  # not listed by the server: not checked
        session.choose_entry_point(path)
    if choice.machine and not state.is_classic:
        sessions = await session.load_machine_sessions()
    return entry_points, sessions


async def prefill(
    session: WizardSession, template: Template, *, check: bool = True,
    draft: Optional[Draft] = None,
) -> tuple[str, list[Finding]]:
    """Fill ``session.state`` from ``template``; return (landing step, drift findings).

    ``check=False`` skips the drift check (a resumed draft has no saved signature);
    ``draft``: the resumed draft (its Options step texts are kept as typed).
    """
    state, client = session.state, session.client
    state.ask_names = state.ask_names | frozenset(template.ask)  # masked, never in a draft
    if template.connection.folder:
        folder = find_folder(state.folders, template.connection.folder)
        if folder is None:
            return "Folder", check_drift(template, None, folder_missing=True)
        session.choose_folder(folder)
    state.search_text = template.process.key
    releases = await client.releases_for_process(template.process.key)
    try:
        release = pick_release(template.process, releases)
    except AmbiguousRelease:  # several releases and nothing says which: the person chooses
        session.choose_process(releases)
        return "Release", []
    if release is None:
        return "Process", check_drift(template, None)
    session.choose_process(releases)
    session.choose_release(release)

    strategy = template.strategy
    state.strategy_kind = strategy.kind
    state.jobs_count_text = str(strategy.jobs_count or 1)
    state.runtime_type = strategy.runtime_type or "Unattended"
    robots = None
    if strategy.robots:
        robots = list(await session.load_robots() or [])
        named = robots_named(robots, strategy.robots)
        state.selected_robots[state.robots_key()] = {robot.id for robot in named}
    entry_points, sessions = await _fill_options(session, template, draft)

    try:
        specs = session.argument_specs()
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
    facts = OptionFacts(entry_points=entry_points, sessions=sessions,
                        sessions_problem=None if sessions is not None or not
                        template.options.target else "this server does not list them",
                        capacities=session.known_runtimes())
    findings = check_drift(template, release, specs, robots, given=defaults.keys(),
                           facts=facts) if check else []
    landing = _landing(session, template, specs, defaults, findings)
    return landing, findings


def _landing(
    session: WizardSession,
    template: Template,
    specs: Sequence[ArgumentSpec],
    defaults: Mapping[str, Any],
    findings: Sequence[Finding],
) -> str:
    state = session.state
    codes = {finding.code for finding in findings if finding.blocks}
    if any("robot" in code or "runtime" in code for code in codes) or (
        template.strategy.kind == "Specific" and not state.selected_robots.get(state.robots_key())
    ):
        return "Strategy"
    if any(code in OPTION_CODES for code in codes):
        return "Options"
    if specs:
        texts = {name: text for name, text in state.argument_texts.items()}
        values, errors = collect_values(list(specs), texts, defaults)
        if errors or any(name not in texts for name in template.ask):
            return "Arguments"
        state.argument_values = values
    return "Review"


def _queue_landing_note(landing: str, session: WizardSession,
                        template: Template) -> Optional[str]:
    if landing == "Queue":
        return "Choose the queue: the saved one was not found."
    if landing == "Content":
        asked = session.queue.asked_for(template)
        if asked:
            return (f"Type {', '.join(asked)}: the template asks for it at every replay and "
                    "never stores it. Then press ctrl+n.")
        return "Some content values need attention (see the fields below)."
    if landing == "Item":
        return "Some item options need attention (see the fields below)."
    return None


def landing_note(landing: str, session: WizardSession, template: Template) -> Optional[str]:
    """Why the wizard stopped on ``landing`` after filling it from ``template`` (None: on
    Review, nothing to say). Drift findings, when there are any, are shown instead."""
    state = session.state
    if landing == "Folder":
        return "Choose the folder: the saved one was not found."
    if template.action == "add_queue_item":
        return _queue_landing_note(landing, session, template)
    if landing == "Process":
        return "Choose the process: the saved release was not found."
    if landing == "Release":
        return f"{template.process.key} has several releases: choose one."
    if landing == "Strategy":
        return "Choose the robots: the saved ones are not all there."
    if landing == "Options":
        return "Choose the start options again: a saved one is not there any more."
    if landing == "Arguments":
        asked = [name for name in template.ask if not state.argument_texts.get(name)]
        if asked:
            return (
                f"Type {', '.join(asked)}: the template asks for it at every replay and never "
                "stores it. Then press ctrl+n."
            )
        return "Some argument values need attention (see the fields below)."
    return None

