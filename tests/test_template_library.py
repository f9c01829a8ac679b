"""The template library (issue 18): personal and shared folders, clashes, read-only shared files."""

from __future__ import annotations

import json
import os

import pytest
import tour
from support import TRIAGE_TEMPLATE
from textual.widgets import Button, Input

from tui_app.cli import main
from tui_app.library import SharedFolderError, owner, personal_target, search_path
from tui_app.locations import settings_file, templates_dir
from tui_app.replay import ReplayError, find_template
from tui_app.templates import (
    ProcessSpec,
    StrategySpec,
    Template,
    list_library,
    load_template,
    save_template,
)
from tui_app.ui.save_template import SaveTemplateDialog
from tui_app.ui.screens import ReviewScreen
from tui_app.wizard.requests import SaveTemplateRequest

SIZE = (80, 24)


def _save(folder, name, process="SupportTriage", description=""):
    folder.mkdir(parents=True, exist_ok=True)
    template = Template(name=name, process=ProcessSpec(process), description=description,
                        strategy=StrategySpec(kind="ModernJobsCount"))
    from tui_app.templates import slug

    return save_template(template, folder / f"{slug(name)}.toml")


def _settings(*folders):
    settings_file().parent.mkdir(parents=True, exist_ok=True)
    settings_file().write_text(
        "template_path = [" + ", ".join(json.dumps(str(f)) for f in folders) + "]\n",
        encoding="utf-8")


@pytest.fixture
def team(tmp_path, monkeypatch):
    """A shared team folder on STARTJOB_TEMPLATE_PATH."""
    folder = tmp_path / "team"
    folder.mkdir()
    monkeypatch.setenv("STARTJOB_TEMPLATE_PATH", str(folder))
    return folder


# -- the search path ---------------------------------------------------------------------------


def test_personal_first_then_env_then_setting_without_duplicates(tmp_path, monkeypatch):
    a, b, c = (tmp_path / n for n in "abc")
    for folder in (a, b, c):
        folder.mkdir()
    monkeypatch.setenv("STARTJOB_TEMPLATE_PATH", os.pathsep.join([str(a), str(b), str(a)]))
    _settings(c, b, templates_dir())
    search = search_path()
    assert [f.path for f in search.folders] == [templates_dir(), a, b, c]
    assert [f.origin for f in search.folders] == ["personal", "shared", "shared", "shared"]
    assert search.folders[3].source.startswith("template_path in ")
    assert search.warnings == ()


def test_tilde_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "team").mkdir()
    monkeypatch.setenv("STARTJOB_TEMPLATE_PATH", "~/team")
    assert search_path().folders[1].path == tmp_path / "team"


def test_a_missing_shared_folder_is_a_warning_not_a_crash(tmp_path, monkeypatch, capsys):
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("STARTJOB_TEMPLATE_PATH", str(missing))
    _save(templates_dir(), "Mine")
    library = list_library()
    assert [e.name for e in library.entries] == ["Mine"]
    [warning] = library.warnings
    assert str(missing) in warning and "does not exist" in warning
    assert main(["templates"]) == 0
    captured = capsys.readouterr()
    assert "Mine" in captured.out
    assert f"warning: shared template folder {missing}" in captured.err


def test_a_bad_settings_file_is_a_warning(monkeypatch):
    settings_file().parent.mkdir(parents=True, exist_ok=True)
    settings_file().write_text("template_path = 3\n", encoding="utf-8")
    search = search_path()
    assert len(search.folders) == 1
    assert "must be a list of folder paths" in search.warnings[0]


# -- the entries ------------------------------------------------------------------------------


def test_entries_say_origin_folder_owner_and_read_only(team):
    _save(templates_dir(), "Mine")
    shared = _save(team, "Theirs")
    library = list_library()
    mine, theirs = library.entries
    assert (mine.origin, mine.folder, mine.read_only) == ("personal", templates_dir(), False)
    assert (theirs.origin, theirs.folder, theirs.read_only) == ("shared", team, True)
    assert theirs.owner == owner(shared) and theirs.owner not in ("", "?")


