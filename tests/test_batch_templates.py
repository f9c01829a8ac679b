"""The template keys batches and streams read: top-level ``reference``, ``[events] id``,
and the ``filter`` hook (issue 17)."""

from __future__ import annotations

import types

import pytest

from tui_app import batch
from tui_app.replay import ReplayError
from tui_app.templates import TemplateError, dump_template, load_template

JOB = """\
version = 1
name = "Triage"
ask = ["Secret"]
{top}
[process]
key = "SupportTriage"

[strategy]
kind = "JobsCount"
jobs_count = 1

[signature]
IncidentId = "System.String"
Secret = "System.String"
{tables}
"""


def load(tmp_path, text: str):
    path = tmp_path / "t.toml"
    path.write_text(text, encoding="utf-8")
    return load_template(path)


def test_reference_and_event_id_are_read_and_saved_again(tmp_path):
    template = load(tmp_path, JOB.format(top='reference = "INC:{IncidentId}"',
                                         tables='[events]\nid = "incident.id"'))
    assert template.reference == "INC:{IncidentId}" and template.event_id == "incident.id"
    again = load(tmp_path, dump_template(template))
    assert again.reference == template.reference and again.event_id == template.event_id


@pytest.mark.parametrize("top, tables, problem", [
    ('reference = "' + "x" * 129 + '"', "", "at most 128"),
    ('reference = "A:{Secret}"', "", "must not use the ask argument"),
    ('reference = "A:{a b}"', "", "dotted path"),
    ("", '[events]\nid = "not a path!"', "events.id"),
])
def test_bad_reference_keys_are_template_errors(tmp_path, top, tables, problem):
    with pytest.raises(TemplateError, match=problem):
        load(tmp_path, JOB.format(top=top, tables=tables))


def test_a_queue_template_has_no_top_level_reference(tmp_path):
    text = ('version = 1\nname = "Q"\naction = "add_queue_item"\nreference = "x"\n'
            '[queue]\nname = "Notes"\n[item]\n')
    with pytest.raises(TemplateError, match=r"\[item\] reference"):
        load(tmp_path, text)


def test_the_filter_hook_is_none_without_a_filter_and_compiles_one():
    assert batch.template_filter(types.SimpleNamespace(filter=None)) is None
    found = batch.template_filter(types.SimpleNamespace(filter='state == "new"'))
    assert found.matches({"state": "new"}) and not found.matches({"state": "old"})
    with pytest.raises(ReplayError, match="column"):
        batch.template_filter(types.SimpleNamespace(filter="state =="))
