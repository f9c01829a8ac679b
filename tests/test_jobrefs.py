"""REF parsing, the job-details URL and terminal links (pure: no Orchestrator)."""

from __future__ import annotations

import io

import pytest

from tui_app.jobrefs import HISTORY, ID, KEY, REFERENCE, RefError, job_details_url, parse_ref
from tui_app.table import link

KEY_TEXT = "8C0F3A5E-0C9B-4E33-9C4E-2B8A3C1F9D10"


@pytest.mark.parametrize("text, kind, value", [
    ("4021", ID, 4021),
    (" 17 ", ID, 17),
    (KEY_TEXT, KEY, KEY_TEXT.lower()),
    ("{" + KEY_TEXT + "}", KEY, KEY_TEXT.lower()),
    ("@1", HISTORY, 1),
    ("@12", HISTORY, 12),
    ("startjob:00000000-0000-4000-8000-000000000001", REFERENCE,
     "startjob:00000000-0000-4000-8000-000000000001"),
    ("INC-42 nightly", REFERENCE, "INC-42 nightly"),
])
def test_parse_ref(text, kind, value):
    ref = parse_ref(text)
    assert (ref.kind, ref.value) == (kind, value)


@pytest.mark.parametrize("text, message", [
    ("@0", "count from @1"),
    ("@", "a history entry is @ and a number"),
    ("@-1", "a history entry is @ and a number"),
    ("", "Give a job"),
    ("x" * 129, "too long for a reference"),
])
def test_bad_refs_are_usage_errors(text, message):
    with pytest.raises(RefError, match=message) as info:
        parse_ref(text)
    assert info.value.exit_code == 2


def test_a_bad_ref_is_shown_safely():
    with pytest.raises(RefError) as info:
        parse_ref("@\x1b[2J")
    assert "\x1b" not in str(info.value)


def test_job_details_url_shape():
    base = "https://cloud.uipath.com/org/Tenant/orchestrator_/"
    assert job_details_url(base, "k-1", 4) == (
        "https://cloud.uipath.com/org/Tenant/orchestrator_/jobs(sidepanel:sidepanel/jobs/k-1/"
        "details)?fid=4")
    assert job_details_url(base, "k-1", None).endswith("/jobs/k-1/details)")


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("stream, environ, hyperlink", [
    (Tty(), {"TERM": "xterm-256color"}, True),
    (Tty(), {"TERM": "dumb"}, False),
    (Tty(), {"TERM": "xterm", "NO_COLOR": "1"}, False),
    (Tty(), {}, False),
    (io.StringIO(), {"TERM": "xterm"}, False),
])
def test_link_is_osc8_only_on_a_real_terminal(stream, environ, hyperlink):
    url = "https://orch.test/jobs(sidepanel:sidepanel/jobs/k/details)?fid=4"
    shown = link(url, stream, environ)
    if hyperlink:
        assert shown == f"\x1b]8;;{url}\x1b\\{url}\x1b]8;;\x1b\\"
    else:
        assert shown == url


def test_link_never_sends_control_characters():
    assert "\x07" not in link("https://x.test/\x07", Tty(), {"TERM": "xterm"}).replace(
        "\x1b]8;;", "").replace("\x1b\\", "")
