"""The resolution cache of ``startjob run`` (``tui_app.resolution_cache``), against the sandbox.

Each test runs a real start once (a full resolution, which fills the cache), changes the
tenant or the cache file, and runs again, counting the second run's requests in the sandbox
log.
"""

from __future__ import annotations

import json
import time

import pytest

from tui_app import replay
from tui_app.cli import main
from tui_app.exit_codes import EXIT_OK
from tui_app.following import FollowPolicy
from tui_app.history import read_entries
from tui_app.orchestrator.errors import OrchestratorError
from tui_app.resolution_cache import TTL, resolution_cache_dir, stale_refusal

START_JOBS = "POST /odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"
RELEASES = "GET /odata/Releases"
CURRENT_USER = "GET /odata/Users/UiPath.Server.Configuration.OData.GetCurrentUser"

TEMPLATE = """\
version = 1
name = "Triage incident"

[connection]
folder = "Default"

[process]
key = "SupportTriage"
environment = "QuickstartDemo"

[strategy]
kind = "Specific"
robots = ["SUPPORT-BOT-01"]

[arguments]
IncidentId = "INC0010234"
"""


@pytest.fixture(autouse=True)
def demo_credentials(monkeypatch):
    monkeypatch.setenv("UIPATH_CLIENT_ID", "demo-client")
    monkeypatch.setenv("UIPATH_CLIENT_SECRET", "demo-secret")
    monkeypatch.setattr(replay, "FOLLOW", FollowPolicy(first=0.05, longest=0.2))


@pytest.fixture
def template(tmp_path):
    path = tmp_path / "triage.toml"
    path.write_text(TEMPLATE, encoding="utf-8")
    return path


@pytest.fixture
def run(sandbox, capsys):
    """``startjob run PATH --url SANDBOX ...`` with the log cleared first; (code, out, err,
    routes of this run)."""

    def run(path, *args):
        sandbox.clear_log()
        code = main(["run", str(path), *args, "--url", sandbox.orchestrator_url])
        captured = capsys.readouterr()
        return code, captured.out, captured.err, [entry.route for entry in sandbox.request_log]

    return run


def started_with(sandbox) -> list:
    return [json.loads(r.body)["startInfo"] for r in sandbox.request_log if r.route == START_JOBS]


def cache_files() -> list:
    folder = resolution_cache_dir()
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def environment(sandbox, name: str = "QuickstartDemo"):
    return next(e for e in sandbox.tenant.environments.values() if e.name == name)


def test_a_hit_sends_only_the_release_and_the_start(sandbox, run, template):
    code, _, err, first = run(template, "--wait")
    assert code == EXIT_OK, err
    assert "GET /odata/Folders" in first and "GET /odata/Environments" in first
    assert CURRENT_USER in first
    (path,) = cache_files()
    assert path.stat().st_mode & 0o777 == 0o600
    code, out, err, second = run(template, "--wait")
    assert code == EXIT_OK, err
    asked = [route for route in second if route != "GET /odata/Jobs"]
    assert "GET /odata/Folders" not in asked and CURRENT_USER not in asked
    assert asked[0] == RELEASES and asked[-1] == START_JOBS
    assert "GET /odata/Environments" in asked  # the robots are always today's
    assert started_with(sandbox)[0]["RobotIds"] == [101]
    assert "Folder       Default  (classic, id 4)" in out and "SUPPORT-BOT-01" in out
    # The history still says who started it: the identity came from the cache.
    first_entry, second_entry = read_entries()
    assert first_entry.identity and second_entry.identity == first_entry.identity


def test_dry_run_neither_uses_nor_fills_the_cache(sandbox, run, template):
    code, _, err, _ = run(template, "--dry-run")
    assert code == EXIT_OK, err
    assert cache_files() == []
    assert run(template, "--wait")[0] == EXIT_OK
    code, _, err, routes = run(template, "--dry-run")
    assert code == EXIT_OK, err
    for route in ("GET /odata/Folders", RELEASES, "GET /odata/Environments",
                  "GET /odata/Sessions"):
        assert route in routes
    assert START_JOBS not in routes


def test_a_corrupt_cache_file_is_ignored_and_replaced(sandbox, run, template):
    assert run(template, "--wait")[0] == EXIT_OK
    (path,) = cache_files()
    path.write_text("{not json", encoding="utf-8")
    code, _, err, routes = run(template, "--wait")
    assert code == EXIT_OK, err
    assert "GET /odata/Folders" in routes and "GET /odata/Environments" in routes
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == 1


