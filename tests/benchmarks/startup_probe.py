"""Child process of the start-up benchmark: start an app headless, stop at its first frame.

``python startup_probe.py wizard`` starts the wizard exactly as ``startjob`` does (through
``tui_app.cli.main``); ``python startup_probe.py bare`` starts a bare Textual app (Header,
Input, Footer). Both run headless at 80x24 and print ``ready`` at the first frame the
compositor produces for the app's first interactive screen (the moment a terminal would be
drawn), then exit. The parent measures the time to that line and the peak memory.

The line is ``ready CPU key=seconds…``: the process's CPU time, then the CPU time spent in
the parts that explain where a gap between the two goes: ``imports`` (startjob's modules,
after Textual's), ``css`` (parsing stylesheets: the app's and each widget class's default
CSS), ``styling`` (registering widgets: matching and applying their styles), ``compose``
(building the screens' widgets), ``layout`` (arranging them, and the first frame drawn in
it) and ``parser`` (startjob's command line).
"""

from __future__ import annotations

import sys
import time

#: CPU seconds spent in each part (see the module docstring).
PARTS = {"imports": 0.0, "css": 0.0, "styling": 0.0, "compose": 0.0, "layout": 0.0,
         "parser": 0.0}


#: When each part's outermost call still running began (the first frame is drawn in one).
RUNNING: dict = {}


def timed(part: str, function):
    """``function`` adding its CPU time to ``PARTS[part]`` (outermost calls only)."""
    depth = [0]

    def wrapper(*args, **kwargs):
        depth[0] += 1
        if depth[0] == 1:
            RUNNING[part] = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            depth[0] -= 1
            if not depth[0]:
                PARTS[part] += time.process_time() - RUNNING.pop(part)

    return wrapper


def parts_now() -> str:
    """``name=seconds`` for every part, counting the calls still running."""
    now = time.process_time()
    return " ".join(f"{name}={seconds + now - RUNNING.get(name, now):.6f}"
                    for name, seconds in PARTS.items())


def patch_textual(is_first_screen) -> None:
    """Run every App headless and report the first frame of the first interactive screen."""
    import textual.widget
    from textual.app import App
    from textual.css.stylesheet import Stylesheet
    from textual.screen import Screen

    original_run = App.run
    original_display = App._display
    Stylesheet.parse = timed("css", Stylesheet.parse)
    App._register = timed("styling", App._register)
    textual.widget.compose = timed("compose", textual.widget.compose)
    Screen._refresh_layout = timed("layout", Screen._refresh_layout)

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
            sys.stdout.write(f"ready {time.process_time():.6f} {parts_now()}\n")
            sys.stdout.flush()
            self.exit()

    App.run = run
    App._display = display


def wizard() -> int:
    # Textual is imported here before the CLI imports it: the same import the bare app pays.
    patch_textual(lambda screen: type(screen).__name__ == "ConnectScreen")
    start = time.process_time()
    import tui_app.ui.app  # noqa: F401  (what the CLI imports lazily for the wizard)
    from tui_app import cli

    PARTS["imports"] = time.process_time() - start
    cli.build_parser = timed("parser", cli.build_parser)
    main = cli.main

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
