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
    LABEL_WIDTH,
    MAX_CHILDREN,
    MAX_DEPTH,
    MAX_MATCHES,
    MAX_SAMPLE_BYTES,
    Preview,
    SampleError,
    Tally,
    filtered_tree,
    has_path,
    load_sample,
    pasted_source,
    preview,
    suggest,
    survey,
    tree_level,
    walk,
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


def paths(sample) -> list:
    return [e.path for e in walk(sample)]


def test_every_path_of_nested_objects_and_lists_in_document_order():
    found = [(e.path, e.json_type, e.depth) for e in walk(EVENT)]
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
    assert survey(EVENT) == Tally(paths=14) and survey(EVENT).note() == ""


def test_each_listed_path_is_what_lookup_finds_and_a_template_takes():
    for entry in walk(EVENT):
        assert lookup(EVENT, entry.path) == entry.value
        assert has_path(EVENT, entry.path)
        text = (f'{HEAD}[signature]\nA = "System.Object"\n'
                f'[bindings]\nA = {json.dumps(entry.path)}\n')
        assert parse_template(text, "t.toml").bindings == {"A": entry.path}
    assert not has_path(EVENT, "items.2") and not has_path(None, "items")


@pytest.mark.parametrize("key", ["a.b", "", "with space", "tab\there", "esc\x1b[31m",
                                 "line\nbreak", "bidi\u202eevil", 'quote"'])
def test_keys_a_binding_path_cannot_name_are_left_out_and_counted(key):
    """``lookup`` splits a path at every dot, so a key holding one is unreachable (``a.b``
    would look for ``{"a": {"b": ...}}``); a binding path holds only letters, digits and
    ``_ $ @ -``, so keys with other characters are left out too, with their subtrees: the
    tree never shows them, it counts them."""
    sample = {key: {"inner": 1}, "ok": 2}
    assert paths(sample) == ["ok"]
    tally = survey(sample)
    assert tally.unreachable == 1 and tally.paths == 1
    assert "1 key(s)" in tally.note() and "cannot" in tally.note()
    level = tree_level(sample)
    assert [e.path for e in level] == ["ok"] and level.unreachable == 1
    assert level.notes() == ["… 1 key(s) a binding path cannot name"]
    assert filtered_tree(sample, "") == {"": [e for e in level]}


def test_a_dotted_key_never_shadows_the_nested_path():
    sample = {"a.b": "flat", "a": {"b": "nested"}}
    assert paths(sample) == ["a", "a.b"]
    assert list(walk(sample))[1].value == "nested" == lookup(sample, "a.b")


def test_unicode_letters_and_path_punctuation_are_kept():
    sample = {"café": 1, "$type": 2, "@odata-id": 3}
    assert paths(sample) == ["café", "$type", "@odata-id"]


def test_paths_deeper_than_max_depth_are_left_out_and_said():
    sample: dict = {}
    node = sample
    for _ in range(MAX_DEPTH + 3):
        node["d"] = {}
        node = node["d"]
    node["leaf"] = 1
    entries = list(walk(sample))
    assert max(e.depth for e in entries) == MAX_DEPTH and survey(sample).deep
    assert f"deeper than {MAX_DEPTH} parts" in survey(sample).note()
    deepest = entries[-1]
    assert deepest.depth == MAX_DEPTH and not deepest.openable  # the tree stops there too


def test_an_empty_container_is_a_path_and_not_openable():
    found = list(walk({"empty": {}, "none": []}))
    assert [(e.path, e.json_type, e.openable) for e in found] == [
        ("empty", "object", False), ("none", "array", False)]
    assert [e.label for e in found] == ["empty: {}", "none: []"]
    assert not survey({"empty": {}}).deep


# -- the tree ------------------------------------------------------------------------------


def test_a_level_is_a_nodes_children_with_labels_and_list_items_as_indexes():
    top = tree_level(EVENT)
    assert [(e.path, e.label, e.openable) for e in top] == [
        ("incident", "incident: {5 keys}", True),
        ("items", "items: [2 items]", True),
        ("0", '0: "a key that looks like an index"', False),
    ]
    items = tree_level(top[1].value, top[1].path, top[1].depth)
    assert [(e.path, e.key, e.label, e.depth) for e in items] == [
        ("items.0", "[0]", "[0]: {1 key}", 2), ("items.1", "[1]", "[1]: {1 key}", 2)]
    inner = tree_level(items[1].value, items[1].path, items[1].depth)
    assert [(e.path, e.label) for e in inner] == [("items.1.id", "id: 8")]
    assert lookup(EVENT, inner[0].path) == 8
    incident = tree_level(top[0].value, "incident", 1)
    assert [e.label for e in incident] == [
        'number: "INC0099"', "priority: 2", "closed: false", "notes: null", "tags: [2 items]"]
    assert tree_level("a leaf") == [] and tree_level(EVENT).notes() == []