def test_an_unwritable_personal_file_is_read_only(monkeypatch):
    import tui_app.library as library

    path = _save(templates_dir(), "Locked")
    monkeypatch.setattr(library, "writable", lambda p: p != path)  # root writes anything
    [entry] = list_library().entries
    assert entry.origin == "personal" and entry.read_only


def test_name_clashes_across_and_within_folders(team):
    _save(templates_dir(), "Triage")
    _save(team, "triage")
    (team / "copy.toml").write_text((team / "triage.toml").read_text().replace(
        'name = "triage"', 'name = "TRIAGE"'), encoding="utf-8")
    [clash] = list_library().clashes
    assert [e.origin for e in clash.entries] == ["personal", "shared", "shared"]
    assert clash.winner is not None and clash.winner.folder == templates_dir()


def test_two_of_a_name_in_one_shared_folder_have_no_winner(team):
    _save(team, "Triage")
    (team / "other.toml").write_text((team / "triage.toml").read_text(), encoding="utf-8")
    [clash] = list_library().clashes
    assert clash.winner is None
    with pytest.raises(ReplayError, match="Several templates"):
        find_template("Triage")


# -- find_template ------------------------------------------------------------------------------


def test_find_template_prefers_personal_over_shared(team):
    mine = _save(templates_dir(), "Triage", process="Mine")
    _save(team, "Triage", process="Theirs")
    template, path = find_template("triage")
    assert (template.process.key, path) == ("Mine", mine)


def test_find_template_finds_a_shared_one(team):
    theirs = _save(team, "Weekly report", process="Report")
    template, path = find_template("Weekly report")
    assert (template.process.key, path) == ("Report", theirs)


def test_a_missing_name_lists_every_folder_searched(team):
    with pytest.raises(ReplayError) as caught:
        find_template("nothing")
    assert f"in {templates_dir()}, {team} (" in str(caught.value)


# -- startjob templates -------------------------------------------------------------------------


