"""Authoring bindings from a sample event (``tui_app.bindings``): the paths a binding can
name (the syntax of ``replay.lookup``), the sample's limits, the preview's conversions (as a
replay converts) and the suggestions."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tui_app import bindings
from tui_app.arguments import ArgumentSpec
from tui_app.bindings import (
    MAX_DEPTH,
    MAX_PATHS,
    MAX_SAMPLE_BYTES,
    Preview,
    SampleError,
    event_paths,
    load_sample,
    preview,
    suggest,
)
from tui_app.queue_schema import content_fields
from tui_app.replay import _MISSING, collect_arguments, lookup
from tui_app.templates import parse_template

HEAD = ('version = 1\nname = "t"\n[process]\nkey = "P"\n'
        '[strategy]\nkind = "JobsCount"\njobs_count = 1\n')
EVENT = {
    "incident": {"number": "INC0099", "priority": 2, "closed": False, "notes": None,
                 "tags": ["a", "b"]},
    "items": [{"id": 7}, {"id": 8}],
    "0": "a key that looks like an index",
}


def test_every_path_of_nested_objects_and_lists_in_document_order():
    found = [(e.path, e.json_type, e.depth) for e in event_paths(EVENT)]
    assert found == [
        ("incident", "object", 1),
        ("incident.number", "string", 2),
        ("incident.priority", "number", 2),
        ("incident.closed", "boolean", 2),
        ("incident.notes", "null", 2),
        ("incident.tags", "array", 2),
        ("incident.tags.0", "string", 3),
        ("incident.tags.1", "string", 3),
        ("items", "array", 1),
        ("items.0", "object", 2),
        ("items.0.id", "number", 3),
        ("items.1", "object", 2),
        ("items.1.id", "number", 3),
        ("0", "string", 1),
    ]
    assert event_paths(EVENT).note() == ""


def test_each_listed_path_is_what_lookup_finds_and_a_template_takes():
    for entry in event_paths(EVENT):
        assert lookup(EVENT, entry.path) == entry.value
        text = (f'{HEAD}[signature]\nA = "System.Object"\n'
                f'[bindings]\nA = {json.dumps(entry.path)}\n')
        assert parse_template(text, "t.toml").bindings == {"A": entry.path}


@pytest.mark.parametrize("key", ["a.b", "", "with space", "tab\there", "esc\x1b[31m",
                                 "bidi\u202eevil", 'quote"'])
def test_keys_a_binding_path_cannot_name_are_left_out_and_counted(key):
    """``lookup`` splits a path at every dot, so a key holding one is unreachable (``a.b``
    would look for ``{"a": {"b": ...}}``); a binding path holds only letters, digits and
    ``_ $ @ -``, so keys with other characters are left out too, with their subtrees."""
    sample = {key: {"inner": 1}, "ok": 2}
    found = event_paths(sample)
    assert [e.path for e in found] == ["ok"]
    assert found.unreachable == 1
    assert "1 key(s)" in found.note() and "cannot" in found.note()


def test_a_dotted_key_never_shadows_the_nested_path():
    sample = {"a.b": "flat", "a": {"b": "nested"}}
    assert [e.path for e in event_paths(sample)] == ["a", "a.b"]
    assert event_paths(sample)[1].value == "nested" == lookup(sample, "a.b")


def test_unicode_letters_and_path_punctuation_are_kept():
    sample = {"café": 1, "$type": 2, "@odata-id": 3}
    assert [e.path for e in event_paths(sample)] == ["café", "$type", "@odata-id"]


def test_at_most_max_paths_are_listed_and_the_cut_is_said():
    sample = {f"k{i}": i for i in range(MAX_PATHS + 5)}
    found = event_paths(sample)
    assert len(found) == MAX_PATHS and found.cut
    assert f"first {MAX_PATHS} paths" in found.note()


def test_paths_deeper_than_max_depth_are_cut_and_said():
    sample: dict = {}
    node = sample
    for _ in range(MAX_DEPTH + 3):
        node["d"] = {}
        node = node["d"]
    node["leaf"] = 1
    found = event_paths(sample)
    assert max(e.depth for e in found) == MAX_DEPTH and found.cut
    assert f"at most {MAX_DEPTH} deep" in found.note()


def test_an_empty_container_is_a_path_and_not_a_cut():
    found = event_paths({"empty": {}, "none": []})
    assert [(e.path, e.json_type) for e in found] == [("empty", "object"), ("none", "array")]
    assert not found.cut


# -- the sample ---------------------------------------------------------------------------


def test_pasted_sample_is_parsed_with_decimals_and_repeated_keys_keep_the_last():
    assert load_sample('{"a": 1.50, "a": 2.25}') == {"a": Decimal("2.25")}


@pytest.mark.parametrize("text, said", [
    ("", "is empty"),
    ("   \n", "is empty"),
    ("{not json", "is not valid JSON: line 1, column 2"),
    ("[1, 2]", "must be a JSON object ({...}), not a list"),
    ('"text"', "not a single value"),
    ("NaN", "is not valid JSON"),
])
def test_a_pasted_sample_that_cannot_be_used_says_why_in_one_line(text, said):
    with pytest.raises(SampleError) as caught:
        load_sample(text)
    assert said in str(caught.value) and "\n" not in str(caught.value)


def test_a_pasted_sample_over_one_megabyte_is_refused():
    text = json.dumps({"a": "x" * MAX_SAMPLE_BYTES})
    with pytest.raises(SampleError, match="over 1,000,000 bytes"):
        load_sample(text)


def test_a_sample_file_is_read(tmp_path):
    path = tmp_path / "event.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(EVENT).encode())  # a BOM is fine
    assert load_sample(path) == EVENT


@pytest.mark.parametrize("make, said", [
    (lambda d: d / "missing.json", "cannot be read"),
    (lambda d: d, "is not a regular file"),
    (lambda d: _write(d / "big.json", b'{"a": "' + b"x" * MAX_SAMPLE_BYTES + b'"}'),
     "larger than"),
    (lambda d: _write(d / "latin.json", b'{"a": "\xe9"}'), "is not UTF-8 text"),
    (lambda d: _write(d / "list.json", b"[]"), "must be a JSON object"),
])
def test_a_sample_file_that_cannot_be_used_says_why(tmp_path, make, said):
    path = make(tmp_path)
    with pytest.raises(SampleError) as caught:
        load_sample(path)
    assert said in str(caught.value) and str(path) in str(caught.value)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# -- the preview --------------------------------------------------------------------------

SPECS = [
    ArgumentSpec("IncidentId", "System.String", required=True),
    ArgumentSpec("Priority", "System.Int32"),
    ArgumentSpec("Closed", "System.Boolean"),
    ArgumentSpec("Payload", "System.Object"),
    ArgumentSpec("Tags", "System.String[]"),
]


def test_preview_converts_as_a_replay_converts():
    sample = {"n": "INC1", "p": "12", "c": "true", "o": "plain text", "t": ["a", "b"]}
    chosen = {"IncidentId": "n", "Priority": "p", "Closed": "c", "Payload": "o", "Tags": "t"}
    found = preview(chosen, sample, SPECS)
    assert found == {
        "IncidentId": Preview('"INC1"'),
        "Priority": Preview("12"),  # "12" works for a number, as in a replay
        "Closed": Preview("true"),
        "Payload": Preview('"plain text"'),  # a string for a raw-JSON argument is that string
        "Tags": Preview('["a","b"]'),
    }


def test_preview_is_exactly_what_the_replay_collects():
    """The same conversion: ``collect_arguments`` with the bindings gives the previewed
    values."""
    sample = {"n": 42, "p": Decimal("7.0"), "o": {"k": [1, None]}}
    chosen = {"IncidentId": "n", "Priority": "p", "Payload": "o"}
    template = parse_template(
        f'{HEAD}[signature]\n'
        + "".join(f'{s.name} = "{s.full_type}"\n' for s in SPECS)
        + "[bindings]\n" + "".join(f'{k} = "{v}"\n' for k, v in chosen.items()), "t.toml")
    collected = collect_arguments(template, SPECS, {}, {}, sample, {})
    from tui_app.arguments.jsontext import dumps

    found = preview(chosen, sample, SPECS)
    assert {k: Preview(dumps(v)) for k, v in collected.values.items()} == {
        k: v for k, v in found.items() if not v.problem}
    # 42 is not text, 7.0 not a whole number: problems in both, in the same words.
    assert set(collected.problems) == {k for k, v in found.items() if v.problem} == {
        "IncidentId", "Priority"}
    for name, problem in collected.problems.items():
        assert found[name].text in problem


def test_preview_names_the_problem_in_words():
    sample = {"p": "high", "c": "maybe", "n": None}
    found = preview({"Priority": "p", "Closed": "c", "IncidentId": "x.y"}, sample, SPECS)
    assert found["IncidentId"] == Preview('the event has no value at "x.y"', True)
    assert found["Priority"].problem and "not a whole number" in found["Priority"].text
    assert found["Closed"].problem and "true or false" in found["Closed"].text
    assert not found["IncidentId"].text.startswith("IncidentId")  # the name is shown apart


def test_an_index_past_the_end_of_a_list_is_no_value():
    found = preview({"IncidentId": "items.5.id"}, EVENT, SPECS)
    assert found["IncidentId"] == Preview('the event has no value at "items.5.id"', True)


def test_unbound_names_have_no_preview():
    assert preview({}, EVENT, SPECS) == {}


SCHEMA = json.dumps({
    "type": "object", "required": ["Amount"],
    "properties": {"Amount": {"type": "number"}, "Count": {"type": "integer"},
                   "Due": {"type": "string", "format": "date"},
                   "Extra": {"type": "object"}},
})


def test_preview_of_queue_content_fields_converts_by_the_schema():
    fields = content_fields(SCHEMA)
    sample = {"a": "12.5", "c": "x", "d": "2024-05-01T00:00:00Z", "e": {"k": 1},
              "late": "2024-05-01T10:00:00Z"}
    found = preview({"Amount": "a", "Count": "c", "Due": "d", "Extra": "e"}, sample, fields)
    assert found["Amount"] == Preview("12.5")
    assert found["Count"].problem and "whole number" in found["Count"].text
    assert found["Due"] == Preview('"2024-05-01"')  # a date field keeps the date alone
    assert found["Extra"] == Preview('{"k":1}')
    late = preview({"Due": "late"}, sample, fields)["Due"]
    assert late.problem and "time of day" in late.text


def test_preview_of_content_without_a_schema_sends_the_value_as_it_is():
    found = preview({"Free": "items"}, EVENT, ["Free"])
    assert found == {"Free": Preview('[{"id":7},{"id":8}]')}


# -- suggestions --------------------------------------------------------------------------


def test_suggest_matches_the_last_part_in_any_case_first_one_wins():
    paths = event_paths({"incident": {"Number": 1, "id": 2}, "items": [{"id": 3}]})
    assert suggest(["number", "ID", "Vendor"], paths) == {
        "number": "incident.Number", "ID": "incident.id"}


def test_suggest_never_guesses_from_a_part_of_a_name():
    paths = event_paths({"incident": {"number": 1}})
    assert suggest(["IncidentNumber", "incident_number"], paths) == {}


def test_the_module_imports_no_textual():
    assert "textual" not in Path(bindings.__file__).read_text()
    assert lookup({}, "x") is _MISSING
