"""The wizard session without a screen (no Pilot): choices, plans, the summary, the template
identity, starting once with a history entry, following jobs, drafts and the quit question."""

from __future__ import annotations

import json
import shlex

import pytest
from support import FIXED_REFERENCE, UI_URL, SandboxRedirect

from tui_app.connection import ConnectionSettings
from tui_app.history import read_entries
from tui_app.orchestrator.models import Environment, Folder, Job, Release, Robot
from tui_app.plan import PlanError
from tui_app.sandbox import FaultConfig
from tui_app.wizard.errors import ServerProblem
from tui_app.wizard.requests import SaveTemplateRequest
from tui_app.wizard.session import MASK, TemplateIdentity, WizardSession, scaled_policy

ARGUMENTS = json.dumps([
    {"name": "IncidentId", "type": "System.String", "required": True},
    {"name": "Note", "type": "System.String", "required": False},
])
CLASSIC = Folder(4, "k4", "Default", "Default", "Manual", "InheritFromTenant")
MODERN = Folder(2, "k2", "Support", "Shared/Support", "Automatic", "FineGrained")
RELEASE = Release(1, "rk1", "Triage_Quick", "Triage", "1.0.1", environment_name="Quick",
                  arguments_input=ARGUMENTS)
MODERN_RELEASE = Release(6, "rk6", "Reset", "Reset", "2.1.0")
ROBOTS = (Robot(101, "BOT-1", state="Available"), Robot(102, "BOT-2", state="Busy"))


def offline(folder: Folder = CLASSIC, release: Release = RELEASE) -> WizardSession:
    """A session with a folder and a release chosen, its robots known (no client)."""
    session = WizardSession(ConnectionSettings(url="https://x.test/orchestrator_"),
                            reference_factory=lambda: FIXED_REFERENCE)
    state = session.state
    state.folders = [folder]
    state.folder = folder
    state.releases = [release]
    state.release = release
    state.environments["Quick"] = Environment(11, "Quick", robots=ROBOTS)
    state.folder_robots[MODERN.id] = list(ROBOTS)
    return session


def online(sandbox, **options) -> WizardSession:
    settings = ConnectionSettings(url=UI_URL, client_id="demo-client", client_secret="demo-secret")
    return WizardSession(settings, client_options={"transport": SandboxRedirect(sandbox.base_url)},
                         reference_factory=lambda: FIXED_REFERENCE, **options)


# -- the flow through the session's facts ---------------------------------------------------


def test_the_session_skips_folder_release_and_arguments_when_they_do_not_apply():
    session = offline()
    assert session.next_step("Connect") == "Folder"
    assert session.next_step("Process") == "Strategy"  # one release: chosen at once
    assert session.next_step("Strategy") == "Options"  # never skipped (pre-filled)
    assert session.next_step("Options") == "Arguments"
    assert session.skipped_steps() == ("Release",)  # not connected: Folder is not known yet
    session.state.folders = []
    session.state.release = MODERN_RELEASE  # no input arguments
    assert session.next_step("Connect") == "Action"
    assert session.next_step("Action") == "Process"
    assert session.next_step("Options") == "Review"


# -- plans per strategy --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, count, expected",
    [
        ("Specific", "1", {"Strategy": "Specific", "RobotIds": [102]}),
        ("JobsCount", " 3 ", {"Strategy": "JobsCount", "JobsCount": 3}),
        ("All", "1", {"Strategy": "All"}),
    ],
)
def test_a_classic_plan_per_strategy(kind, count, expected):
    session = offline()
    state = session.state
    state.strategy_kind = kind
    state.jobs_count_text = count
    state.selected_robots[state.robots_key()] = {102}
    state.argument_values = {"IncidentId": "INC1"}
    info = session.current_plan().start_info()
    assert {key: info[key] for key in expected} == expected
    assert "RobotIds" not in info or kind == "Specific"
    assert info["Reference"] == FIXED_REFERENCE
    assert json.loads(info["InputArguments"]) == {"IncidentId": "INC1"}
    chosen = {"Specific": ["BOT-2"], "All": ["BOT-1", "BOT-2"], "JobsCount": []}[kind]
    assert [robot.name for robot in session.chosen_robots()] == chosen


def test_a_modern_plan_with_and_without_chosen_robots():
    session = offline(MODERN, MODERN_RELEASE)
    state = session.state
    state.strategy_kind = "ModernJobsCount"
    state.jobs_count_text = "2"
    state.runtime_type = "NonProduction"
    info = session.current_plan().start_info()
    assert (info["JobsCount"], info["RuntimeType"], "RobotIds" in info) == (2, "NonProduction",
                                                                             False)
    state.selected_robots[state.robots_key()] = {101}
    assert session.current_plan().start_info()["RobotIds"] == [101]


