"""Start options (issue 15) without a server: the resolver's choices, ``prepare_input``,
``outputs``, the summary rows and the drift of saved option names."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tui_app import resolver
from tui_app.drift import BLOCK, WARN, check_drift
from tui_app.orchestrator.errors import NotAvailable, ServerError
from tui_app.orchestrator.models import (
    EntryPoint,
    Folder,
    Job,
    MachineSession,
    Release,
    RuntimeCapacity,
)
from tui_app.outputs import output_arguments, with_outputs
from tui_app.plan import RUNTIME_TYPES, StartPlan, StrategyChoice
from tui_app.start_options import (
    INPUT_FILE_PLACEHOLDER,
    MachineTarget,
    OptionError,
    StartOptions,
    parse_priority,
)
from tui_app.starting import prepare_input
from tui_app.summary import plan_rows
from tui_app.templates import parse_template

RELEASE = Release(id=1, key="rel", name="Nightly", process_key="Nightly", process_version="2.0",
                  arguments_input='[{"name":"Path","type":"System.String"}]',
                  entry_point_path="Main.xaml", job_priority="High")
FOLDER = Folder(id=7, key="f", display_name="Ops", fully_qualified_name="Ops",
                provision_type="Automatic", permission_model="FineGrained")
CLEANUP = EntryPoint("Flows\\Cleanup.xaml", '[{"name":"Days","type":"System.Int32"}]')


def session(session_id: int, machine: str = "RPA-TEMPLATE", host: str = "HOST-01",
            **extra) -> MachineSession:
    return MachineSession(session_id=session_id, machine_id=3, machine_name=machine,
                          host_machine_name=host, runtimes=2, **extra)


# -- resolver --------------------------------------------------------------------------------


def test_entry_points_or_own_falls_back_to_the_release_entry_point():
    own = [EntryPoint("Main.xaml", RELEASE.arguments_input)]
    assert resolver.entry_points_or_own(RELEASE, None) == own
    assert resolver.entry_points_or_own(RELEASE, []) == own
    assert resolver.entry_points_or_own(RELEASE, [CLEANUP]) == [CLEANUP]


def test_entry_point_named_ignores_case_and_slash_direction():
    found = [EntryPoint("Main.xaml"), CLEANUP]
    assert resolver.entry_point_named(found, "flows/cleanup.XAML") is CLEANUP
    assert resolver.entry_point_named(found, "Other.xaml") is None


def test_argument_source_is_the_chosen_entry_points_own():
    assert resolver.argument_source(RELEASE, CLEANUP) == CLEANUP.input_arguments
    assert resolver.argument_source(RELEASE, None) == RELEASE.arguments_input
    assert resolver.argument_source(RELEASE, EntryPoint("X.xaml")) == RELEASE.arguments_input


def test_machine_target_collects_sorted_session_ids_of_the_machine_or_one_host():
    sessions = [session(9, host="HOST-02"), session(4), session(4, runtime_type="Headless"),
                session(5, machine="OTHER")]
    assert resolver.machine_target(sessions, "rpa-template", None) == MachineTarget(
        "RPA-TEMPLATE", None, (4, 9))
    assert resolver.machine_target(sessions, "RPA-TEMPLATE", "host-02") == MachineTarget(
        "RPA-TEMPLATE", "HOST-02", (9,))
    assert resolver.machine_target(sessions, "RPA-TEMPLATE", "HOST-09") is None
    assert resolver.machine_target(sessions, "GONE", None) is None


def test_runtime_types_for_the_folder_and_a_foreground_release():
    capacities = [RuntimeCapacity("NonProduction", 2, 1, 1), RuntimeCapacity("Headless", 1, 1, 1),
                  RuntimeCapacity("Development", 0, 0, 0), RuntimeCapacity("Serverless", 3, 3, 3)]
    assert resolver.runtime_types_for(RELEASE, None) == list(RUNTIME_TYPES)
    assert resolver.runtime_types_for(RELEASE, capacities) == ["NonProduction", "Headless",
                                                               "Serverless"]
    foreground = replace(RELEASE, requires_user_interaction=True)
    assert resolver.runtime_types_for(foreground, capacities) == ["NonProduction"]
    assert "Headless" not in resolver.runtime_types_for(foreground, None)


class FakeClient:
    def __init__(self, entry_points=None, sessions=None, capacities=None, fail=()):
        self.answers = {"entry_points": entry_points, "machine_sessions": sessions,
                        "runtimes_for_folder": capacities}
        self.fail = fail
        self.asked: list = []
        self.uploads: list = []

    def _answer(self, name):
        self.asked.append(name)
        if name in self.fail:
            raise NotAvailable(f"no {name}", status=404)
        return self.answers[name]

    async def entry_points(self, release):
        return self._answer("entry_points")

    async def machine_sessions(self, folder_id, runtime_type=None):
        return self._answer("machine_sessions")

    async def runtimes_for_folder(self, folder_id):
        return self._answer("runtimes_for_folder")

    async def upload_attachment(self, name, content):
        self.uploads.append((name, content))
        return "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"


async def test_option_facts_asks_only_what_the_options_need():
    client = FakeClient()
    facts = await resolver.option_facts(client, RELEASE, FOLDER, StartOptions())
    assert client.asked == [] and facts == resolver.OptionFacts()
    client = FakeClient([CLEANUP], [session(4)], [], fail=("runtimes_for_folder",))
    options = StartOptions(entry_point="flows/cleanup.xaml", target=MachineTarget("RPA-TEMPLATE"))
    facts = await resolver.option_facts(client, RELEASE, FOLDER, options, "Unattended")
    assert client.asked == ["entry_points", "machine_sessions", "runtimes_for_folder"]
    assert facts.capacities is None and facts.entry_point(RELEASE, options.entry_point) is CLEANUP
    resolved = resolver.resolve_options(RELEASE, options, facts)
    assert resolved.entry_point == "Flows\\Cleanup.xaml"
    assert resolved.target == MachineTarget("RPA-TEMPLATE", None, (4,))


async def test_option_facts_says_why_sessions_are_unknown():
    options = StartOptions(target=MachineTarget("M"))
    facts = await resolver.option_facts(FakeClient(fail=("machine_sessions",)), RELEASE, FOLDER,
                                        options)
    assert facts.sessions is None and facts.sessions_problem == "no machine_sessions"
    facts = await resolver.option_facts(FakeClient(), RELEASE, None, options)
    assert "no folder is known" in facts.sessions_problem
    # Not resolved: the plan refuses to start without the target asked for.
    unresolved = resolver.resolve_options(RELEASE, options, facts)
    with pytest.raises(OptionError, match="No session of any host of machine M"):
        unresolved.validate()


def test_parse_priority():
    assert parse_priority("high") == "High" and parse_priority(" 75 ") == 75
    for bad in ("0", "101", "urgent", "7.5", ""):
        with pytest.raises(OptionError, match="Priority must be one of"):
            parse_priority(bad)


# -- large input and outputs -----------------------------------------------------------------


def big_plan(large_input: str = "file") -> StartPlan:
    return StartPlan(RELEASE, StrategyChoice("ModernJobsCount"), arguments={"Path": "x" * 12_000},
                     folder=FOLDER, reference="startjob:1234",
                     options=StartOptions(large_input=large_input))


async def test_prepare_input_uploads_large_arguments_once():
    client = FakeClient()
    plan = big_plan()
    assert plan.preview_info()["InputFile"] == INPUT_FILE_PLACEHOLDER
    ready = await prepare_input(client, plan)
    ((name, content),) = client.uploads
    assert name == "startjob-input-1234.json"
    assert content == plan.input_text().encode("utf-8")
    info = ready.start_info()
    assert info["InputFile"] == "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
    assert "InputArguments" not in info
    assert await prepare_input(client, ready) is ready and len(client.uploads) == 1


async def test_prepare_input_leaves_small_or_refused_input_alone():
    client = FakeClient()
    small = replace(big_plan(), arguments={"Path": "x"})
    assert await prepare_input(client, small) is small
    refused = big_plan("refuse")
    assert await prepare_input(client, refused) is refused and client.uploads == []


class Attachments:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    async def read_attachment(self, attachment_id):
        if self.fail:
            raise ServerError("storage down", status=503)
        return b'\xef\xbb\xbf{"Result": "ok"}'


async def test_output_arguments_reads_an_output_file_like_output_arguments():
    inline = Job(id=1, key="k", state="Successful", output_arguments='{"A": 1}')
    assert await output_arguments(Attachments(), inline) == '{"A": 1}'
    filed = Job(id=2, key="k2", state="Successful", output_file="6f1c2a3b")
    assert await output_arguments(Attachments(), filed) == '{"Result": "ok"}'
    assert await output_arguments(Attachments(), Job(id=3, key="k3", state="Faulted")) is None
    warnings: list = []
    jobs = await with_outputs(Attachments(fail=True), [inline, filed], warnings.append)
    assert jobs == [inline, filed] and "job 2" in warnings[0] and "storage down" in warnings[0]
    jobs = await with_outputs(Attachments(), [filed], warnings.append)
    assert jobs[0].output_arguments == '{"Result": "ok"}'


# -- summary rows ----------------------------------------------------------------------------


def test_plan_rows_show_priority_and_options():
    from tui_app.arguments import parse_arguments_input

    specs = parse_arguments_input(RELEASE.arguments_input)
    plan = StartPlan(RELEASE, StrategyChoice("ModernJobsCount"), folder=FOLDER)
    rows = dict(plan_rows(plan, specs))
    assert rows["Priority"] == "the release's own (High)"
    options = StartOptions(entry_point="Flows/Cleanup.xaml", stop_after=5400, kill_after=60,
                           target=MachineTarget("RPA-TEMPLATE", "HOST-01", (4,)))
    plan = replace(plan, strategy=StrategyChoice("ModernJobsCount", priority=75),
                   options=options)
    rows = dict(plan_rows(plan, specs))
    assert rows["Priority"] == "75 (high)"
    assert rows["Entry point"] == "Flows/Cleanup.xaml"
    assert rows["Runs on"] == "host HOST-01 of machine RPA-TEMPLATE"
    assert rows["Stop"] == "soft stop after 1h30m running, kill 1m later if still running"


# -- drift of saved options ------------------------------------------------------------------

SAVED = """\
version = 1
name = "Nightly"

