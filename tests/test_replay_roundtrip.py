"""Save a wizard choice as a template (``template_from_plan``) and replay it headless: the
request is the wizard's request, except for the Reference."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest

from tui_app.arguments import collect_values, parse_arguments_input, parse_process_defaults
from tui_app.cli import main
from tui_app.connection import ConnectionSettings
from tui_app.exit_codes import EXIT_OK
from tui_app.plan import RobotRef, StartPlan, StrategyChoice, new_reference
from tui_app.templates import (
    TemplateError,
    dump_template,
    load_template,
    parse_template,
    save_template,
    template_from_plan,
)


@pytest.fixture(autouse=True)
def demo_credentials(monkeypatch):
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")


def wizard_choice(sandbox, folder_path, process_key, *, environment=None, robots=(),
                  texts=None, **strategy):
    """What the wizard holds after its steps: folder, release, specs, robots, typed values."""

    async def fetch():
        settings = ConnectionSettings(url=sandbox.orchestrator_url, client_id="demo-client",
                                      client_secret="demo-secret")
        async with settings.open_client() as client:
            folder = next(f for f in await client.list_folders()
                          if f.fully_qualified_name == folder_path)
            client.use_folder(folder)
            releases = await client.releases_for_process(process_key)
            release = next(r for r in releases
                           if environment is None or r.environment_name == environment)
            if release.environment_name:
                pool = (await client.environment_robots(release.environment_name)).robots
            else:
                pool = await client.folder_robots(folder.id)
            return folder, release, pool

    folder, release, pool = asyncio.run(fetch())
    specs = parse_arguments_input(release.arguments_input)
    values, errors = collect_values(specs, texts or {},
                                    parse_process_defaults(release.input_arguments))
    assert errors == {}
    chosen = tuple(RobotRef(r.id, r.name) for r in pool if r.name in robots)
    plan = StartPlan(release=release, strategy=StrategyChoice(robots=chosen, **strategy),
                     arguments=values, folder=folder, reference=new_reference())
    return plan, specs


def replayed(sandbox, capsys, path, *args):
    code = main(["run", str(path), "--url", sandbox.orchestrator_url, "--dry-run",
                 "--output", "json", *args])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    return json.loads(captured.out)["request"]["startInfo"]


def same_but_reference(wizard: dict, headless: dict) -> None:
    assert headless["Reference"] != wizard["Reference"]
    assert {k: v for k, v in headless.items() if k != "Reference"} == {
        k: v for k, v in wizard.items() if k != "Reference"}
    assert list(headless) == list(wizard)  # same keys in the same order


SHOWCASE_TEXTS = {
    "Text": "ünïcode \"quoted\" text", "Letter": "Z", "Count": "7",
    "BigCount": "9007199254740993", "SmallByte": "255", "ShortNumber": "-5",
    "Unsigned": "4294967295", "Amount": "12.50", "Ratio": "0.1", "Weight": "12",
    "Approved": "no", "DueDate": "2024-05-01T09:30:00.1234567",
    "DueOffset": "2024-05-01T09:00:00Z", "Timeout": "2.00:00:00", "Tags": "a\nb",
    "Scores": "[1, 2]", "Names": "x", "Settings": '{"k": 1.10, "n": null, "l": [1, "two"]}',
    "Rows": '[{"Name": "Ada", "Age": 36, "Note": null}]', "Payload": '{"id": 1e2}',
    "MaybeCount": "4", "Custom": '"raw text"',
}


def test_every_argument_kind_round_trips(sandbox, capsys, tmp_path):
    with sandbox.tenant.lock:  # a NonProduction slot, so the pre-flight check passes
        sandbox.tenant.machine_runtimes["FIN-HOST-A"]["NonProduction"] = 1
    plan, specs = wizard_choice(sandbox, "Finance", "ArgumentShowcase", texts=SHOWCASE_TEXTS,
                                robots=("fin-bot-01",), kind="ModernJobsCount", jobs_count=3,
                                runtime_type="NonProduction", priority="High")
    template = template_from_plan(plan, name="Showcase", description="every kind",
                                  url=sandbox.orchestrator_url, specs=specs)
    assert template.connection.folder == "Finance"
    assert template.connection.url == sandbox.orchestrator_url
    assert template.strategy.robots == ("fin-bot-01",) and template.strategy.jobs_count == 3
    assert template.signature["Names"] == "System.Collections.Generic.List<System.String>"
    assert template.signature["Custom"] == "Acme.Billing.Invoice"
    path = save_template(template, tmp_path / "showcase.toml")
    loaded = load_template(path)
    assert loaded.arguments["Amount"] == Decimal("12.50")
    wizard = plan.start_info()
    assert '"Amount":12.50' in wizard["InputArguments"]
    assert '"Weight":12,' in wizard["InputArguments"]
    same_but_reference(wizard, replayed(sandbox, capsys, path))


def test_replay_uses_the_url_saved_in_the_template(sandbox, capsys, tmp_path):
    plan, specs = wizard_choice(sandbox, "Default", "SupportTriage", environment="Production",
                                texts={"IncidentId": "INC1"}, kind="All")
    template = template_from_plan(plan, name="All prod", url=sandbox.orchestrator_url,
                                  specs=specs)
    path = save_template(template, tmp_path / "all.toml")
    code = main(["run", str(path), "--dry-run", "--output", "json"])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    same_but_reference(plan.start_info(), json.loads(captured.out)["request"]["startInfo"])


@pytest.mark.parametrize(
    ("folder", "process", "environment", "texts", "strategy"),
    [
        ("Default", "SupportTriage", "QuickstartDemo", {"IncidentId": "INC1"},
         {"kind": "Specific", "robots": ("SUPPORT-BOT-01", "SUPPORT-BOT-03")}),
        ("Default", "SupportTriage", "Production", {"IncidentId": "INC2"},
         {"kind": "JobsCount", "jobs_count": 4, "priority": "Low"}),
        ("Default", "ReportGenerator", None, {"ReportDate": "2024-05-01"},
         {"kind": "All"}),
        ("Shared/Support", "PasswordReset", None,
         {"UserEmail": "ada@example.com", "TicketOpened": "2024-05-01T09:00:00+02:00"},
         {"kind": "ModernJobsCount", "robots": ("svc-support-02",)}),
        ("Finance", "InvoiceIntake", None, {"InvoiceNumber": "F-1", "Amount": "100.00"},
         {"kind": "ModernJobsCount", "jobs_count": 2}),
    ],
)
def test_strategies_round_trip(sandbox, capsys, tmp_path, folder, process, environment, texts,
                               strategy):
    plan, specs = wizard_choice(sandbox, folder, process, environment=environment, texts=texts,
                                **strategy)
    template = template_from_plan(plan, name="t", url=sandbox.orchestrator_url, specs=specs)
    path = save_template(template, tmp_path / "t.toml")
    same_but_reference(plan.start_info(), replayed(sandbox, capsys, path))


def test_ask_arguments_are_not_stored_and_come_back_from_the_environment(
        sandbox, capsys, tmp_path, monkeypatch):
    plan, specs = wizard_choice(sandbox, "Shared/Support", "PasswordReset",
                                texts={"UserEmail": "ada@example.com", "NotifyManager": "yes"},
                                kind="ModernJobsCount")
    template = template_from_plan(plan, name="Reset", url=sandbox.orchestrator_url,
                                  specs=specs, ask=("UserEmail",))
    assert template.ask == ("UserEmail",)
    assert template.arguments == {"NotifyManager": True}
    path = save_template(template, tmp_path / "reset.toml")
    assert "ada@example.com" not in path.read_text(encoding="utf-8")
    monkeypatch.setenv("STARTJOB_ARG_UserEmail", "ada@example.com")
    printed = replayed(sandbox, capsys, path)  # an ask value is never printed (issue 10.3)
    assert "ada@example.com" not in json.dumps(printed)
    assert main(["run", str(path), "--url", sandbox.orchestrator_url]) == EXIT_OK
    (sent,) = [json.loads(r.body)["startInfo"] for r in sandbox.request_log
               if r.route.endswith("StartJobs")]
    same_but_reference(plan.start_info(), sent)


def test_profile_is_stored_instead_of_url(sandbox):
    plan, specs = wizard_choice(sandbox, "Default", "SupportTriage", environment="Production",
                                texts={"IncidentId": "INC1"}, kind="All")
    template = template_from_plan(plan, name="p", profile="prod", url="https://x.test",
                                  specs=specs, bindings={"IncidentId": "incident.number"})
    assert template.connection.profile == "prod" and template.connection.url is None
    assert template.process.environment == "Production"
    assert template.process.release_key == "3f2b8c1d-7a64-4e2b-9c85-2d1e0f7a6b52"
    assert template.process.version == "1.0.0"
    assert parse_template(dump_template(template)).bindings == {"IncidentId": "incident.number"}


def test_template_from_plan_refuses_unknown_arguments(sandbox):
    plan, specs = wizard_choice(sandbox, "Default", "SupportTriage", environment="Production",
                                texts={"IncidentId": "INC1"}, kind="All")
    with pytest.raises(TemplateError, match="not an input argument of SupportTriage"):
        template_from_plan(plan, name="x", specs=specs, ask=("Nope",))
    with pytest.raises(TemplateError, match="name"):
        template_from_plan(plan, name="", specs=specs)
