"""Child process of the start-up benchmark: start an app headless, stop at its first frame.

``python startup_probe.py wizard`` starts the wizard exactly as ``startjob`` does (through
``tui_app.cli.main``); ``python startup_probe.py bare`` starts a bare Textual app (Header,
Input, Footer). Both run headless at 80x24 and print ``ready`` at the first frame the
compositor produces for the app's first interactive screen (the moment a terminal would be
drawn), then exit. The parent measures the time to that line and the peak memory.
"""

from __future__ import annotations

import sys
import time


def patch_textual(is_first_screen) -> None:
    """Run every App headless and report the first frame of the first interactive screen."""
    from textual.app import App

    original_run = App.run
    original_display = App._display

    def run(self, *args, **kwargs):
        kwargs["headless"] = True
        kwargs.setdefault("size", (80, 24))
        return original_run(self, *args, **kwargs)

    def display(self, screen, renderable):
        original_display(self, screen, renderable)
        if (
            renderable is not None
            and not self._batch_count
            and is_first_screen(screen)
            and not getattr(self, "_probe_done", False)
        ):
            self._probe_done = True
            # CPU time (all threads) since the process started: a cross-check of the wall
            # time that a busy machine hardly changes.
            sys.stdout.write(f"ready {time.process_time():.6f}\n")
            sys.stdout.flush()
            self.exit()

    App.run = run
    App._display = display


def wizard() -> int:
    # Textual is imported here before the CLI imports it: the same import the bare app pays.
    patch_textual(lambda screen: type(screen).__name__ == "ConnectScreen")
    from tui_app.cli import main

    return main([])


def bare() -> int:
    patch_textual(lambda screen: True)
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Header, Input

    class BareApp(App):
        def compose(self) -> ComposeResult:
            yield Header()
            yield Input(placeholder="Type here")
            yield Footer()

        def on_mount(self) -> None:
            self.query_one(Input).focus()

    BareApp().run()
    return 0


if __name__ == "__main__":
    raise SystemExit({"wizard": wizard, "bare": bare}[sys.argv[1]]())
