"""``startjob run`` of queue templates end to end on the sandbox: its queues, schema, unique
references and the robot that processes items (issue 16)."""

from __future__ import annotations

import json

import pytest

from tui_app import replay
from tui_app.cli import main
from tui_app.exit_codes import EXIT_JOB_FAILED, EXIT_OK, EXIT_REFUSED, EXIT_USAGE
from tui_app.following import FollowPolicy
from tui_app.sandbox import SandboxConfig

ADD = "POST /odata/Queues/UiPathODataSvc.AddQueueItem"
INVOICE = """\
version = 1
name = "Invoice"
action = "add_queue_item"

[connection]
folder = "Finance"

[queue]
name = "invoiceintake"

[item]
priority = "High"
{item}

[content]
InvoiceNumber = "INV-1042"
Vendor = "{vendor}"
Amount = 99.5
Currency = "EUR"

[content.BillingAddress]
City = "Paris"
"""
RESET = """\
version = 1
name = "Reset"
action = "add_queue_item"

[connection]
folder = "Shared/Support"

[queue]
name = "AccountResets"

[item]
reference = "RESET-{incident.number}"

[content]
User = "ada@example.com"
"""

pytestmark = pytest.mark.parametrize(
    "sandbox_config", [SandboxConfig(item_processing_seconds=0.1)])


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")
    monkeypatch.setattr(replay, "FOLLOW", FollowPolicy(first=0.05, longest=0.2))


@pytest.fixture
def run(sandbox, capsys, tmp_path):
    def run(text: str, *args: str):
        path = tmp_path / "queue.toml"
        path.write_text(text, encoding="utf-8")
        code = main(["run", str(path), "--url", sandbox.orchestrator_url, *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def added(sandbox) -> list:
    return [json.loads(r.body)["itemData"] for r in sandbox.request_log if r.route == ADD]


def test_an_item_is_added_once_and_followed_until_processed(sandbox, run):
    code, out, err = run(INVOICE.format(item="", vendor="ACME"), "--wait", "--timeout", "60",
                         "--output", "json")
    assert code == EXIT_OK, err
    (sent,) = added(sandbox)
    assert sent["Name"] == "InvoiceIntake" and sent["Priority"] == "High"  # its own spelling
    assert sent["SpecificContent"]["BillingAddress"] == '{"City":"Paris"}'  # flat: JSON text
    assert sent["Reference"].startswith("startjob:") and "Source" not in sent
    item = json.loads(out)["item"]
    assert item["Status"] == "Successful" and item["Output"]["Result"] == "Processed"


def test_a_business_exception_exits_1_with_its_reason(sandbox, run):
    code, out, err = run(INVOICE.format(item="", vendor="FAIL Corp"), "--wait",
                         "--timeout", "60", "--output", "json")
    assert code == EXIT_JOB_FAILED, err
    item = json.loads(out)["item"]
    assert item["Status"] == "Failed"
    assert "FAIL Corp" in item["ProcessingException"]["Reason"]


def test_content_the_schema_refuses_is_stopped_before_anything_is_sent(sandbox, run):
    code, _, err = run(INVOICE.format(item="", vendor="A"), "--dry-run")  # minLength 2
    assert code == EXIT_USAGE and "Vendor" in err
    assert added(sandbox) == []


def test_a_unique_reference_is_looked_up_first(sandbox, run, tmp_path):
    event = tmp_path / "event.json"
    event.write_text('{"incident": {"number": "INC42"}}', encoding="utf-8")
    code, _, err = run(RESET, "--event", str(event))
    assert code == EXIT_OK, err
    assert added(sandbox)[0]["Reference"] == "RESET-INC42"
    code, _, err = run(RESET, "--event", str(event))
    assert code == EXIT_REFUSED and "RESET-INC42" in err
    assert len(added(sandbox)) == 1  # the second was never sent