def test_a_level_shows_at_most_max_children_and_counts_the_rest():
    sample = {"rows": list(range(MAX_CHILDREN + 55)), **{f"k{i}": i for i in range(300)}}
    rows = tree_level(sample["rows"], "rows", 1)
    assert len(rows) == MAX_CHILDREN and rows[-1].path == f"rows.{MAX_CHILDREN - 1}"
    assert rows.more == 55 and rows.notes() == ["… 55 more"]
    top = tree_level(sample)
    assert len(top) == MAX_CHILDREN and top.more == 101


def test_a_five_megabyte_sample_is_built_a_level_at_a_time():
    """A level's size is bounded whatever the sample's size: a node's children are built
    only when it is opened (no timing here: the size of what is built is the measure)."""
    text = json.dumps({"rows": [{"id": f"R{i}", "text": "x" * 60} for i in range(54_000)]})
    assert MAX_SAMPLE_BYTES - 500_000 < len(text) < MAX_SAMPLE_BYTES
    sample = load_sample(text)
    top = tree_level(sample)
    assert [e.label for e in top] == ["rows: [54,000 items]"]
    rows = tree_level(sample["rows"], "rows", 1)
    assert len(rows) == MAX_CHILDREN and rows.more == 54_000 - MAX_CHILDREN


def test_labels_are_shortened_and_hostile_values_made_visible():
    sample = {"long": "y" * 10_000, "evil": "\x1b]0;title\x07\u202e\nnext", "n": Decimal("1.50")}
    long, evil, number = tree_level(sample)
    assert len(long.label) == LABEL_WIDTH and long.label.endswith("…")
    assert long.label.startswith('long: "yyy')
    assert "\x1b" not in evil.label and "\u202e" not in evil.label and "\n" not in evil.label
    assert evil.label.isprintable() and evil.value == sample["evil"]  # the value is kept
    assert number.label == "n: 1.50"


def test_the_filter_keeps_the_paths_containing_the_text_with_their_ancestors():
    found = filtered_tree(EVENT, "ID")  # any case
    assert {parent: [e.path for e in level] for parent, level in found.items()} == {
        "": ["incident", "items"],  # "incident" holds "id" itself
        "incident": ["incident.number", "incident.priority", "incident.closed",
                     "incident.notes", "incident.tags"],
        "incident.tags": ["incident.tags.0", "incident.tags.1"],
        "items": ["items.0", "items.1"],  # ancestors of items.0.id and items.1.id
        "items.0": ["items.0.id"],
        "items.1": ["items.1.id"],
    }
    assert found.first == "incident" and found.matches == 10 and not found.cut
    only = filtered_tree(EVENT, "1.i")
    assert {p: [e.path for e in level] for p, level in only.items()} == {
        "": ["items"], "items": ["items.1"], "items.1": ["items.1.id"]}
    assert only.first == "items.1.id" and only.matches == 1
    assert filtered_tree(EVENT, "nowhere") == {} and not filtered_tree(EVENT, "x").first


def test_the_filter_shows_at_most_max_matches():
    sample = {"rows": [{"id": i} for i in range(MAX_MATCHES + 1)]}
    found = filtered_tree(sample, "id")
    assert found.cut and found.matches == MAX_MATCHES
    assert len(found["rows"]) == MAX_MATCHES  # past MAX_CHILDREN: found by the filter
    assert not filtered_tree({"rows": sample["rows"][:MAX_MATCHES]}, "id").cut


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


def test_a_pasted_sample_over_five_megabytes_is_refused():
    text = json.dumps({"a": "x" * MAX_SAMPLE_BYTES})
    with pytest.raises(SampleError, match="over 5,000,000 bytes"):
        load_sample(text)


def test_one_line_naming_a_file_is_that_file_and_anything_else_is_text(tmp_path):
    path = tmp_path / "event.json"
    path.write_text("{}")
    assert pasted_source(f"  {path}\n") == path
    for text in ('{"a": 1}', str(tmp_path / "missing.json"), str(tmp_path),
                 f"{path}\n{path}", "x" * 5000, "a\x00b"):
        assert pasted_source(text) == text


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
    paths = {"incident": {"Number": 1, "id": 2}, "items": [{"id": 3}]}
    assert suggest(["number", "ID", "Vendor"], paths) == {
        "number": "incident.Number", "ID": "incident.id"}


def test_suggest_never_guesses_from_a_part_of_a_name():
    paths = {"incident": {"number": 1}}
    assert suggest(["IncidentNumber", "incident_number"], paths) == {}


def test_the_module_imports_no_textual():
    assert "textual" not in Path(bindings.__file__).read_text()
    assert lookup({}, "x") is _MISSING
