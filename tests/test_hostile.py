"""Hostile text: the client escapes it end to end, and the wizard shows it without obeying it.

Client level: searching for each string of ``HOSTILE_STRINGS`` finds exactly its release, and
no raw URL carries an unescaped quote or control character. UI level (Pilot, the sandbox's
``Hostile`` folders): server text shows literally - markup brackets visible, control
characters as visible symbols - no action runs, nothing is copied to the clipboard, and text
typed or pasted into the search box and the argument fields is kept exactly.
"""

from __future__ import annotations

import json
import unicodedata

import httpx
import pytest
from textual import events
from textual.app import App
from textual.widgets import DataTable, Input, OptionList, SelectionList, Static
from tour import fill, past_options, settle, wait_for_final_jobs

from tui_app.orchestrator import OrchestratorClient, TokenAuth
from tui_app.sandbox import DEMO, SandboxConfig
from tui_app.sandbox.hostile import (
    CLEAR,
    CLICK,
    CONTROL,
    EMOJI,
    HOSTILE_ARGUMENT_NAMES,
    HOSTILE_ENVIRONMENT,
    HOSTILE_ERROR,
    HOSTILE_FAILURE_VALUE,
    HOSTILE_FOLDER,
    HOSTILE_STRINGS,
    HOSTILE_SUBFOLDER,
    MARKUP,
    OSC52,
    QUOTES,
    RTL,
)
from tui_app.text import visible
from tui_app.ui.screens import (
    ArgumentsScreen,
    FolderScreen,
    ProcessScreen,
    ReviewScreen,
    RunScreen,
    StrategyScreen,
)
from tui_app.ui.screens import process as process_screen

SIZE = (110, 40)


@pytest.fixture
def sandbox_config():
    return SandboxConfig(hostile=True, job_pending_seconds=0.1, job_running_seconds=0.2,
                         stop_seconds=0.1)


@pytest.fixture
def clipboard(monkeypatch):
    """Every clipboard write the app attempts (there must be none)."""
    calls: list = []
    monkeypatch.setattr(App, "copy_to_clipboard", lambda self, text: calls.append(text))
    return calls


@pytest.fixture(autouse=True)
def quick_search(monkeypatch):
    monkeypatch.setattr(process_screen, "SEARCH_DELAY", 0.02)


# ------------------------------------------------------------------------------ helpers


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"


def lines(app, widget=None) -> list:
    """What the terminal shows (strips of segments), for the screen or one widget."""
    strips = app.screen._compositor.render_strips()
    if widget is None:
        return strips
    region = widget.region.intersection(app.screen.region)
    return [strips[y].crop(region.x, region.right) for y in range(region.y, region.bottom)]


def text_of(strips) -> str:
    return "\n".join("".join(s.text for s in strip if not s.control) for strip in strips)


def flat(text: str) -> str:
    """Text without any whitespace (so wrapped lines compare with one long string)."""
    return "".join(text.split())


def raw_controls(strips) -> list:
    """Control characters that would reach the terminal as data (escape sequences etc.)."""
    return [(s.text, c) for strip in strips for s in strip if not s.control
            for c in s.text if _is_control(c)]


def click_actions(strips) -> list:
    """Click actions attached to rendered text (``[@click=...]`` markup would add one)."""
    found = []
    for strip in strips:
        for segment in strip:
            meta = segment.style.meta if segment.style is not None else {}
            if meta and "@click" in meta:
                found.append((segment.text, meta["@click"]))
    return found


def shown(text: str, limit: int = 60) -> str:
    return visible(text, single_line=True, limit=limit)


def assert_clean(app, widget=None) -> None:
    strips = lines(app, widget)
    assert raw_controls(strips) == []
    assert [a for a in click_actions(strips) if "quit" in str(a[1])] == []


async def connect_to(pilot, folder: str = HOSTILE_FOLDER) -> None:
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, FolderScreen)
    await fill(pilot, folder)
    await pilot.press("enter")
    await settle(pilot, 0.1)
    await pilot.press("enter")  # Action: Start a job
    await settle(pilot, 0.1)
    assert isinstance(pilot.app.screen, ProcessScreen)


