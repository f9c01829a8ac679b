"""Version-1 templates: parsing, strict validation, dumping, saving, listing, slugs."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from tui_app.locations import templates_dir
from tui_app.templates import (
    ConnectionSpec,
    ProcessSpec,
    StrategySpec,
    Template,
    TemplateError,
    dump_template,
    list_templates,
    load_template,
    parse_template,
    save_template,
    slug,
)

EXAMPLE = """\
version = 1
name = "Triage incident"
description = "Start SupportTriage for one incident"
ask = []                      # optional: arguments never stored, asked at every replay

[connection]            # optional, never any secret
profile = "prod"
folder = "Shared/Support"

[process]
key = "SupportTriage"                                   # ProcessKey
environment = "QuickstartDemo"                          # chooses among releases; optional
release_key = "99587436-4ce5-480d-988c-6d7f43787a2c"    # recorded at save time
release_name = "SupportTriage_QuickstartDemo"
version = "1.0.1"

[strategy]
kind = "Specific"            # Specific | JobsCount | All | ModernJobsCount
robots = ["SUPPORT-BOT-01"]
# jobs_count = 2             # JobsCount / ModernJobsCount
# runtime_type = "Unattended"
# priority = "Normal"

[arguments]                   # values in their natural TOML types
IncidentId = "INC0010234"

[signature]                   # input arguments at save time
IncidentId = "System.String"

[bindings]                    # optional: argument <- dotted path into an event JSON object
# IncidentId = "incident.number"
"""

EXAMPLE_TEMPLATE = Template(
    name="Triage incident",
    description="Start SupportTriage for one incident",
    connection=ConnectionSpec(profile="prod", folder="Shared/Support"),
    process=ProcessSpec(
        key="SupportTriage",
        environment="QuickstartDemo",
        release_key="99587436-4ce5-480d-988c-6d7f43787a2c",
        release_name="SupportTriage_QuickstartDemo",
        version="1.0.1",
    ),
    strategy=StrategySpec(kind="Specific", robots=("SUPPORT-BOT-01",)),
    arguments={"IncidentId": "INC0010234"},
    signature={"IncidentId": "System.String"},
)

RICH_TEMPLATE = Template(
    name="Everything: ünïcode & \"quotes\"",
    description="Line one\nline two",
    connection=ConnectionSpec(url="https://cloud.example.com/org/tenant/orchestrator_",
                              folder="Shared/Sub Folder"),
    process=ProcessSpec(key="Invoice.Process", release_key="k-1"),
    strategy=StrategySpec(kind="ModernJobsCount", robots=("bot one", "bot-two"), jobs_count=3,
                          runtime_type="Unattended", priority="High"),
    arguments={
        "Text": "a \"b\" \\ c\n\ttab",
        "Count": 42,
        "Ratio": 0.25,
        "Flag": False,
        "When": datetime(2024, 5, 1, 12, 30, tzinfo=timezone(timedelta(hours=2))),
        "Local": datetime(2024, 5, 1, 12, 30, 15),
        "Day": date(2024, 2, 29),
        "Clock": time(7, 45),
        "Items": ["x", 1, [True]],
        "Config": {"depth": {"value": 1}, "name": "n"},
        "Rows": [{"a": 1}, {"a": 2}],
        "with space": "ok",
    },
    signature={
        "Text": "System.String", "Count": "System.Int32", "Ratio": "System.Double",
        "Flag": "System.Boolean", "When": "System.DateTime", "Local": "System.DateTime",
        "Day": "System.DateTime", "Clock": "System.TimeSpan", "Items": "System.Object[]",
        "Config": "System.Object", "Rows": "System.Object[]", "with space": "System.String",
        "Password": "System.Security.SecureString",
    },
    bindings={"Text": "incident.short_description", "Count": "items.0.count"},
    ask=("Password",),
)

MINIMAL = """\
version = 1
name = "Minimal"

[process]
key = "P"