[connection]
folder = "Ops"

[process]
key = "Nightly"

[strategy]
kind = "ModernJobsCount"
{strategy}

[options]
{options}
"""


def saved(options: str = "", strategy: str = ""):
    return parse_template(SAVED.format(options=options, strategy=strategy), "nightly.toml")


def findings(template, facts, release=RELEASE):
    return [(f.level, f.code, f.text) for f in check_drift(template, release, facts=facts)]


def test_entry_point_gone_blocks_and_unlisted_warns():
    template = saved('entry_point = "Flows/Old.xaml"')
    facts = resolver.OptionFacts(entry_points=[EntryPoint("Main.xaml"), CLEANUP])
    ((level, code, text),) = findings(template, facts)
    assert (level, code) == (BLOCK, "entry-point-gone")
    assert text == ('The entry point "Flows/Old.xaml" is not in "Nightly" 2.0 any more; its '
                    'entry points now: "Main.xaml", "Flows\\\\Cleanup.xaml".')
    ((level, code, _),) = findings(template, resolver.OptionFacts())
    assert (level, code) == (WARN, "entry-point-unchecked")
    assert findings(saved('entry_point = "main.xaml"'), resolver.OptionFacts()) == []


def test_machine_and_host_gone_block_naming_what_exists():
    sessions = [session(4), session(5, host="HOST-02"), session(6, machine="SAP-VM", host="SAP1")]
    facts = resolver.OptionFacts(sessions=sessions)
    ((level, code, text),) = findings(saved('machine = "SAP-CLIENT"'), facts)
    assert (level, code) == (BLOCK, "machine-gone")
    assert text.endswith('machines there now: "RPA-TEMPLATE", "SAP-VM".')
    ((level, code, text),) = findings(saved('machine = "rpa-template"\nhost = "HOST-03"'), facts)
    assert (level, code) == (BLOCK, "host-gone")
    assert 'its hosts now: "HOST-01", "HOST-02".' in text
    assert findings(saved('machine = "RPA-TEMPLATE"\nhost = "host-02"'), facts) == []


def test_unreadable_machines_block_never_a_silent_start_without_the_target():
    facts = resolver.OptionFacts(sessions_problem="Not available: this account may not read "
                                                  "machine sessions (HTTP 403)")
    ((level, code, text),) = findings(saved('machine = "RPA-TEMPLATE"'), facts)
    assert (level, code) == (BLOCK, "machines-unknown")
    assert "may not read machine sessions" in text


def test_host_in_maintenance_or_unresponsive_warns():
    facts = resolver.OptionFacts(sessions=[
        session(4, maintenance_mode="Enabled"),
        session(5, host="HOST-02", is_unresponsive=True)])
    ((level, code, text),) = findings(saved('machine = "RPA-TEMPLATE"'), facts)
    assert (level, code) == (WARN, "host-unavailable")
    assert "HOST-01: maintenance mode" in text and "HOST-02: unresponsive" in text
    facts = resolver.OptionFacts(sessions=[session(4, status="Disconnected"),
                                           session(5, host="HOST-02")])
    assert findings(saved('machine = "RPA-TEMPLATE"'), facts) == []  # one host is fine
    ((level, _, text),) = findings(saved('machine = "RPA-TEMPLATE"\nhost = "HOST-01"'), facts)
    assert level == WARN and "HOST-01: disconnected" in text


def test_runtime_type_missing_or_background_only_blocks():
    capacities = [RuntimeCapacity("Unattended", 2, 2, 2)]
    facts = resolver.OptionFacts(capacities=capacities)
    template = saved(strategy='runtime_type = "NonProduction"')
    ((level, code, text),) = findings(template, facts)
    assert (level, code) == (BLOCK, "runtime-gone")
    assert text == ('The folder "Ops" has no NonProduction runtimes; runtime types there: '
                    "Unattended.")
    assert findings(saved(), facts) == []
    # A folder without any runtime: Orchestrator's own refusal explains it.
    assert findings(template, resolver.OptionFacts(capacities=[])) == []
    foreground = replace(RELEASE, requires_user_interaction=True)
    ((level, code, text),) = findings(saved(strategy='runtime_type = "Headless"'),
                                      resolver.OptionFacts(), foreground)
    assert (level, code) == (BLOCK, "runtime-foreground")
    assert "foreground process" in text and "Headless" in text