def test_an_unfinished_choice_is_no_plan():
    session = offline()
    session.state.strategy_kind = "JobsCount"
    session.state.jobs_count_text = "0"
    with pytest.raises(ValueError, match="whole number from 1"):
        session.current_plan()
    session.state.strategy_kind = "Specific"
    with pytest.raises(PlanError, match="at least one robot"):
        session.current_plan().start_info()


# -- the summary ---------------------------------------------------------------------------------


def test_summary_rows_mask_ask_values_and_name_unset_arguments():
    session = offline()
    state = session.state
    state.strategy_kind = "Specific"
    state.selected_robots[state.robots_key()] = {102}
    state.argument_values = {"IncidentId": "TOPSECRET"}
    state.ask_names = frozenset({"IncidentId"})
    rows = dict(session.summary_rows(session.current_plan()))
    text = "\n".join(f"{label} {value}" for label, value in session.summary_rows(
        session.current_plan()))
    # The rows startjob run prints too (tui_app.summary), plus the sign-in and the robots.
    assert rows["Folder"].startswith("Default  (classic, id ") and rows["Environment"] == "Quick"
    assert rows["Arguments"] == f"IncidentId = {MASK}" and "TOPSECRET" not in text
    assert "Note: not sent (Orchestrator's default applies)" in text
    assert "BOT-2 is Busy" in rows["Robots"]
    assert session.shown_arguments({"IncidentId": "TOPSECRET", "x": 1}) == {
        "IncidentId": MASK, "x": 1}


# -- the template of the choice ------------------------------------------------------------------


def test_the_template_identity_is_dropped_once_the_choice_changes(tmp_path):
    session = offline()
    state = session.state
    state.strategy_kind = "Specific"
    state.selected_robots[state.robots_key()] = {101}
    state.argument_texts = {"IncidentId": "INC1"}
    identity = TemplateIdentity("triage", tmp_path / "triage.toml")
    session.remember_template(identity)
    assert session.template_identity() == identity
    assert session.template_default_name() == "triage"
    assert session.headless_command() == f"startjob run {shlex.quote(str(identity.path))}"
    session.demo = True  # a demo template only runs on a fresh demo sandbox
    assert session.headless_command() == (
        f"startjob run {shlex.quote(str(identity.path))} --demo")
    state.selected_robots[state.robots_key()] = {102}
    assert session.template_identity() is None
    assert session.template_default_name() == "Triage on Quick"
    state.selected_robots[state.robots_key()] = {101}
    assert session.template_identity() == identity
    state.argument_texts["IncidentId"] = "INC2"
    assert session.template_identity() is None
    state.ask_names = frozenset({"IncidentId"})  # typed at every start: never part of it
    session.remember_template(identity)
    state.argument_texts["IncidentId"] = "INC3"
    assert session.template_identity() == identity


def test_saving_a_template_remembers_it_and_its_ask_names():
    session = offline()
    state = session.state
    state.strategy_kind = "JobsCount"
    state.argument_texts = state.argument_values = {"IncidentId": "INC1"}
    path = session.save_template(SaveTemplateRequest("Triage", "", ("IncidentId",)))
    assert path.exists() and "INC1" not in path.read_text()
    assert state.ask_names == {"IncidentId"}
    assert session.template_identity() == TemplateIdentity("Triage", path)
    with pytest.raises(FileExistsError):
        session.save_template(SaveTemplateRequest("Triage", "", ()))


# -- against the sandbox: choose, start once, history, follow --------------------------------


async def choose_triage(session: WizardSession) -> None:
    folders = await session.connect(session.state.settings)
    session.choose_folder(next(f for f in folders if f.fully_qualified_name == "Default"))
    page = await session.search_releases("  triage ", top=50)
    listed = [r for r in page.items if r.process_key == "SupportTriage"]
    await session.pick_process("SupportTriage", listed, complete=True)
    assert len(session.state.releases) == 2 and session.state.release is None
    assert session.next_step("Process") == "Release"
    session.choose_release(next(r for r in session.state.releases
                                if r.environment_name == "QuickstartDemo"))


