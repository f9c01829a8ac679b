"""The production guard's rules (``tui_app.guard``) and its keys in profiles and templates."""

from __future__ import annotations

import json

import pytest
from support import TRIAGE_TEMPLATE

from tui_app.guard import GuardKeys, decide, folder_protected, planned_jobs
from tui_app.orchestrator.models import Folder
from tui_app.profiles import Profile, ProfileError, load_profiles, parse_profiles, save_profile
from tui_app.templates import TemplateError, dump_template, parse_template

URL = "https://cloud.uipath.com/acme/Production/orchestrator_"


def folder(path: str, fid: int = 1) -> Folder:
    return Folder(id=fid, key=f"k{fid}", display_name=path.rsplit("/", 1)[-1],
                  fully_qualified_name=path)


def profile(**keys) -> Profile:
    return Profile(name="prod", url=URL, **keys)


# -- the rules --------------------------------------------------------------------------------


def test_nothing_set_needs_nothing_and_shows_nothing():
    guard = decide(profile=profile(), folder=folder("Production"), what="P", jobs=500)
    assert not guard.applies and not guard.needs_confirmation and guard.banner() == ""


def test_a_protected_profile_protects_every_folder_and_names_the_word():
    guard = decide(profile=profile(protected=True), folder=folder("Shared/Support"),
                   what="SupportTriage", jobs=1)
    assert guard.protected and guard.reasons == ("profile prod",)
    assert guard.word == "Support" and guard.word_kind == "folder"
    assert guard.banner() == ("PROTECTED: profile prod — every start needs a typed "
                              "confirmation")
    assert "Type the folder name (Support)" in guard.prompt()


@pytest.mark.parametrize("path, protected", [
    ("Production", True), ("production", True), ("Production/Nightly", True),
    ("Finance/Payroll", True), ("FINANCE/payroll", True), ("Finance", False),
    ("Productions", False), ("Finance/PayrollArchive", False),
])
def test_protected_folders_match_the_path_or_name_in_any_case_and_subfolders(path, protected):
    keys = profile(protected_folders=("Production", "Finance/Payroll"))
    guard = decide(profile=keys, folder=folder(path), what="P", jobs=1)
    assert guard.protected is protected
    if protected:
        assert guard.reasons[0].startswith("folder ") and "in profile prod" in guard.reasons[0]


def test_a_folder_display_name_matches_too():
    assert folder_protected(["Payroll"], folder("Finance/Payroll")) == "Payroll"
    assert folder_protected(["Payroll"], None) is None


def test_a_protected_template_protects_and_both_reasons_are_named():
    template = GuardKeys("Payroll run", protected=True)
    guard = decide(profile=profile(protected=True), template=template,
                   folder=folder("Finance"), what="Payroll", jobs=1)
    assert guard.reasons == ("profile prod", "template Payroll run")
    assert guard.protected_by == "profile prod; template Payroll run"


def test_without_a_folder_the_word_is_the_process_or_the_queue():
    assert decide(template=GuardKeys("T", protected=True), what="SupportTriage").word \
        == "SupportTriage"
    queue = decide(template=GuardKeys("T", protected=True), what="InvoiceIntake", item=True)
    assert queue.word == "InvoiceIntake" and queue.word_kind == "queue"
    in_folder = decide(template=GuardKeys("T", protected=True), folder=folder("Finance"),
                       what="InvoiceIntake", item=True)
    assert in_folder.word == "Finance"  # a queue item in a folder: the folder's name


def test_the_word_is_exact_and_case_sensitive():
    guard = decide(profile=profile(protected=True), folder=folder("Production"), what="P")
    assert guard.accepts("Production") and guard.accepts("  Production ")
    assert not guard.accepts("production") and not guard.accepts("Prod") \
        and not guard.accepts("")


def test_the_cap_counts_jobs_and_the_smaller_cap_wins():
    both = dict(profile=profile(max_jobs=10), template=GuardKeys("T", max_jobs=3))
    guard = decide(**both, folder=folder("Default"), what="P", jobs=4)
    assert guard.cap == 3 and guard.cap_source == "template T" and guard.over_cap
    assert not guard.protected and guard.needs_confirmation
    assert guard.cap_sentence() == "4 jobs, more than the cap of 3 jobs per start (template T)"
    assert not decide(**both, what="P", jobs=3).over_cap
    profile_wins = decide(profile=profile(max_jobs=2), template=GuardKeys("T", max_jobs=3),
                          what="P", jobs=3)
    assert profile_wins.cap == 2 and profile_wins.cap_source == "profile prod"


def test_an_unknown_count_under_a_cap_needs_a_confirmation_and_a_queue_item_no_cap():
    assert decide(profile=profile(max_jobs=5), what="P", jobs=None).over_cap
    item = decide(profile=profile(max_jobs=1), what="Q", jobs=None, item=True)
    assert not item.over_cap and not item.applies


