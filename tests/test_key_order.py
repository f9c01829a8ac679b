"""Keys that arrive in one burst apply in the order typed (Textual issue #6605).

``burst`` hands keys to the app the way the terminal driver does with bytes it read at once
(a laggy SSH link): ``driver.send_message`` per key, with none of the waits Pilot's
``press`` makes between keys, so a key is queued before the previous one was handled.
"""

from __future__ import annotations

import pytest
import tour
from textual import events
from textual.app import App
from textual.keys import _character_to_key
from textual.widgets import Input
from tour import fill, past_options, settle, to_arguments

from tui_app.ui import keys
from tui_app.ui.keys import OrderedKeys
from tui_app.ui.screens import ArgumentsScreen, ConnectScreen, StrategyScreen
from tui_app.ui.widgets import OrderedTextArea, SafeInput

SIZE = (80, 24)
NAMED = {"space": " ", "enter": "\r", "tab": "\t", "backspace": "\x7f", "escape": "\x1b"}


def send(app, *typed: events.Event) -> None:
    """Hand events to the app the way the driver does, back to back."""
    for event in typed:
        event.set_sender(app)
        app._driver.send_message(event)


def key(name: str) -> events.Key:
    """The event for a character ("a", "!") or a key name ("tab", "ctrl+u")."""
    if len(name) == 1:
        return events.Key(name if name.isalnum() else _character_to_key(name), name)
    return events.Key(name, NAMED.get(name))


async def burst(pilot, *names: str) -> None:
    """Send the keys back to back, then let the app handle them."""
    app = pilot.app
    send(app, *map(key, names))
    await settle(pilot)
    # OrderedKeys hands keys out one at a time: wait for the last one (absent before the fix).
    while getattr(app, "_waiting", None) or getattr(app, "_unsettled", None):
        await pilot.pause(0.02)
    await settle(pilot)


class PlainForm(App):
    """A plain Textual app: the fields alone keep their own keys in order."""

    def compose(self):
        yield SafeInput(id="one")
        yield OrderedTextArea(id="text")


class OrderedForm(OrderedKeys, App):
    """The wizard's key handling in a minimal app."""

    def compose(self):
        yield SafeInput(id="one")
        yield SafeInput(id="two")
        yield OrderedTextArea(id="text")


EDITING = [
    # keys, the value they leave in an empty field
    (["x", "y", "backspace", "z"], "xz"),
    (["a", "b", "left", "left", "X", "right", "Y"], "XaYb"),
    (["b", "c", "home", "a", "end", "d"], "abcd"),
    (["o", "l", "d", "ctrl+u", "n", "e", "w"], "new"),
    (["a", "b", "c", "left", "left", "delete", "Z", " ", "!"], "aZ !c"),
]


@pytest.mark.parametrize("typed, value", EDITING)
async def test_input_editing_keys_apply_in_order(typed, value):
    app = PlainForm()
    async with app.run_test(size=SIZE) as pilot:
        await burst(pilot, *typed)
        assert app.query_one("#one", SafeInput).value == value


@pytest.mark.parametrize("typed, value", EDITING)
async def test_text_area_editing_keys_apply_in_order(typed, value):
    app = PlainForm()
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#text").focus()
        await pilot.pause()
        await burst(pilot, *typed)
        assert app.query_one("#text", OrderedTextArea).text == value


async def test_text_area_lines_and_arrows_apply_in_order():
    app = PlainForm()
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#text").focus()
        await pilot.pause()
        await burst(pilot, "a", "enter", "b", "up", "end", "c", "down", "backspace", "d")
        assert app.query_one("#text", OrderedTextArea).text == "ac\nd"


async def test_focus_keys_apply_in_order():
    app = OrderedForm()
    async with app.run_test(size=SIZE) as pilot:
        await burst(pilot, "A", "tab", "B", "backspace", "C", "tab", "D", "shift+tab", "end", "E")
        assert app.query_one("#one", SafeInput).value == "A"
        assert app.query_one("#two", SafeInput).value == "CE"
        assert app.query_one("#text", OrderedTextArea).text == "D"
        assert app.focused is app.query_one("#two")


async def test_a_paste_and_a_click_keep_their_place_among_the_keys():
    app = OrderedForm()
    async with app.run_test(size=SIZE) as pilot:
        one = app.query_one("#one", SafeInput)
        x, y = one.region.offset
        arguments = dict(widget=None, x=x, y=y, delta_x=0, delta_y=0, button=1,
                         shift=False, meta=False, ctrl=False, screen_x=x, screen_y=y)
        send(app, key("a"), key("tab"), events.Paste("pasted"),
             events.MouseDown(**arguments), events.MouseUp(**arguments))
        await burst(pilot, "end", "b")
        assert one.value == "ab"
        assert app.query_one("#two", SafeInput).value == "pasted"