[strategy]
kind = "All"
"""


def test_example_parses():
    assert parse_template(EXAMPLE, "triage.toml") == EXAMPLE_TEMPLATE


def test_minimal_template_gets_defaults():
    template = parse_template(MINIMAL, "minimal.toml")
    assert template == Template(name="Minimal", process=ProcessSpec(key="P"),
                                strategy=StrategySpec(kind="All"))
    assert template.connection == ConnectionSpec()
    assert template.arguments == {} and template.ask == ()


def test_the_action_is_explicit_and_a_template_without_one_starts_a_job():
    assert parse_template(MINIMAL, "minimal.toml").action == "start_job"
    explicit = parse_template(_doc(top='action = "start_job"'), "t.toml")
    assert explicit.action == "start_job"
    # Written only when it is not the default, so older startjobs still read new templates.
    assert "action" not in dump_template(explicit)


@pytest.mark.parametrize("template", [EXAMPLE_TEMPLATE, RICH_TEMPLATE], ids=["example", "rich"])
def test_round_trip(template):
    assert parse_template(dump_template(template), "round.toml") == template


def test_dump_keeps_the_documented_order_with_ask_before_any_table():
    text = dump_template(RICH_TEMPLATE)
    markers = ["version = 1", "name = ", "description = ", "ask = ", "[connection]",
               "[process]", "[strategy]", "[arguments]", "[signature]", "[bindings]"]
    positions = [text.index(marker) for marker in markers]
    assert positions == sorted(positions)
    assert text.index("ask = ") < text.index("[")


def test_dump_omits_empty_optional_parts():
    text = dump_template(parse_template(MINIMAL, "minimal.toml"))
    assert text == MINIMAL


def test_dump_drops_values_of_asked_arguments():
    template = Template(name="Login", process=ProcessSpec(key="P"),
                        strategy=StrategySpec(kind="All"),
                        arguments={"User": "bob", "Password": "hunter2"}, ask=("Password",))
    text = dump_template(template)
    assert "hunter2" not in text
    assert parse_template(text, "login.toml").arguments == {"User": "bob"}


def test_the_exact_message_for_a_string_jobs_count():
    text = MINIMAL.replace('kind = "All"', 'kind = "JobsCount"\njobs_count = "2"')
    with pytest.raises(TemplateError) as caught:
        parse_template(text, "triage.toml")
    assert str(caught.value) == (
        'triage.toml: strategy.jobs_count must be an integer from 1 to 10000, got "2"'
    )
    assert caught.value.key == "strategy.jobs_count"
    assert caught.value.source == "triage.toml"


def _doc(top: str = "", process: str = 'key = "P"', strategy: str = 'kind = "All"',
         tail: str = "") -> str:
    return (f'version = 1\nname = "T"\n{top}\n[process]\n{process}\n\n'
            f"[strategy]\n{strategy}\n\n{tail}\n")


SPECIFIC = 'kind = "Specific"\nrobots = ["R1"]'
INVALID = [
    # (document, key, fragment of the message)
    ('name = "T"\n[process]\nkey = "P"\n[strategy]\nkind = "All"\n', "version", "is missing"),
    (_doc().replace("version = 1", "version = 2"), "version", "must be 1"),
    (_doc().replace("version = 1", 'version = "1"'), "version", 'got "1"'),
    (_doc().replace('name = "T"\n', ""), "name", "is missing"),
    (_doc().replace('name = "T"', "name = 3"), "name", "non-empty string, got 3"),
    (_doc().replace('name = "T"', 'name = "  "'), "name", "non-empty string"),
    (_doc(top="description = 5"), "description", "must be a string"),
    (_doc(top='colour = "red"'), "colour", "not a known key"),
    (_doc(top='token = "abc"'), "token", "secrets do not belong in templates"),
    (_doc(top='[connection]\ncolour = "red"'), "connection.colour", "not a known key"),
    (_doc(top='[connection]\nclient_secret = "s"'), "connection.client_secret",
     "secrets do not belong in templates"),
    (_doc(top='[connection]\npassword = "s"'), "connection.password",
     "secrets do not belong in templates"),
    (_doc(top='[connection]\ntoken = "s"'), "connection.token",
     "secrets do not belong in templates"),
    (_doc(top='[connection]\nprofile = "p"\nurl = "https://x.example"'), "connection.url",
     "together with connection.profile"),
    (_doc(top='[connection]\nurl = "ftp://x.example"'), "connection.url", "http(s) URL"),
    (_doc(top='[connection]\nurl = "https://[::1"'), "connection.url", "http(s) URL"),
    (_doc(top='[connection]\nurl = "https://me:pw@x.example"'), "connection.url",
     "user name or password"),
    (_doc(top="[connection]\nfolder = 7"), "connection.folder", "non-empty string"),
    (_doc(top='connection = "prod"'), "connection", "must be a table"),
    ('version = 1\nname = "T"\n[strategy]\nkind = "All"\n', "process", "is missing"),
    (_doc(process='environment = "E"'), "process.key", "is missing"),
    (_doc(process='key = ""'), "process.key", "non-empty string"),
    (_doc(process='key = "P"\ncolour = "red"'), "process.colour", "not a known key"),
    (_doc(process='key = "P"\nrelease_key = 5'), "process.release_key", "non-empty string"),
    ('version = 1\nname = "T"\n[process]\nkey = "P"\n', "strategy", "is missing"),
    (_doc(strategy='robots = ["R1"]'), "strategy.kind", "is missing"),
    (_doc(strategy='kind = "Everything"'), "strategy.kind", 'got "Everything"'),
    (_doc(strategy='kind = "All"\ncolour = "red"'), "strategy.colour", "not a known key"),
    (_doc(strategy='kind = "Specific"'), "strategy.robots", "at least one robot"),
    (_doc(strategy='kind = "Specific"\nrobots = []'), "strategy.robots", "at least one robot"),
    (_doc(strategy='kind = "Specific"\nrobots = "R1"'), "strategy.robots", "array of robot"),
    (_doc(strategy='kind = "Specific"\nrobots = ["R1", ""]'), "strategy.robots",
     "array of robot"),
    (_doc(strategy='kind = "Specific"\nrobots = ["R1", "R1"]'), "strategy.robots", "twice"),
    (_doc(strategy='kind = "JobsCount"'), "strategy.jobs_count", "is required"),
    (_doc(strategy='kind = "JobsCount"\njobs_count = 0'), "strategy.jobs_count", "got 0"),
    (_doc(strategy='kind = "JobsCount"\njobs_count = 10001'), "strategy.jobs_count",
     "from 1 to 10000, got 10001"),
    (_doc(strategy='kind = "JobsCount"\njobs_count = 2.0'), "strategy.jobs_count", "got 2.0"),
    (_doc(strategy='kind = "JobsCount"\njobs_count = true'), "strategy.jobs_count", "got true"),
    (_doc(strategy='kind = "ModernJobsCount"\njobs_count = -1'), "strategy.jobs_count",
     "got -1"),
    (_doc(strategy=SPECIFIC + "\njobs_count = 2"), "strategy.jobs_count",
     'does not apply to kind = "Specific"'),
    (_doc(strategy='kind = "JobsCount"\njobs_count = 2\nrobots = ["R1"]'), "strategy.robots",
     "does not apply"),
    (_doc(strategy='kind = "All"\nruntime_type = "Unattended"'), "strategy.runtime_type",
     "does not apply"),
    (_doc(strategy='kind = "All"\npriority = "Urgent"'), "strategy.priority",
     "one of Low, Normal, High"),
    (_doc(top='ask = ["Password"]', tail='[arguments]\nPassword = "hunter2"'), "ask",
     "stored value"),
    (_doc(top='ask = "Password"'), "ask", "array of argument names"),
    (_doc(top='ask = ["A", "A"]'), "ask", "twice"),
    (_doc(tail='[bindings]\nIncidentId = "incident..number"'), "bindings.IncidentId",
     "dotted path"),
    (_doc(tail='[bindings]\nIncidentId = ".incident"'), "bindings.IncidentId", "dotted path"),
    (_doc(tail='[bindings]\nIncidentId = "incident number"'), "bindings.IncidentId",
     "dotted path"),
    (_doc(tail='[bindings]\nIncidentId = ""'), "bindings.IncidentId", "dotted path"),
    (_doc(tail="[bindings]\nIncidentId = 5"), "bindings.IncidentId", "dotted path"),
    (_doc(tail='[bindings]\n"Incident Id" = "a["'), 'bindings."Incident Id"', "dotted path"),
    (_doc(tail="[signature]\nA = 5"), "signature.A", "non-empty string"),
    (_doc(tail='[signature]\nA = "System.String"\n[arguments]\nB = 1'), "arguments.B",
     "not an input argument listed in [signature]"),
    (_doc(tail='[signature]\nA = "System.String"\n[bindings]\nB = "x.y"'), "bindings.B",
     "not an input argument"),
    (_doc(top='ask = ["B"]', tail='[signature]\nA = "System.String"'), "ask",
     "not an input argument"),
    (_doc(tail="arguments = 5"), "strategy.arguments", "not a known key"),
    (_doc(top="arguments = 5"), "arguments", "must be a table"),
    # `ask` written after a table belongs to that table; the message says where it must go.
    (_doc(tail='[bindings]\nask = ["Password"]'), "bindings.ask", "must come before the first"),
    (_doc(tail='ask = ["Password"]'), "strategy.ask", "must come before the first"),
    (_doc(top='action = "send_mail"'), "action", "must be one of start_job, add_queue_item"),
]


@pytest.mark.parametrize(("text", "key", "fragment"), INVALID,
                         ids=[f"{n}-{case[1]}" for n, case in enumerate(INVALID)])
def test_validation_errors_name_file_and_key(text, key, fragment):
    with pytest.raises(TemplateError) as caught:
        parse_template(text, "triage.toml")
    message = str(caught.value)
    assert message.startswith(f"triage.toml: {key} "), message
    assert fragment in message, message
    assert caught.value.key == key


def test_syntax_error_names_file_line_and_column():
    with pytest.raises(TemplateError) as caught:
        parse_template('version = 1\nname = "T\n', "triage.toml")
    message = str(caught.value)
    assert message.startswith("triage.toml: is not valid TOML")
    assert re.search(r"line 2, column \d+", message), message
    assert caught.value.key is None


def test_deeply_nested_values_are_an_error_not_a_crash():
    with pytest.raises(TemplateError, match="triage.toml: is not valid TOML: .*nested too deeply"):
        parse_template("a = " + "[" * 100_000 + "]" * 100_000, "triage.toml")


def test_duplicate_key_is_a_syntax_error():
    with pytest.raises(TemplateError, match="triage.toml: is not valid TOML"):
        parse_template(MINIMAL + 'kind = "All"\n', "triage.toml")


@pytest.mark.parametrize("path", ["incident", "incident.number", "items.0.id", "a-b.c_d"])
def test_valid_bindings(path):
    text = _doc(tail=f'[bindings]\nIncidentId = "{path}"')
    assert parse_template(text, "t.toml").bindings == {"IncidentId": path}


def test_modern_jobs_count_without_count_or_robots_is_valid():
    template = parse_template(_doc(strategy='kind = "ModernJobsCount"'), "t.toml")
    assert template.strategy == StrategySpec(kind="ModernJobsCount")


def test_load_template_reads_a_file_and_names_it(tmp_path):
    path = tmp_path / "triage.toml"
    path.write_text(EXAMPLE, encoding="utf-8")
    assert load_template(path) == EXAMPLE_TEMPLATE
    path.write_text(EXAMPLE.replace('kind = "Specific"', 'kind = "Any"'), encoding="utf-8")
    with pytest.raises(TemplateError, match=re.escape(f"{path}: strategy.kind")):
        load_template(path)


def test_load_template_accepts_a_byte_order_mark(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_template(path).name == "Minimal"


def test_load_template_reports_missing_and_binary_files(tmp_path):
    missing = tmp_path / "missing.toml"
    with pytest.raises(TemplateError, match=re.escape(f"{missing}: cannot be read")):
        load_template(missing)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"name = \"\xff\xfe\"\n")
    with pytest.raises(TemplateError, match=re.escape(f"{binary}: is not UTF-8 text")):
        load_template(binary)


def test_save_and_load_in_the_templates_folder():
    path = save_template(EXAMPLE_TEMPLATE)
    assert path == templates_dir() / "triage-incident.toml"
    assert load_template(path) == EXAMPLE_TEMPLATE
    assert [p.name for p in path.parent.iterdir()] == ["triage-incident.toml"]


def test_save_never_writes_asked_values():
    leaky = replace(RICH_TEMPLATE, arguments={**RICH_TEMPLATE.arguments, "Password": "hunter2"})
    path = save_template(leaky)
    text = path.read_text(encoding="utf-8")
    assert "hunter2" not in text
    loaded = load_template(path)
    assert "Password" not in loaded.arguments
    assert loaded.ask == ("Password",)


def test_save_refuses_to_overwrite_unless_asked(tmp_path):
    path = save_template(EXAMPLE_TEMPLATE, tmp_path / "t.toml")
    changed = Template(name="Triage incident", process=ProcessSpec(key="Other"),
                       strategy=StrategySpec(kind="All"))
    with pytest.raises(FileExistsError) as caught:
        save_template(changed, path)
    assert caught.value.filename == str(path)
    assert "already exists" in str(caught.value)
    assert load_template(path) == EXAMPLE_TEMPLATE
    save_template(changed, path, overwrite=True)
    assert load_template(path) == changed


def test_save_refuses_an_invalid_template_and_writes_nothing(tmp_path):
    target = tmp_path / "bad.toml"
    invalid = Template(name="Bad", process=ProcessSpec(key="P"),
                       strategy=StrategySpec(kind="Specific"))
    with pytest.raises(TemplateError) as caught:
        save_template(invalid, target)
    assert str(caught.value).startswith(f"{target}: strategy.robots ")
    assert not target.exists()
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*"))


@pytest.mark.parametrize(("value", "key"), [
    (None, "arguments.Value"),
    ({"inner": [1, None]}, "arguments.Value.inner[1]"),
    (time(7, 0, tzinfo=timezone.utc), "arguments.Value"),
    ({1: "x"}, "arguments.Value"),
])
def test_save_refuses_values_toml_cannot_store(tmp_path, value, key):
    template = Template(name="T", process=ProcessSpec(key="P"), strategy=StrategySpec(kind="All"),
                        arguments={"Value": value})
    with pytest.raises(TemplateError) as caught:
        save_template(template, tmp_path / "t.toml")
    assert str(caught.value).startswith(f"{tmp_path / 't.toml'}: {key} ")
    assert caught.value.key == key
    assert not (tmp_path / "t.toml").exists()


SAFE_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")


@pytest.mark.parametrize(("name", "expected"), [
    ("Triage incident", "triage-incident"),
    ("../etc/passwd", "etc-passwd"),
    ("..\\..\\Windows\\System32", "windows-system32"),
    ("Überprüfung: Ärger!", "uberprufung-arger"),
    ("CON", "con-template"),
    ("  --Mixed__CASE 42--  ", "mixed-case-42"),
])
def test_slug_examples(name, expected):
    assert slug(name) == expected


@pytest.mark.parametrize("name", [
    "", "..", ".", "/", "\\", "../..", "日本語", "😀", "\x00\x1b[31m", "a" * 500,
    "a/" * 100, "../etc/passwd", "NUL", "lpt1", "\udcff",
])
def test_slug_is_always_safe(name):
    result = slug(name)
    assert SAFE_SLUG.match(result), result
    assert 0 < len(result) <= 64
    assert result not in ("con", "prn", "aux", "nul", "lpt1")


def test_slug_of_names_without_ascii_is_stable_and_distinct():
    assert slug("日本語") == slug("日本語")
    assert slug("日本語") != slug("中文")


@pytest.mark.parametrize("name", ["../../etc/passwd", "/absolute/path", "..", "日本語"])
def test_hostile_names_are_saved_inside_the_templates_folder(name):
    template = Template(name=name, process=ProcessSpec(key="P"), strategy=StrategySpec(kind="All"))
    path = save_template(template)
    assert path.parent == templates_dir()
    assert load_template(path).name == name


def test_list_templates_shows_broken_files_without_hiding_others():
    save_template(Template(name="beta", process=ProcessSpec(key="B"),
                           strategy=StrategySpec(kind="All")))
    save_template(Template(name="Alpha", process=ProcessSpec(key="A"),
                           strategy=StrategySpec(kind="All")))
    folder = templates_dir()
    (folder / "broken.toml").write_text("version = 1\nname = \n", encoding="utf-8")
    (folder / "wrong.toml").write_text(MINIMAL.replace("version = 1", "version = 9"))
    (folder / "notes.txt").write_text("not a template")
    (folder / ".hidden.toml").write_text("garbage")
    (folder / "deep.toml").write_text("a = " + "[" * 100_000 + "]" * 100_000)
    entries = list_templates()
    assert [entry.name for entry in entries] == ["Alpha", "beta", "broken", "deep", "wrong"]
    assert [entry.template.process.key for entry in entries[:2]] == ["A", "B"]
    broken, wrong = entries[2], entries[4]
    assert broken.template is None and broken.path == folder / "broken.toml"
    assert broken.error.startswith(f"{folder / 'broken.toml'}: is not valid TOML")
    assert wrong.error.startswith(f"{folder / 'wrong.toml'}: version must be 1")
    assert entries[0].error is None


def test_list_templates_of_a_missing_folder_is_empty(tmp_path):
    assert list_templates(tmp_path / "nowhere") == []
    assert list_templates() == []


def test_list_templates_of_another_folder(tmp_path):
    save_template(EXAMPLE_TEMPLATE, tmp_path / "x.toml")
    [entry] = list_templates(tmp_path)
    assert entry.path == Path(tmp_path / "x.toml")
    assert entry.template == EXAMPLE_TEMPLATE


# -- issue 15: priority as a name or 1-100, and the [options] table ------------------------

OPTIONS = """\
version = 1
name = "Options"