async def search_for(pilot, text: str) -> None:
    search = pilot.app.screen.query_one("#search", Input)
    search.value = text
    await settle(pilot, 0.1)


async def open_process(pilot, name: str) -> None:
    await search_for(pilot, name)
    assert [row.key for row in pilot.app.screen.rows] == [name]
    await pilot.press("enter")
    await settle(pilot, 0.1)


async def show_robots(pilot) -> SelectionList:
    """Move into the robot list (robots are fetched then) and wait for them."""
    screen = pilot.app.screen
    assert isinstance(screen, StrategyScreen)
    picker = screen.query_one("#robots", SelectionList)
    picker.focus()
    await settle(pilot)
    return picker


async def tick_robots(pilot, robot_ids) -> None:
    picker = await show_robots(pilot)
    values = [option.value for option in picker.options]
    for robot_id in robot_ids:
        picker.highlighted = values.index(robot_id)
        await pilot.press("space")
    await pilot.pause()


# ------------------------------------------------------------------------------ client level


def test_the_corpus_covers_every_kind():
    text = "".join(HOSTILE_STRINGS)
    for needle in ("[bold red]x[/]", "[@click=app.quit]quit[/]", "\x1b]52;c;aGVsbG8=\x07",
                   "\x1b[2J", "'", '"', "%", "&", "#", "\u202e", "\x00", "\U0001f680",
                   "\u0301", "\x7f", "\x9b"):
        assert needle in text, repr(needle)
    assert any(len(s) == 10_000 for s in HOSTILE_STRINGS)
    assert len(set(HOSTILE_STRINGS)) == len(HOSTILE_STRINGS)


async def test_searching_for_each_hostile_string_finds_exactly_its_release(sandbox):
    urls: list = []

    async def record(request: httpx.Request) -> None:
        urls.append(request.url.raw_path)

    async with OrchestratorClient(sandbox.orchestrator_url,
                                  TokenAuth(DEMO.personal_access_token),
                                  folder=HOSTILE_FOLDER, trust_env=False) as client:
        client._http.event_hooks["request"].append(record)
        for text in HOSTILE_STRINGS:
            page = await client.search_releases(text)
            assert [(r.name, r.process_key, r.description) for r in page.items] == [
                (text, text, text)], repr(text[:40])
            assert page.total == 1
            [release] = await client.releases_for_process(text)
            assert release.name == text
        environment = await client.environment_robots(HOSTILE_ENVIRONMENT)
        assert environment is not None and environment.name == HOSTILE_ENVIRONMENT
        assert [r.name for r in environment.robots][:2] == [CLICK, OSC52]
    assert len(urls) == 2 * len(HOSTILE_STRINGS) + 2  # two sessions reads: no retries
    for raw in urls:
        assert all(32 < byte < 127 for byte in raw), raw[:80]  # no raw control/space/non-ASCII
        for char in (b"'", b'"', b"#", b" ", b"[", b"]"):
            assert char not in raw, (char, raw[:120])
    # The sandbox decoded the exact filter the client meant: quotes doubled, nothing else.
    filters = [r.query.get("$filter", "") for r in sandbox.request_log
               if r.route == "GET /odata/Releases"]
    assert "contains(tolower(Name),'quote o''brien''s \"report\"')" in "".join(filters)


async def test_hostile_error_messages_and_job_info_reach_the_client_unchanged(sandbox):
    from tui_app.sandbox.hostile import HOSTILE_ARGUMENTS_KEY, HOSTILE_REFUSAL_KEY
    from tui_app.starting import start_once

    async with OrchestratorClient(sandbox.orchestrator_url,
                                  TokenAuth(DEMO.personal_access_token),
                                  folder=HOSTILE_FOLDER, trust_env=False) as client:
        refused = await start_once(client, {"ReleaseKey": HOSTILE_REFUSAL_KEY,
                                            "Strategy": "JobsCount", "JobsCount": 1,
                                            "Reference": "startjob:hostile-1"})
        assert refused.status == "not_started"
        assert refused.error.message == HOSTILE_ERROR
        started = await start_once(client, {"ReleaseKey": HOSTILE_ARGUMENTS_KEY,
                                            "Strategy": "Specific", "RobotIds": [501],
                                            "Reference": "startjob:hostile-2"})
        assert started.status == "started"
        sandbox.tenant.job_running_seconds = 0
        import asyncio

        await asyncio.sleep(0.5)
        [job] = await client.get_jobs([started.jobs[0].id])
        assert job.state == "Faulted" and HOSTILE_FAILURE_VALUE in job.info