@pytest.mark.parametrize("attempt", range(3))
async def test_leaving_with_keys_still_waiting_is_clean(make_wizard, attempt):
    """The app closes (a signal, a finished run) while keys wait: they are dropped quietly,
    not handed to a screen that is gone (ScreenStackError). A race: before the fix each
    attempt hit it about half the time."""
    app = make_wizard(url="", client_id="", client_secret="")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        send(app, *map(key, "abcdefghijklmnopqrstuvwxyz" * 4))
        await pilot.pause(0.05)


async def test_connect_fields_take_a_burst_in_order(make_wizard):
    """On the Connect step the burst crosses the sign-in choice (not a text field) too."""
    app = make_wizard(url="", client_id="", client_secret="")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ConnectScreen)
        assert app.focused is app.screen.query_one("#url")
        await burst(
            pilot,
            *"https://x", "backspace", *"cloud.test", "home", "ctrl+k", *"http://h",
            "tab", "tab", *"idd", "backspace", "left", "ctrl+u", "end", *"-app",
            "tab", *"s3cret", "shift+tab", "end", "space", "2",
        )
        assert app.screen.query_one("#url", SafeInput).value == "http://h"
        assert app.screen.query_one("#client_id", SafeInput).value == "d-app 2"
        assert app.screen.query_one("#client_secret", SafeInput).value == "s3cret"
        assert isinstance(app.screen, ConnectScreen)  # no key went astray into a binding


async def test_keys_after_escape_go_on_at_once_on_the_step_before(make_wizard, monkeypatch):
    """Escape closes the step, and the key's follow-up may go with it: the keys after it
    are not held until the settle limit."""
    monkeypatch.setattr(keys, "SETTLE_LIMIT", 60.0)
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await to_arguments(pilot)
        assert isinstance(app.screen, ArgumentsScreen)
        send(app, *map(key, ["I", "N", "C", "escape", "ctrl+n"]))
        for _ in range(40):  # up to 2 s
            await pilot.pause(0.05)
            if isinstance(app.screen, ArgumentsScreen) and app.screen.query("#arg-0"):
                break
        assert isinstance(app.screen, ArgumentsScreen)  # Strategy's ctrl+n came through
        assert app.screen.query_one("#arg-0", SafeInput).value == "INC"


async def test_arguments_enter_moves_on_before_the_next_key(make_wizard):
    """Enter in an argument field moves to the next one; the keys after it follow it there,
    and a JSON editor (a TextArea) takes its keys in order too."""
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await settle(pilot)
        await fill(pilot, "Finance")
        await pilot.press("enter")
        await settle(pilot, 0.1)
        await pilot.press("enter")  # Action: Start a job
        await settle(pilot, 0.1)
        app.screen.query_one("#search", Input).value = "ArgumentShowcase"
        await settle(pilot, 0.4)
        await pilot.press("enter")
        await settle(pilot, 0.1)
        assert isinstance(app.screen, StrategyScreen)
        await pilot.press("ctrl+n")
        await settle(pilot)
        await past_options(pilot)
        assert isinstance(app.screen, ArgumentsScreen)
        assert app.focused is app.screen.query_one("#arg-0")
        await burst(pilot, *"hi", "enter", *"x", "tab", *"42", "backspace", "3")
        values = [app.screen.query_one(f"#arg-{n}", SafeInput).value for n in range(3)]
        assert values == ["hi", "x", "43"]
        editor = app.screen.query(OrderedTextArea).first()
        editor.focus()
        await pilot.pause()
        editor.text = ""
        await burst(pilot, *'["a"]', "left", "left", "backspace", "b", "end", "left", ",")
        assert editor.text == '["b",]'


async def test_a_space_typed_before_the_robots_are_listed_ticks_the_first(make_wizard, sandbox):
    """A laggy link: Tab, Tab, Space arrive while the checklist's robots are on their way."""
    import asyncio

    from wizard_fakes import intercept

    async def slowly(request, forward):
        await asyncio.sleep(0.5)
        return await forward()

    app = make_wizard()
    intercept(app, sandbox, {"/odata/Environments": slowly})
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_strategy(pilot)
        await pilot.press("tab", "tab", "space")
        await settle(pilot, 0.8)
        assert app.session.ticked_robots() == {101}


async def test_keys_after_enter_on_a_list_follow_it_to_the_next_step(make_wizard):
    """Enter on a list runs its binding at the app, and the list's ``OptionSelected`` opens
    the next step only after that: Tab, Tab, Space typed with it go to the Strategy step
    (the second Tab into the robot list, Space ticks), not one Tab to the Release step."""
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_strategy(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await burst(pilot, "enter", "tab", "tab", "space")
        assert isinstance(app.screen, StrategyScreen)
        assert app.focused is not None and app.focused.id == "robots"
        assert app.session.ticked_robots() == {101}
        assert app.screen.query_one("#robot-filter", Input).value == ""