[process]
key = "P"

[strategy]
kind = "ModernJobsCount"
priority = 75

[options]
entry_point = "Flows/Nightly.xaml"
machine = "RPA-TEMPLATE"
host = "RPA-HOST-02"
stop_after = "1h30m"
kill_after = "2m"
alert_pending = "10m"
alert_running = "2h"
large_input = "file"
"""


def test_options_and_a_numeric_priority_parse_and_round_trip():
    from tui_app.start_options import MachineTarget, StartOptions

    template = parse_template(OPTIONS, "options.toml")
    assert template.strategy.priority == 75
    assert template.options == StartOptions(
        entry_point="Flows/Nightly.xaml", target=MachineTarget("RPA-TEMPLATE", "RPA-HOST-02"),
        stop_after=5400, kill_after=120, alert_pending=600, alert_running=7200,
        large_input="file")
    assert dump_template(template) == OPTIONS
    assert parse_template(dump_template(template), "again.toml") == template


def test_durations_in_whole_seconds_are_saved_as_text_and_kill_strategy_is_kept():
    text = _doc(tail='[options]\nstop_after = 90\nstop_strategy = "Kill"')
    template = parse_template(text, "t.toml")
    assert (template.options.stop_after, template.options.stop_strategy) == (90, "Kill")
    dumped = dump_template(template)
    assert 'stop_after = "1m30s"\nstop_strategy = "Kill"' in dumped
    assert parse_template(dumped, "t.toml") == template


def test_a_version_1_file_without_the_new_keys_reads_exactly_as_before():
    from tui_app.start_options import StartOptions

    template = parse_template(EXAMPLE, "triage.toml")
    assert template.options == StartOptions() and template.strategy.priority is None
    assert "[options]" not in dump_template(template)
    assert dump_template(parse_template(MINIMAL, "m.toml")) == MINIMAL


OPTION_ERRORS = [
    (_doc(strategy='kind = "All"\npriority = true'), "strategy.priority", "got true"),
    (_doc(strategy='kind = "All"\npriority = 5.0'), "strategy.priority", "got 5.0"),
    (_doc(strategy='kind = "All"\npriority = 0'), "strategy.priority", "from 1 to 100, got 0"),
    (_doc(strategy='kind = "All"\npriority = 101'), "strategy.priority", "got 101"),
    (_doc(strategy='kind = "All"\npriority = "high"'), "strategy.priority", 'got "high"'),
    (_doc(tail='[options]\ncolour = "red"'), "options.colour", "not a known key"),
    (_doc(tail='[options]\nmachine_session_ids = [1]'), "options.machine_session_ids",
     "not a known key"),
    (_doc(tail='[options]\nhost = "H"'), "options.host", "needs options.machine"),
    (_doc(tail='[options]\nmachine = ""'), "options.machine", "non-empty string"),
    (_doc(tail='[options]\nentry_point = 3'), "options.entry_point", "non-empty string"),
    (_doc(tail='[options]\nkill_after = "1m"'), "options.kill_after", "needs a soft stop"),
    (_doc(tail='[options]\nstop_after = "1h"\nstop_strategy = "Kill"\nkill_after = "1m"'),
     "options.kill_after", "needs a soft stop"),
    (_doc(tail='[options]\nstop_strategy = "Kill"'), "options.stop_strategy",
     "needs options.stop_after"),
    (_doc(tail='[options]\nstop_after = "1h"\nstop_strategy = "Terminate"'),
     "options.stop_strategy", 'got "Terminate"'),
    (_doc(tail='[options]\nstop_after = "soon"'), "options.stop_after", 'got "soon"'),
    (_doc(tail="[options]\nstop_after = 0"), "options.stop_after", "got 0"),
    (_doc(tail="[options]\nalert_running = 1.5"), "options.alert_running", "got 1.5"),
    (_doc(tail="[options]\nalert_pending = true"), "options.alert_pending", "got true"),
    (_doc(tail='[options]\nlarge_input = "split"'), "options.large_input", 'got "split"'),
    (_doc(tail='options = "x"'), "strategy.options", "not a known key"),
]


@pytest.mark.parametrize(("text", "key", "fragment"), OPTION_ERRORS,
                         ids=[f"{n}-{case[1]}" for n, case in enumerate(OPTION_ERRORS)])
def test_option_and_priority_errors_name_file_and_key(text, key, fragment):
    test_validation_errors_name_file_and_key(text, key, fragment)


def test_template_from_plan_saves_options_by_name_without_session_ids():
    from tui_app.orchestrator.models import Release
    from tui_app.plan import StartPlan, StrategyChoice
    from tui_app.start_options import MachineTarget, StartOptions
    from tui_app.templates import template_from_plan

    release = Release(id=1, key="k", name="R", process_key="P", process_version="1.0")
    options = StartOptions(entry_point="Main.xaml", target=MachineTarget("M", "H", (7, 9)),
                           alert_pending=60)
    plan = StartPlan(release, StrategyChoice("ModernJobsCount", priority="High"),
                     options=options)
    template = template_from_plan(plan, name="Saved")
    assert template.options == StartOptions(entry_point="Main.xaml",
                                            target=MachineTarget("M", "H"), alert_pending=60)
    assert template.strategy.priority == "High"
    text = dump_template(template)
    assert "7" not in text.split("[options]")[1] and 'alert_pending = "1m"' in text


# -- queue templates (issue 16) --------------------------------------------------------------

QUEUE_TEMPLATE = '''version = 1
name = "Invoice"
action = "add_queue_item"

[connection]
folder = "Shared"

[queue]
name = "Invoices"
unique_reference = true

[item]
priority = "High"
reference = "INV-{incident.number}"
due_date = "2025-06-30T17:00:00Z"

[content]
Amount = 12.5
Paid = false

[content.Address]
City = "Paris"

[schema]
Amount = "number, required"
Paid = "boolean"
Address = "object"

[bindings]
Amount = "incident.amount"
'''

JOB_V1 = '''version = 1
name = "Triage"
description = "Start SupportTriage"

[connection]
folder = "Shared"

[process]
key = "SupportTriage"

[strategy]
kind = "JobsCount"
jobs_count = 2

[arguments]
IncidentId = "INC1"

[signature]
IncidentId = "System.String"
'''


def test_version_1_job_templates_load_and_dump_unchanged():
    template = parse_template(JOB_V1, "triage.toml")
    assert template.action == "start_job" and template.queue is None
    assert dump_template(template) == JOB_V1


def test_queue_template_round_trip():
    from tui_app.templates import QueueSpec

    template = parse_template(QUEUE_TEMPLATE, "invoice.toml")
    assert template.action == "add_queue_item"
    assert template.queue == QueueSpec("Invoices", True)
    assert template.item.reference == "INV-{incident.number}"
    assert template.item.due_date == "2025-06-30T17:00:00Z"
    assert template.content["Address"] == {"City": "Paris"}
    assert template.schema["Amount"] == "number, required"
    assert dump_template(template) == QUEUE_TEMPLATE
    assert parse_template(dump_template(template)) == template


def _queue_doc(old: str, new: str) -> str:
    assert old in QUEUE_TEMPLATE
    return QUEUE_TEMPLATE.replace(old, new, 1)


@pytest.mark.parametrize(("text", "key", "fragment"), [
    (_queue_doc('[queue]\nname = "Invoices"\n', '[queue]\n'), "queue.name", "is missing"),
    (_queue_doc('unique_reference = true', 'unique_reference = "yes"'),
     "queue.unique_reference", "must be true or false"),
    (_queue_doc('unique_reference = true', 'unique_reference = true\nkey = "x"'), "queue.key",
     "is not a known key"),
    (_queue_doc('priority = "High"', 'priority = "Urgent"'), "item.priority",
     "must be one of Low, Normal, High"),
    (_queue_doc('due_date = "2025-06-30T17:00:00Z"', 'due_date = "tomorrow"'), "item.due_date",
     "must be a date and time with a time zone"),
    (_queue_doc('reference = "INV-{incident.number}"', 'reference = "INV-{a b}"'),
     "item.reference", "placeholders"),
    (_queue_doc('reference = "INV-{incident.number}"', 'reference = "INV-{x"'),
     "item.reference", "not part of a placeholder"),
    (_queue_doc('Paid = false', 'Paid = false\nOther = 1'), "content.Other",
     "is not a content field listed in [schema]"),
    (_queue_doc('Amount = "incident.amount"', 'Amount = "incident amount"'), "bindings.Amount",
     "must be a dotted path"),
    (_queue_doc('[connection]', '[process]\nkey = "P"\n\n[connection]'), "process",
     'does not apply to action = "add_queue_item"'),
    (QUEUE_TEMPLATE.split("[item]")[0], "item", "is missing"),
    (JOB_V1 + '\n[queue]\nname = "Q"\n', "queue", 'does not apply to action = "start_job"'),
])
def test_queue_template_errors_name_file_and_key(text, key, fragment):
    with pytest.raises(TemplateError) as caught:
        parse_template(text, "invoice.toml")
    message = str(caught.value)
    assert message.startswith(f"invoice.toml: {key} "), message
    assert fragment in message
    assert caught.value.key == key


def test_template_from_queue_plan_keeps_a_typed_reference_and_never_an_ask_value():
    import json as _json

    from tui_app.orchestrator.models import Folder, QueueDefinition
    from tui_app.queue_plan import ItemOptions, QueuePlan
    from tui_app.templates import template_from_queue_plan

    schema = _json.dumps({"type": "object", "required": ["No"], "properties": {
        "No": {"type": "string"}, "Secret": {"type": "string"},
        "When": {"type": "string", "format": "date-time"}}})
    queue = QueueDefinition(id=1, key="k", name="Invoices", specific_data_json_schema=schema)
    folder = Folder(id=7, key="f", display_name="Shared", fully_qualified_name="Shared")
    plan = QueuePlan(queue, {"No": "1", "Secret": "s3cret", "When": "2025-01-01T00:00:00Z"},
                     ItemOptions(priority="Low", reference="R-1"), folder)
    template = template_from_queue_plan(plan, name="Inv", ask=["Secret"], demo=True)
    text = dump_template(template)
    assert "s3cret" not in text
    assert template.ask == ("Secret",)
    assert template.item.reference == "R-1"
    assert template.schema == {"No": "string, required", "Secret": "string",
                               "When": "string (date-time)"}
    assert template.connection.folder == "Shared"
    made = template_from_queue_plan(QueuePlan(queue, {"No": "1"}), name="Inv")
    assert made.item.reference is None  # startjob:<uuid> is made anew at every replay