def test_templates_shows_from_owner_description_and_warns_of_clashes(team, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    _save(templates_dir(), "Triage", description="my own")
    _save(team, "Triage", description="the team's\x1b[31m")
    assert main(["templates"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["Name", "Process", "Strategy", "From", "Owner", "Description"]
    assert "personal" in lines[1] and "my own" in lines[1]
    assert str(team)[:10] in lines[2] and "\x1b" not in lines[2]
    assert all(len(line) <= 80 for line in lines[:3])
    warning = [line for line in lines if line.startswith("warning:")]
    assert len(warning) == 1 and "2 templates are named 'Triage'" in warning[0]
    assert f"{templates_dir() / 'triage.toml'} is the one a name finds" in warning[0]
    assert lines[-1] == f"(in {templates_dir()}, then {team})"


def test_templates_json_has_origin_folder_owner_read_only_and_clashes(team, capsys):
    mine = _save(templates_dir(), "Triage")
    theirs = _save(team, "TRIAGE")
    (team / "broken.toml").write_text("version = 2\n", encoding="utf-8")
    assert main(["templates", "--output", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    by_path = {item["path"]: item for item in data["templates"]}
    assert by_path[str(mine)]["origin"] == "personal"
    assert by_path[str(mine)]["read_only"] is False
    assert by_path[str(theirs)]["origin"] == "shared"
    assert by_path[str(theirs)]["folder"] == str(team)
    assert by_path[str(theirs)]["read_only"] is True
    assert by_path[str(theirs)]["owner"] == owner(theirs)
    assert by_path[str(team / "broken.toml")]["origin"] == "shared"
    assert data["clashes"] == [{"name": "Triage", "paths": [str(mine), str(theirs)],
                                "winner": str(mine)}]
    assert [f["origin"] for f in data["folders"]] == ["personal", "shared"]


# -- saving never writes into a shared folder ---------------------------------------------------


def test_personal_target_refuses_a_shared_path(team):
    with pytest.raises(SharedFolderError, match="never writes to; save a personal copy"):
        personal_target(team / "sub" / "x.toml")
    assert personal_target(templates_dir() / "x.toml") == templates_dir() / "x.toml"
    assert personal_target(None) is None


TRIAGE = TRIAGE_TEMPLATE


async def test_saving_a_shared_template_writes_a_personal_copy(make_wizard, team):
    shared = team / "triage-incident.toml"
    shared.write_text(TRIAGE, encoding="utf-8")
    before = (shared.read_bytes(), shared.stat().st_mtime_ns)
    template, path = find_template("Triage incident")
    app = make_wizard(template=template, template_path=path)
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SaveTemplateDialog)
        # Wrapped where the (temporary, any length) path ends: compare the words.
        note = " ".join(str(app.screen.query_one("#shared").render()).split())
        assert "Shared template (owner" in note and "saving a personal copy" in note
        assert app.screen.path() == templates_dir() / "triage-incident.toml"
        for button in app.screen.query(Button):  # the note leaves the buttons on screen
            assert app.screen.get_widget_at(button.region.x, button.region.y)[0] is button
        await pilot.press("ctrl+s")
        await tour.settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
    assert (shared.read_bytes(), shared.stat().st_mtime_ns) == before
    copy = load_template(templates_dir() / "triage-incident.toml")
    assert copy.name == "Triage incident" and copy.arguments == {"IncidentId": "INC0010234"}


async def test_a_folder_typed_inside_the_shared_one_is_refused(make_wizard, team):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_review(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await tour.fill(pilot, "Mine")
        app.screen.query_one("#folder", Input).value = str(team)
        await pilot.pause()
        await pilot.press("ctrl+s")
        await tour.settle(pilot)
        assert isinstance(app.screen, SaveTemplateDialog)
        shown = str(app.screen.query_one("#path").render())
        assert "not saved" in shown and "shared template folder" in shown
    assert list(team.iterdir()) == []


async def test_the_refusal_is_on_screen_under_the_shared_note(make_wizard, team):
    """With the shared-template note the fields scroll at 80x24: the refusal of a shared
    folder scrolls into view instead of staying below the fold."""
    (team / "triage-incident.toml").write_text(TRIAGE, encoding="utf-8")
    template, path = find_template("Triage incident")
    app = make_wizard(template=template, template_path=path)
    async with app.run_test(size=SIZE) as pilot:
        await tour.settle(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        app.screen.query_one("#folder", Input).value = str(team)
        await pilot.pause()
        await pilot.press("ctrl+s")
        await tour.settle(pilot)
        line = app.screen.query_one("#path")
        assert "not saved" in str(line.render())
        bottom = line.region.y + line.region.height - 1
        assert app.screen.get_widget_at(line.region.x, bottom)[0] is line


async def test_the_queue_flow_refuses_a_shared_path_too(make_wizard, team):
    app = make_wizard()
    async with app.run_test(size=SIZE) as pilot:
        await tour.to_queue_review(pilot)
        with pytest.raises(SharedFolderError):
            app.session.save_template(SaveTemplateRequest("Invoice", "", path=team / "i.toml"))
        path = app.session.save_template(SaveTemplateRequest("Invoice", ""))
    assert path.parent == templates_dir()
    assert list(team.iterdir()) == []


def test_owner_falls_back_to_the_uid(tmp_path, monkeypatch):
    import tui_app.library as library

    path = _save(tmp_path, "Anyone")
    monkeypatch.setitem(__import__("sys").modules, "pwd", None)  # as on Windows
    library._login_name.cache_clear()
    try:
        assert owner(path) == str(path.stat().st_uid)
    finally:
        library._login_name.cache_clear()
    assert owner(tmp_path / "gone.toml") == "?"


def test_an_unreadable_shared_folder_is_a_warning(team, monkeypatch):
    _save(team, "Hidden")
    real = os.scandir

    def scandir(path="."):
        if os.fspath(path) == str(team):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(type(team), "iterdir", lambda self: scandir(self))
    library = list_library()
    assert library.entries == []
    [warning] = library.warnings
    assert str(team) in warning and "cannot be read (Permission denied)" in warning


def test_a_shared_path_that_is_a_file_is_a_warning(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("STARTJOB_TEMPLATE_PATH", str(tmp_path / "file"))
    assert "is not a folder" in list_library().warnings[0]
