"""Keys apply in the order they were typed, even when they arrive in one burst.

Textual 8.2.8 (issue #6605) hands each key to the focused widget's own message queue. A key
the widget does not type itself (Tab, Backspace, ctrl+u, arrows, Enter…) then bubbles up,
widget by widget, to the app, which only then runs its binding; by that time the keys that
followed it in a burst (a laggy SSH link, a busy jump host) have been typed, perhaps into
the field that Tab was meant to leave. Two remedies, used together:

* ``InlineBindings`` (editable widgets): run a key's binding in the widget's own key handler,
  so editing keys apply in the widget's queue order (the approach of Textual PR #6631).
* ``OrderedKeys`` (the app): hand out one key (or paste) at a time; the next one waits
  until the previous one has settled, so a focus move (Tab, Enter to the next field, a new
  step) is done before the next key picks its widget.
"""

from __future__ import annotations

from collections import deque
from functools import partial
from time import monotonic
from typing import TYPE_CHECKING, Optional

from textual import events
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget

if TYPE_CHECKING:  # what the mixins are mixed into (at run time they stay plain mixins)
    from textual.app import App

    _WidgetBase = Widget
    _AppBase = App
else:
    _WidgetBase = _AppBase = object

#: Seconds a key may take to settle before the next one goes anyway (a slow handler).
SETTLE_LIMIT = 0.5
#: How often to look whether a key's way up is gone (its step closed): then it settled.
CHECK_EVERY = 0.02


class InlineBindings(_WidgetBase):
    """Mixin for an Input or a TextArea: a key it does not type runs its binding right away."""

    async def _on_key(self, event: events.Key) -> None:
        await super()._on_key(event)  # the widget's own typing: printable keys, a TextArea's Enter
        # ``_stop_propagation`` and ``_check_bindings`` are Textual 8.2.8 internals: the key was
        # typed, or else the same binding look-up the app makes when the key reaches it.
        if not event._stop_propagation and await self.app._check_bindings(event.key):
            event.stop()
        event.prevent_default()  # the base handlers ran above


class KeySettled(Message):
    """Follows a key (or a paste) up from its widget, behind everything it set off there;
    ``lap`` 1 behind the key itself, 2 behind what the key's binding posted to the widget."""

    def __init__(self, typed: events.Event, lap: int = 1) -> None:
        super().__init__()
        self.typed = typed
        self.lap = lap


def _follow(widget: Widget, typed: events.Event, lap: int = 1) -> None:
    widget.post_message(KeySettled(typed, lap))


class OrderedKeys(_AppBase):
    """Mixin for an App: hand out typed keys and pastes one at a time, each once the one
    before it settled; mouse events wait their turn behind them.

    A key goes to its widget as usual; right behind it goes a callback that sends a
    ``KeySettled`` up the same way, so it reaches the app after the key itself (if it
    bubbled) and after what the key posted on the way (``Input.Submitted``, a focus move).
    A key that bubbled up runs its binding at the app, after that first lap: the action may
    post to the widget (an OptionList's Enter posts ``OptionSelected``, which opens the next
    step), so a second lap follows it the same way before the key counts as settled.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._waiting: deque[events.Event] = deque()
        self._unsettled: Optional[events.Event] = None
        self._unsettled_target: Optional[Widget] = None
        self._settle_timer: Optional[Timer] = None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.InputEvent, events.Paste)) and not event.is_forwarded:
            self._waiting.append(event)
            await self._dispatch_waiting()
        else:
            await super().on_event(event)

    async def _dispatch_waiting(self) -> None:
        while self._waiting and self._unsettled is None and self.is_running:  # not closing
            event = self._waiting.popleft()
            await super().on_event(event)  # priority bindings, else on to the focused widget
            if not isinstance(event, (events.Key, events.Paste)) or not event.is_forwarded:
                continue
            target = self.focused or self.screen
            if target.call_later(_follow, target, event):
                self._unsettled, self._unsettled_target = event, target
                screen = target if isinstance(target, Screen) else target.screen
                check = partial(self._check_settling, event, target, screen, monotonic())
                self._settle_timer = self.set_interval(CHECK_EVERY, check)

    def _check_settling(
        self, typed: events.Event, target: Widget, screen: Screen, started: float
    ) -> None:
        """Count a key as settled once its screen closed or its widget went away (the
        follow-up went with them), or when it took too long."""
        gone = screen not in self.screen_stack or not target.is_attached
        if gone or monotonic() - started > SETTLE_LIMIT:
            self.post_message(KeySettled(typed))

    async def _on_key_settled(self, message: KeySettled) -> None:
        if message.typed is self._unsettled:
            target = self._unsettled_target
            if (message.lap == 1 and target is not None and target.is_attached
                    and target.call_later(_follow, target, message.typed, 2)):
                return  # the second lap (the timer still limits the wait)
            self._unsettled = self._unsettled_target = None
            assert self._settle_timer is not None  # started together with _unsettled
            self._settle_timer.stop()
            await self._dispatch_waiting()
