"""Drive the wizard to each step with the keyboard, for snapshot tests and README screenshots.

Each ``to_<step>`` coroutine takes a Pilot of a freshly started wizard (connected to the
sandbox's demo tenant) and leaves it on that step with realistic choices made.
"""

from __future__ import annotations

from textual.widgets import Input, TextArea
from textual.worker import WorkerCancelled


async def settle(pilot, delay: float = 0.05) -> None:
    """Let timers fire and every worker finish (the search debounce is 0.3 s). An exclusive
    worker cancelled meanwhile (a newer search replaced it) is not a failure: wait again for
    the ones still running."""
    await pilot.pause(delay)
    for _ in range(20):
        try:
            await pilot.app.workers.wait_for_complete()
            break
        except WorkerCancelled:
            await pilot.pause()
    await pilot.pause()


#: How long a Pilot test waits for something the sandbox does (a job to end): the suite runs
#: in parallel on small CI machines, so room for load; a passing test never waits this long.
PATIENCE = 30.0


async def wait_until(pilot, condition, timeout: float = PATIENCE) -> None:
    """Pause until ``condition()`` (no settle: the Run step's poll runs until jobs end)."""
    waited = 0.0
    while not condition():
        await pilot.pause(0.05)
        waited += 0.05
        assert waited < timeout, "timed out"
    await pilot.pause()


async def wait_for_final_jobs(pilot, timeout: float = PATIENCE) -> None:
    """Pause until the wizard has jobs and every one of them has ended, then settle."""
    state = pilot.app.state
    await wait_until(pilot, lambda: state.jobs and not state.unfinished_jobs(), timeout)
    await settle(pilot)


async def fill(pilot, text: str) -> None:
    """Put ``text`` into the focused field at once (Pilot types ~15 keys a second)."""
    widget = pilot.app.focused
    if isinstance(widget, TextArea):
        widget.text = text
    else:
        assert isinstance(widget, Input), widget
        widget.value = text
    await pilot.pause()


async def to_connect(pilot) -> None:
    await settle(pilot)


async def to_folder(pilot) -> None:
    await pilot.press("enter")
    await settle(pilot)


async def to_action(pilot, folder: str = "Default") -> None:
    """The Action step of ``folder``."""
    await to_folder(pilot)
    await fill(pilot, folder)
    await pilot.press("enter")
    await settle(pilot)


async def to_process(pilot, folder: str = "Default") -> None:
    await to_action(pilot, folder)
    await pilot.press("enter")  # Start a job: the highlighted action
    await settle(pilot)


async def to_queue(pilot, folder: str = "Finance") -> None:
    """The Queue step of ``folder`` (Add a queue item chosen on the Action step)."""
    await to_action(pilot, folder)
    await pilot.press("down", "enter")
    await settle(pilot)


async def search(pilot, text: str) -> None:
    """Type ``text`` key by key (the debounce sends one request) and wait for the answer."""
    await pilot.press(*list(text))
    await settle(pilot, 0.45)


async def to_release(pilot) -> None:
    await to_process(pilot)
    await search(pilot, "triage")
    await pilot.press("enter")
    await settle(pilot)


async def to_strategy(pilot) -> None:
    await to_release(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def tick_first_robot(pilot) -> None:
    await pilot.press("tab", "tab", "space")


async def to_options(pilot) -> None:
    await to_strategy(pilot)
    await tick_first_robot(pilot)
    await pilot.press("ctrl+n")
    await settle(pilot)


async def to_modern_options(pilot) -> None:
    """The Options step of OpsReportSuite in the modern folder Operations: three entry
    points, hosts in several states; Flows/Report.xaml and a specific priority chosen."""
    from textual.widgets import Select

    await to_process(pilot, "Operations")
    await search(pilot, "report")
    await pilot.press("enter")  # one release: straight to Strategy
    await settle(pilot)
    await pilot.press("ctrl+n")
    await settle(pilot)
    screen = pilot.app.screen
    screen.query_one("#entry-point", Select).value = "Flows/Report.xaml"
    screen.query_one("#priority", Select).value = "value"
    await settle(pilot)
    await fill(pilot, "85")  # the priority value has the focus
    await settle(pilot)


async def past_options(pilot) -> None:
    """On the Options step: Ctrl+N goes straight on (every option is pre-filled)."""
    from tui_app.ui.screens import OptionsScreen

    assert isinstance(pilot.app.screen, OptionsScreen), pilot.app.screen
    await pilot.press("ctrl+n")
    await settle(pilot)


async def to_arguments(pilot) -> None:
    await to_options(pilot)
    await past_options(pilot)


async def to_review(pilot, incident: str = "INC0010234") -> None:
    await to_arguments(pilot)
    await fill(pilot, incident)
    await pilot.press("ctrl+n")
    await settle(pilot)


async def to_run(pilot) -> None:
    await to_review(pilot)
    await pilot.press("ctrl+r")
    await settle(pilot)


async def to_content(pilot) -> None:
    """The Content step of InvoiceIntake (Finance): the form from its item schema."""
    await to_queue(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def to_item(pilot) -> None:
    """The Item step, the invoice's required content typed in."""
    await to_content(pilot)
    for text in ("INV-20417", "ACME Supplies", "1249.90"):
        await fill(pilot, text)
        await pilot.press("tab")
    screen = pilot.app.screen
    index = [f.name for f in screen.fields].index("Currency")
    screen.query_one(f"#arg-{index}").focus()
    await pilot.press("space")  # EUR
    await pilot.press("ctrl+n")
    await settle(pilot)


async def to_queue_review(pilot) -> None:
    """The queue flow's Review, High priority and the invoice number as the reference."""
    await to_item(pilot)
    pilot.app.screen.query_one("#priority").value = "High"
    pilot.app.screen.query_one("#reference").focus()
    await pilot.pause()
    await fill(pilot, "INV-20417")
    await pilot.press("ctrl+n")
    await settle(pilot)
