"""Keys apply in the order they were typed, even when they arrive in one burst.

Textual 8.2.8 (issue #6605) hands each key to the focused widget's own message queue. A key
the widget does not type itself (Tab, Backspace, ctrl+u, arrows, Enter…) then bubbles up,
widget by widget, to the app, which only then runs its binding; by that time the keys that
followed it in a burst (a laggy SSH link, a busy jump host) have been typed, perhaps into
the field that Tab was meant to leave. Two remedies, used together:

* ``InlineBindings`` (editable widgets): run a key's binding in the widget's own key handler,
  so editing keys apply in the widget's queue order (the approach of Textual PR #6631).
* ``OrderedKeys`` (the app): hand out one key at a time; the next one waits until the
  previous one has settled, so a focus move (Tab, Enter to the next field, a new step) is
  done before the next key picks its widget.
"""

from __future__ import annotations

from collections import deque
from typing import Optional

from textual import events
from textual.message import Message

#: Seconds a key may take to settle before the next one goes anyway (a lost follow-up).
SETTLE_LIMIT = 0.5


class InlineBindings:
    """Mixin for an Input or a TextArea: a key it does not type runs its binding right away."""

    async def _on_key(self, event: events.Key) -> None:
        await super()._on_key(event)  # the widget's own typing: printable keys, a TextArea's Enter
        # ``_stop_propagation`` and ``_check_bindings`` are Textual 8.2.8 internals: the key was
        # typed, or else the same binding look-up the app makes when the key reaches it.
        if not event._stop_propagation and await self.app._check_bindings(event.key):
            event.stop()
        event.prevent_default()  # the base handlers ran above


class KeySettled(Message):
    """Follows a key up from the widget it went to, behind everything that key set off there."""

    def __init__(self, key: events.Key) -> None:
        super().__init__()
        self.key = key


def _follow(widget, key: events.Key) -> None:
    widget.post_message(KeySettled(key))


class OrderedKeys:
    """Mixin for an App: dispatch typed keys one at a time, each once the previous one settled.

    A key goes to its widget as usual; right behind it goes a callback that sends a
    ``KeySettled`` up the same way, so it reaches the app after the key itself (if it
    bubbled) and after what the key posted on the way (``Input.Submitted``, a focus move).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._waiting_keys: deque = deque()
        self._unsettled: Optional[events.Key] = None
        self._settle_timer = None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            self._waiting_keys.append(event)
            await self._dispatch_keys()
        else:
            await super().on_event(event)

    async def _dispatch_keys(self) -> None:
        while self._waiting_keys and self._unsettled is None:
            key = self._waiting_keys.popleft()
            await super().on_event(key)  # priority bindings, else forwarded to the focused widget
            target = self.focused or self.screen
            if key.is_forwarded and target.call_later(_follow, target, key):
                self._unsettled = key
                self._settle_timer = self.set_timer(
                    SETTLE_LIMIT, lambda key=key: self.post_message(KeySettled(key))
                )

    async def _on_key_settled(self, message: KeySettled) -> None:
        if message.key is self._unsettled:
            self._unsettled = None
            self._settle_timer.stop()
            await self._dispatch_keys()