def test_over_the_cap_only_the_terminal_asks_for_the_number():
    guard = decide(profile=profile(max_jobs=2), what="P", jobs=7)
    assert guard.terminal_word() == "7" and guard.accepts("7") and not guard.accepts("yes")
    assert "Type 7 to start 7 jobs (over the cap of 2)" in guard.prompt()
    assert "--yes" in guard.refusal() and "7 jobs, more than the cap of 2" in guard.refusal()


@pytest.mark.parametrize("kind, expected", [
    ("Specific", 2), ("JobsCount", 6), ("ModernJobsCount", 6), ("All", 3)])
def test_planned_jobs(kind, expected):
    assert planned_jobs(kind, robots=2, jobs_count=6, pool=[1, 2, 3]) == expected
    assert planned_jobs("All", pool=None) is None


def test_json_and_summary():
    guard = decide(profile=profile(protected=True, max_jobs=5), folder=folder("Production"),
                   what="P", jobs=2)
    assert guard.to_json("--yes") == {
        "protected": True, "protected_by": ["profile prod"], "word": "Production", "cap": 5,
        "jobs": 2, "over_cap": False, "needs_confirmation": True, "confirmed": "--yes"}
    assert guard.summary_rows() == [
        ("Protected", "profile prod: type 'Production' to start"),
        ("Jobs cap", "at most 5 jobs per start (profile prod)")]


# -- the keys in profiles.toml ----------------------------------------------------------------


def test_profile_guard_keys_round_trip(tmp_path):
    text = (f'[profiles.prod]\nurl = "{URL}"\nprotected = true\n'
            'protected_folders = ["Production", "Finance/Payroll"]\nmax_jobs = 5\n')
    read = parse_profiles(text)["prod"]
    assert (read.protected, read.protected_folders, read.max_jobs) == (
        True, ("Production", "Finance/Payroll"), 5)
    path = tmp_path / "profiles.toml"
    save_profile(read, path=path)
    assert load_profiles(path)["prod"] == read


@pytest.mark.parametrize("line, key", [
    ('protected = "yes"', "protected"),
    ('protected_folders = "Production"', "protected_folders"),
    ('protected_folders = ["Production", ""]', "protected_folders"),
    ("max_jobs = 0", "max_jobs"),
    ("max_jobs = 2.5", "max_jobs"),
    ("max_jobs = true", "max_jobs"),
])
def test_a_wrong_profile_guard_key_names_file_profile_and_key(line, key):
    with pytest.raises(ProfileError) as caught:
        parse_profiles(f'[profiles.prod]\nurl = "{URL}"\n{line}\n', "/x/profiles.toml")
    assert str(caught.value).startswith(f"/x/profiles.toml: profile 'prod', key '{key}': ")


def test_saving_a_profile_over_a_guarded_one_keeps_its_guard_keys(tmp_path):
    path = tmp_path / "profiles.toml"
    save_profile(profile(protected=True, protected_folders=("Production",), max_jobs=4),
                 path=path)
    save_profile(Profile(name="prod", url=URL, client_id="new"), path=path)  # the wizard's F3
    saved = load_profiles(path)["prod"]
    assert saved.client_id == "new"
    assert (saved.protected, saved.protected_folders, saved.max_jobs) == (
        True, ("Production",), 4)


# -- the keys in templates --------------------------------------------------------------------


def test_template_guard_keys_round_trip():
    template = parse_template("protected = true\nmax_jobs = 3\n" + TRIAGE_TEMPLATE)
    assert template.protected and template.max_jobs == 3
    again = parse_template(dump_template(template))
    assert again.protected and again.max_jobs == 3
    assert not parse_template(TRIAGE_TEMPLATE).protected  # absent: not protected


@pytest.mark.parametrize("line, message", [
    ('protected = "yes"', 'protected must be true or false, got "yes"'),
    ("max_jobs = 0", "max_jobs must be a whole number from 1 to 10000, got 0"),
    ('max_jobs = "5"', 'max_jobs must be a whole number from 1 to 10000, got "5"'),
])
def test_a_wrong_template_guard_key_is_named(line, message):
    with pytest.raises(TemplateError, match=message) as caught:
        parse_template(line + "\n" + TRIAGE_TEMPLATE, "t.toml")
    assert caught.value.key == line.split()[0]


def test_a_queue_template_takes_protected_but_not_max_jobs():
    queue = ('version = 1\nname = "Q"\naction = "add_queue_item"\n{top}\n'
             '[queue]\nname = "InvoiceIntake"\n\n[item]\n')
    assert parse_template(queue.format(top="protected = true")).protected
    with pytest.raises(TemplateError, match="max_jobs does not apply to a queue template"):
        parse_template(queue.format(top="max_jobs = 2"))


def test_templates_json_shows_the_guard_keys(capsys):
    from tui_app.cli import main
    from tui_app.locations import templates_dir

    templates_dir().mkdir(parents=True, exist_ok=True)
    (templates_dir() / "t.toml").write_text("protected = true\nmax_jobs = 2\n" + TRIAGE_TEMPLATE,
                                            encoding="utf-8")
    assert main(["templates", "--output", "json"]) == 0
    entry = json.loads(capsys.readouterr().out)["templates"][0]
    assert entry["protected"] is True and entry["max_jobs"] == 2