@pytest.mark.parametrize("damage", [
    lambda data: {**data, "key": "another"},
    lambda data: {**data, "format": 99},
    lambda data: {**data, "saved_at": time.time() - TTL - 60},
    lambda data: {**data, "folder": None},
])
def test_a_cache_entry_that_does_not_fit_is_a_miss(sandbox, run, template, damage):
    assert run(template, "--wait")[0] == EXIT_OK
    (path,) = cache_files()
    path.write_text(json.dumps(damage(json.loads(path.read_text(encoding="utf-8")))),
                    encoding="utf-8")
    code, _, err, routes = run(template, "--wait")
    assert code == EXIT_OK, err
    assert "GET /odata/Folders" in routes and "GET /odata/Environments" in routes


def test_editing_the_template_misses(sandbox, run, template):
    assert run(template, "--wait")[0] == EXIT_OK
    template.write_text(TEMPLATE.replace("INC0010234", "INC0010235"), encoding="utf-8")
    code, _, err, routes = run(template, "--wait")
    assert code == EXIT_OK, err
    assert "GET /odata/Folders" in routes


def test_the_release_is_read_every_time(sandbox, run, template):
    """A new release of the process (a new key) is what a hit starts: it is never cached."""
    assert run(template, "--wait")[0] == EXIT_OK
    old = next(r for r in sandbox.tenant.releases.values()
               if r.process_key == "SupportTriage" and r.folder_id == 4)
    sandbox.tenant.remove_release(old.id)
    fields = {name: getattr(old, name) for name in ("environment_id", "arguments_input")
              if hasattr(old, name)}
    new = sandbox.tenant.add_release(4, old.name, "SupportTriage", "2.0.0", **fields)
    code, _, err, routes = run(template, "--wait")
    assert code == EXIT_OK, err
    assert "GET /odata/Folders" not in routes
    assert started_with(sandbox)[0]["ReleaseKey"] == new.key != old.key


def test_robots_are_looked_up_at_every_start_a_renamed_one_is_not_started(
        sandbox, run, template):
    """Robots are never cached: after a swap of names the robot now named as in the template
    is started, not the one that had the name when the cache was filled."""
    assert run(template, "--wait")[0] == EXIT_OK
    env = environment(sandbox)
    sandbox.tenant.remove_robot(101)
    new = sandbox.tenant.add_robot("SUPPORT-BOT-01", "SUPPORT-VM-09", environment_id=env.id)
    code, out, err, routes = run(template, "--wait")
    assert code == EXIT_OK, err
    assert [info["RobotIds"] for info in started_with(sandbox)] == [[new.id]]
    assert "GET /odata/Folders" not in routes  # the folder came from the cache
    assert len(read_entries()) == 2


def test_a_folder_gone_from_the_cache_falls_back(sandbox, run, template):
    assert run(template, "--wait")[0] == EXIT_OK
    (path,) = cache_files()
    data = json.loads(path.read_text(encoding="utf-8"))
    data["folder"] = {**data["folder"], "Id": 999}  # a folder that no longer exists
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, err, routes = run(template, "--wait")
    assert code == EXIT_OK, err
    assert "GET /odata/Folders" in routes
    assert "Folder       Default  (classic, id 4)" in out
    assert json.loads(path.read_text(encoding="utf-8"))["folder"]["Id"] == 4


def test_a_robot_gone_for_good_blocks_and_drops_the_cache(sandbox, run, template):
    """The drift check blocks (the robot is not in the environment any more), nothing is
    started, and the cache file is dropped."""
    assert run(template, "--wait")[0] == EXIT_OK
    sandbox.tenant.remove_robot(101)
    code, _, err, routes = run(template, "--wait")
    assert code != EXIT_OK
    assert "SUPPORT-BOT-01" in err and "any more" in err
    assert START_JOBS not in routes and "GET /odata/Environments" in routes
    assert cache_files() == []


def test_stale_refusals():
    def error(status, code):
        return OrchestratorError("refused", status=status, error_code=code)

    assert stale_refusal(error(404, 1002)) and stale_refusal(error(409, 2810))
    assert stale_refusal(error(400, 1100))
    assert not stale_refusal(error(409, 1670)) and not stale_refusal(None)
    assert not stale_refusal(error(400, 1000))
