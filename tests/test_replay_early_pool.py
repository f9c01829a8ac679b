"""A replay reads the robots alongside the releases when the pool cannot depend on the
release (a modern folder, or a classic one in the template's environment): one round trip
less before StartJobs; a guess that does not match the release found is read again, never
used."""

from __future__ import annotations

import asyncio
import gc

import pytest
from support import TRIAGE_TEMPLATE

from tui_app.orchestrator.errors import PermissionDenied
from tui_app.orchestrator.models import Environment, Folder, Release, Robot
from tui_app.replay import ReplayError, resolve_target
from tui_app.templates import parse_template

CLASSIC = Folder.from_api({"Id": 4, "DisplayName": "Default", "ProvisionType": "Manual",
                           "PermissionModel": "InheritFromTenant"})
MODERN = Folder.from_api({"Id": 7, "DisplayName": "Finance", "ProvisionType": "Automatic",
                          "PermissionModel": "FineGrained"})


def release(environment):
    return Release.from_api({
        "Id": 1, "Key": "99587436-4ce5-480d-988c-6d7f43787a2c", "Name": "SupportTriage",
        "ProcessKey": "SupportTriage", "ProcessVersion": "1.0.1", "EnvironmentName": environment,
        "Arguments": {"Input": '[{"name": "IncidentId", "type": "System.String, '
                               'mscorlib", "required": false, "hasDefault": false}]'}})


def robot(robot_id, name):
    return Robot.from_api({"Id": robot_id, "Name": name, "Type": "Unattended"}, "Available")


class Client:
    """Releases answer only once the robots were asked for (or after ``wait`` seconds)."""

    def __init__(self, releases, *, wait=1.0, robots_fail=False):
        self.releases, self.wait, self.robots_fail = releases, wait, robots_fail
        self._asked = None
        self.calls = []

    @property
    def asked(self):
        # Made in the running loop: Python 3.9's Event binds to a loop when it is made.
        if self._asked is None:
            self._asked = asyncio.Event()
        return self._asked

    async def releases_for_process(self, key):
        self.calls.append("Releases")
        try:
            await asyncio.wait_for(self.asked.wait(), self.wait)
            self.calls.append("robots asked first")
        except asyncio.TimeoutError:
            pass
        return self.releases

    async def environment_robots(self, name):
        self.calls.append(f"Environments {name}")
        self.asked.set()
        if self.robots_fail:
            raise PermissionDenied("You are not authorized.")
        await asyncio.sleep(0)
        return Environment.from_api({"Id": 2, "Name": name, "Robots": [
            {"Id": 11, "Name": f"{name}-BOT"}, {"Id": 12, "Name": "SUPPORT-BOT-01"}]},
            {11: "Available", 12: "Available"})

    async def folder_robots(self, folder_id):
        self.calls.append(f"GetRobotsFromFolder {folder_id}")
        self.asked.set()
        return [robot(21, "SUPPORT-BOT-01")]


def template(**changes):
    text = TRIAGE_TEMPLATE
    for old, new in changes.items():
        text = text.replace(old, new)
    return parse_template(text)


def resolve(client, chosen, folder):
    return asyncio.run(resolve_target(client, chosen, chosen, folder))


def test_a_classic_pool_in_the_templates_environment_is_read_alongside_the_releases():
    client = Client([release("QuickstartDemo")])
    target = resolve(client, template(), CLASSIC)
    assert client.calls[:3] == ["Releases", "Environments QuickstartDemo",
                                "robots asked first"]
    assert [r.name for r in target.pool] == ["QuickstartDemo-BOT", "SUPPORT-BOT-01"]


def test_a_modern_pool_is_read_alongside_the_releases():
    client = Client([release(None)])
    chosen = template(**{'environment = "QuickstartDemo"\n': ""})
    target = resolve(client, chosen, MODERN)
    assert client.calls == ["Releases", "GetRobotsFromFolder 7", "robots asked first"]
    assert [r.id for r in target.pool] == [21]


def test_a_release_whose_environment_is_spelled_otherwise_reads_it_as_spelled():
    # The template says "quickstartdemo"; the release found runs in "QuickstartDemo".
    client = Client([release("QuickstartDemo")], wait=0.2)
    target = resolve(client, template(QuickstartDemo="quickstartdemo"), CLASSIC)
    assert client.calls[1] == "Environments quickstartdemo"
    assert client.calls[-1] == "Environments QuickstartDemo"
    assert [r.name for r in target.pool] == ["QuickstartDemo-BOT", "SUPPORT-BOT-01"]


@pytest.mark.parametrize("why", ["no folder", "no environment", "no robots named"])
def test_the_robots_wait_for_the_release_when_they_depend_on_it(why):
    client = Client([release("QuickstartDemo")], wait=0.2)
    folder, chosen = CLASSIC, template()
    if why == "no folder":
        folder = None
    elif why == "no environment":
        chosen = template(**{'environment = "QuickstartDemo"\n': ""})
    else:
        chosen = template(**{'kind = "Specific"\nrobots = ["SUPPORT-BOT-01"]':
                             'kind = "JobsCount"\njobs_count = 1'})
    resolve(client, chosen, folder)
    assert "robots asked first" not in client.calls


def test_an_early_read_that_is_not_needed_leaves_no_unretrieved_error(caplog):
    # No release found: the replay stops, and the failed robot read is collected.
    client = Client([], robots_fail=True)
    with pytest.raises(ReplayError):
        resolve(client, template(), CLASSIC)
    gc.collect()
    assert "never retrieved" not in caplog.text


def test_a_failed_early_read_is_the_replays_error_when_the_pool_is_needed():
    client = Client([release("QuickstartDemo")], robots_fail=True)
    with pytest.raises(PermissionDenied):
        resolve(client, template(), CLASSIC)