# ------------------------------------------------------------------------------ UI level


async def test_hostile_folder_names_show_literally(make_wizard, clipboard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await settle(pilot)
        await fill(pilot, "Hostile")
        folders = app.screen.query_one(OptionList)
        text = text_of(lines(app, folders))
        assert "Hostile  · classic" in text
        assert f"{shown('Hostile/' + HOSTILE_SUBFOLDER, 200)}  · modern" in text
        assert "[bold]x[/]" in text and "␛[2J" in text and "<U+202E>RTL" in text
        assert_clean(app)
        assert app.is_running
    assert clipboard == []


async def test_every_hostile_process_is_found_and_shown_literally(make_wizard, clipboard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await connect_to(pilot)
        screen = app.screen
        options = screen.query_one("#processes", OptionList)
        listed = text_of(lines(app, options))
        assert "Markup [bold red]x[/]" in listed and "Clipboard ␛]52;c;aGVsbG8=␇ end" in listed
        assert_clean(app)  # the whole screen: search box empty, list full of hostile text
        for text in HOSTILE_STRINGS:
            await search_for(pilot, text)
            assert screen.query_one("#search", Input).value == text
            assert app.state.search_text == text
            assert [row.key for row in screen.rows] == [text], repr(text[:40])
            strips = lines(app, options)
            assert shown(text) in text_of(strips), repr(text[:40])
            assert raw_controls(strips) == [] and click_actions(strips) == []
            count = text_of(lines(app, screen.query_one("#count", Static)))
            assert "1 process(es), 1 release." in count
        # Clicking hostile text runs no action; it just chooses the process.
        await search_for(pilot, CLICK)
        await pilot.click(OptionList, offset=(10, 0))
        await settle(pilot, 0.1)
        assert app.is_running and isinstance(app.screen, StrategyScreen)
    assert clipboard == []


async def test_typing_and_pasting_hostile_text_into_the_search_box_keeps_it(make_wizard,
                                                                            sandbox):
    app = make_wizard()
    typed = "[b]x[/] 'O''B' %&#+é"
    async with app.run_test(size=SIZE) as pilot:
        await connect_to(pilot)
        search = app.screen.query_one("#search", Input)
        search.focus()
        await pilot.press(*list(typed))
        await settle(pilot, 0.1)
        assert search.value == typed and app.state.search_text == typed
        assert app.screen.rows == []
        assert f"No process matches '{typed}'" in text_of(lines(app))
        search.value = ""
        app.post_message(events.Paste(OSC52 + "\nsecond line"))
        await settle(pilot, 0.1)
        assert search.value == OSC52  # first line only, every character kept
        assert [row.key for row in app.screen.rows] == [OSC52]
        assert app.is_running
    sent = [r.query.get("$filter", "") for r in sandbox.request_log
            if r.route == "GET /odata/Releases"]
    assert any(typed.lower().replace("'", "''") in f for f in sent)


async def test_hostile_robots_arguments_review_and_job_info(make_wizard, sandbox, clipboard):
    app = make_wizard()
    typed_markup = "[@click=app.quit]q[/] 'O'"
    async with app.run_test(size=SIZE) as pilot:
        await connect_to(pilot)
        await open_process(pilot, "HostileArguments")
        screen = app.screen
        assert isinstance(screen, StrategyScreen)
        # The environment's robots were found with its quote-laden name ($filter escaping).
        await show_robots(pilot)
        robots = text_of(lines(app, screen.query_one("#robots")))
        assert shown(CLICK, 24) in robots and shown(OSC52, 24) in robots
        assert "␀" in robots  # the robot named with a NUL
        heading = text_of(lines(app, screen.query_one("#heading")))
        assert shown(HOSTILE_ENVIRONMENT) in heading
        assert_clean(app)
        await tick_robots(pilot, [501, 502])
        await pilot.press("ctrl+n")
        await settle(pilot)
        await past_options(pilot)

        screen = app.screen
        assert isinstance(screen, ArgumentsScreen)
        titles = text_of(lines(app, screen.query_one("#arguments")))
        for name in HOSTILE_ARGUMENT_NAMES:
            assert shown(name) in titles
        for label in screen.query(".arg-title"):
            assert_clean(app, label)
        first = screen.query_one("#arg-0", Input)
        first.focus()
        await pilot.press(*list(typed_markup))  # typed key by key
        second = screen.query_one("#arg-1", Input)
        second.focus()
        await pilot.pause()
        app.post_message(events.Paste(CLEAR))  # pasted, escape sequence and all
        third = screen.query_one("#arg-2", Input)
        third.value = f"{RTL} {EMOJI}"
        await pilot.pause()
        expected = {MARKUP: typed_markup, OSC52: CLEAR, QUOTES: f"{RTL} {EMOJI}"}
        assert {name: app.state.argument_texts.get(name) for name in expected} == expected
        await pilot.press("ctrl+n")
        await settle(pilot)

        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        review = text_of(lines(app, screen.query_one("#summary")))
        assert flat(f"{shown(MARKUP)} = {shown(typed_markup, 300)}") in flat(review)
        assert flat(f"{shown(OSC52)} = {shown(CLEAR, 300)}") in flat(review)
        assert_clean(app, screen.query_one("#review"))
        await pilot.press("ctrl+r")
        await settle(pilot)

        screen = app.screen
        assert isinstance(screen, RunScreen)
        await wait_for_final_jobs(pilot)
        assert [job.state for job in app.state.jobs] == ["Faulted", "Faulted"]
        detail = text_of(lines(app, screen.query_one("#job-detail")))
        assert flat(visible(HOSTILE_FAILURE_VALUE)) in flat(detail)
        assert_clean(app)
        assert app.is_running
    assert clipboard == []
    [start] = [r for r in sandbox.request_log if r.route.endswith("StartJobs")]
    sent = json.loads(json.loads(start.body)["startInfo"]["InputArguments"])
    assert {name: sent[name] for name in expected} == expected  # as typed, not interpreted
    assert sent.get("Plain", HOSTILE_FAILURE_VALUE) == HOSTILE_FAILURE_VALUE


async def test_a_hostile_refusal_is_shown_literally(make_wizard, clipboard):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await connect_to(pilot)
        await open_process(pilot, "HostileRefusal")
        screen = app.screen
        assert isinstance(screen, StrategyScreen)
        await tick_robots(pilot, [501])
        await pilot.press("ctrl+n")
        await settle(pilot)
        await past_options(pilot)
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("ctrl+r")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReviewScreen)  # nothing started
        message = text_of(lines(app, screen.query_one("#message")))
        assert flat(visible(HOSTILE_ERROR)) in flat(message)
        assert "[boldred]x[/]" in flat(message) and "␛]52;c;aGVsbG8=␇" in flat(message)
        assert_clean(app)
        assert app.is_running
    assert clipboard == []


async def test_a_ten_thousand_character_name_does_not_take_over_the_screen(make_wizard):
    from tui_app.sandbox.hostile import LONG

    app = make_wizard()
    async with app.run_test(size=(80, 24)) as pilot:
        await connect_to(pilot)
        await open_process(pilot, LONG)
        await tick_robots(pilot, [501])
        await pilot.press("ctrl+n")
        await settle(pilot)
        await past_options(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert "Start (ctrl+r)" in text_of(lines(app))  # the buttons are still on screen
        await pilot.press("ctrl+r")
        await settle(pilot)
        await wait_for_final_jobs(pilot)
        assert isinstance(app.screen, RunScreen)
        screen = text_of(lines(app)).splitlines()
        assert screen[1].startswith(" 1 job(s) of Long") and "xxx" not in screen[2]
        assert any(line.lstrip().startswith("10001") for line in screen[3:8])


# ------------------------------------------------------------------------------ the Run table


async def test_run_table_cells_are_not_markup(make_wizard, sandbox, clipboard):
    """DataTable reads plain str cells as markup: a robot named like a click action must stay
    text, and a stray '[/]' must not raise MarkupError (which would crash the app)."""
    tenant = sandbox.tenant
    tenant.add_robot("[@click=app.quit]", "Q", "Available", environment_id=14, robot_id=505)
    tenant.add_robot("[/]", "x", "Available", environment_id=14, robot_id=506)
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await connect_to(pilot)
        await open_process(pilot, "HostileArguments")
        await tick_robots(pilot, [505, 506])
        await pilot.press("ctrl+n")
        await settle(pilot)
        await past_options(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, RunScreen)
        await wait_for_final_jobs(pilot)
        table = app.screen.query_one(DataTable)
        strips = lines(app, table)
        assert click_actions(strips) == []
        text = text_of(strips)
        assert "[@click=app.quit]" in text and "[/] / x" in text
        await pilot.click(DataTable, offset=(10, 1))  # on the robot cell of the first row
        await settle(pilot)
        assert app.is_running
    assert clipboard == []


# ------------------------------------------------------------------------------ editors


async def test_editors_show_control_characters_as_symbols(make_wizard):
    """Input values (process defaults from Orchestrator, pasted text) keep every character,
    but control characters are drawn as symbols, never sent to the terminal as codes."""
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await connect_to(pilot)
        search = app.screen.query_one("#search", Input)
        await search_for(pilot, OSC52)
        assert search.value == OSC52
        strips = lines(app, search)
        assert raw_controls(strips) == [] and "␛]52;c;aGVsbG8=␇" in text_of(strips)
        await open_process(pilot, "HostileArguments")
        await tick_robots(pilot, [501])
        await pilot.press("ctrl+n")
        await settle(pilot)
        await past_options(pilot)
        screen = app.screen
        assert isinstance(screen, ArgumentsScreen)
        plain = screen.query_one("#arg-3", Input)  # pre-filled with the process default
        assert plain.value == HOSTILE_FAILURE_VALUE  # the value itself stays literal...
        strips = lines(app, plain)
        assert raw_controls(strips) == []  # ... but is not sent to the terminal raw
        assert "␛]52;c;aGVsbG8=␇" in text_of(strips)
        pasted = screen.query_one("#arg-1", Input)
        pasted.focus()
        await pilot.pause()
        app.post_message(events.Paste(CONTROL))
        await pilot.pause()
        assert pasted.value == CONTROL
        assert raw_controls(lines(app, pasted)) == []
        assert "nul␀ bel␇" in text_of(lines(app, pasted))


async def test_json_editors_keep_control_characters_as_json_escapes(make_wizard):
    """A JSON editor never draws raw control characters: pasted ones become JSON escapes,
    which mean the same inside a JSON string."""
    from textual.widgets import TextArea

    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await connect_to(pilot, "Finance")
        await open_process(pilot, "ArgumentShowcase")
        assert isinstance(app.screen, StrategyScreen)
        await pilot.press("ctrl+n")
        await settle(pilot)
        await past_options(pilot)
        assert isinstance(app.screen, ArgumentsScreen)
        editor = app.screen.query(TextArea).first()
        editor.focus()
        await settle(pilot)
        app.post_message(events.Paste(f'["{CLEAR}", "{MARKUP}"]'))  # as a terminal pastes
        await settle(pilot)
        assert json.loads(editor.text) == [CLEAR, MARKUP]
        strips = lines(app, editor)
        assert raw_controls(strips) == []
        assert "[bold red]x[/]" in text_of(strips)