async def test_start_once_records_the_history_and_following_ends_it(sandbox):
    session = online(sandbox, policy=scaled_policy(0.02))
    try:
        await choose_triage(session)
        assert not session.robots_loaded()
        robots = await session.load_robots()
        assert [robot.id for robot in robots] == [101, 102, 103] and session.robots_loaded()
        state = session.state
        state.strategy_kind = "Specific"
        session.ticked_robots().add(101)
        state.argument_values = {"IncidentId": "INC9"}
        outcome = await session.start_jobs()
        assert outcome.started and len(state.jobs) == 1
        assert session.reference == FIXED_REFERENCE and not session.unknown_start
        [entry] = read_entries()
        assert (entry.source, entry.process_key, entry.folder) == ("wizard", "SupportTriage",
                                                                   "Default")
        assert session.quit_question(starting=False).startswith("1 job(s) you started")
        updates: list = []
        await session.follow_jobs(lambda changed, delay: updates.append((changed, delay)),
                                  lambda problem, delay: pytest.fail(problem.text))
        assert not state.unfinished_jobs() and updates
        assert all(delay <= 0.02 * 15 for _, delay in updates)  # the policy, scaled
        session.record_final_states()
        [entry] = read_entries()
        assert {job.state for job in entry.jobs} == {"Successful"}
        assert session.quit_question(starting=False) is None
        assert "start request" in session.quit_question(starting=True)
    finally:
        await session.disconnect()


async def test_orchestrator_failures_reach_the_screens_as_server_problems(sandbox):
    session = online(sandbox)
    session.client_options["max_retries"] = 0
    try:
        await choose_triage(session)
        sandbox.set_faults(FaultConfig(server_error=1.0, only="GET /odata/Releases"))
        with pytest.raises(ServerProblem) as caught:
            await session.search_releases("triage", top=50)
        assert caught.value.text and not caught.value.slow_down
    finally:
        await session.disconnect()


async def test_a_wrong_secret_is_a_server_problem_that_says_what_to_do(sandbox):
    session = online(sandbox)
    settings = session.state.settings.with_(client_secret="wrong")
    with pytest.raises(ServerProblem) as caught:
        await session.connect(settings)
    assert "wrong" not in caught.value.text and session.client is None


def test_the_robots_of_a_gone_environment_are_none():
    session = offline()
    session.state.environments.clear()

    class NoEnvironment:
        async def environment_robots(self, name):
            return None

    session.client = NoEnvironment()
    import asyncio

    assert asyncio.run(session.load_robots()) is None


# -- drafts and secrets ------------------------------------------------------------------------


def test_a_draft_keeps_the_choices_and_never_a_secret():
    from tui_app.drafts import draft_path, load_draft

    session = offline()
    state = session.state
    state.settings = state.settings.with_(client_id="cid", client_secret="S3cret")
    state.strategy_kind = "Specific"
    state.selected_robots[state.robots_key()] = {102}
    state.argument_texts = {"IncidentId": "ASKED", "Note": "hello"}
    state.ask_names = frozenset({"IncidentId"})
    assert session.has_choices()
    path = session.keep_draft("Review")
    assert path == draft_path() and "S3cret" not in path.read_text()
    assert "ASKED" not in path.read_text()
    draft = session.draft_to_offer()
    assert draft.robot_names == ["BOT-2"] and draft.step == "Review"
    fresh = offline()
    fresh.resume_draft(draft)
    assert fresh.state.settings.client_id == "cid" and fresh.pending_is_draft
    assert fresh.pending_template.process.key == "Triage"
    assert not load_draft()  # used up
    text = session.without_secrets("boom S3cret ASKED hello")
    assert text == f"boom {MASK} {MASK} hello"


def test_following_polls_by_the_policy_and_reports_problems():
    import asyncio

    from tui_app.following import POLICY

    assert scaled_policy(1.0) == POLICY  # the wizard follows as `startjob run --wait` does

    session = offline()
    session.policy = scaled_policy(0.5)
    session.state.jobs = [Job(1, "k1", "Running")]
    answers = [_rate_limited(retry_after=3.0), [Job(1, "k1", "Successful")]]

    class Client:
        async def get_jobs(self, ids):
            answer = answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer

    waited: list = []

    async def sleep(seconds):
        waited.append(seconds)

    session.client = Client()
    seen: list = []
    asyncio.run(session.follow_jobs(lambda changed, delay: seen.append(("update", changed)),
                                    lambda problem, delay: seen.append(("slow", delay)),
                                    sleep=sleep))
    assert seen == [("slow", 3.0), ("update", [0])]
    assert waited == [0.5, 3.0]  # the first wait, then what Orchestrator asked for
    assert session.state.jobs[0].state == "Successful"


def _rate_limited(retry_after: float):
    from tui_app.orchestrator.errors import RateLimited

    return RateLimited("Too many requests", retry_after=retry_after)


# -- the layers ---------------------------------------------------------------------------------


def test_the_session_knows_nothing_of_textual_and_screens_nothing_of_the_client():
    import ast
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    code = ("import sys, tui_app.wizard.session, tui_app.wizard.opening; "
            "print('textual' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert out.stdout.strip() == "False", out.stderr
    for path in sorted((root / "tui_app" / "ui" / "screens").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.startswith("tui_app.orchestrator") for n in names), path.name
