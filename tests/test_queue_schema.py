"""queue_schema: content fields from a queue's JSON schema, precise messages, typed values."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tui_app.arguments import ArgumentValueError, Kind
from tui_app.queue_schema import (
    SchemaError,
    check_content,
    content_fields,
    schema_signature,
    typed_value,
)

EVERY_TYPE = json.dumps({
    "type": "object",
    "required": ["Name", "Address"],
    "properties": {
        "Name": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[A-Z]",
                 "description": "Customer name"},
        "Count": {"type": "integer", "minimum": 1, "maximum": 10},
        "Amount": {"type": "number", "exclusiveMinimum": 0},
        "Paid": {"type": "boolean"},
        "When": {"type": "string", "format": "date-time"},
        "Day": {"type": "string", "format": "date"},
        "Kind": {"type": "string", "enum": ["A", "B"]},
        "Note": {"type": ["string", "null"]},
        "Address": {"type": "object", "required": ["City"],
                    "properties": {"City": {"type": "string"}, "Zip": {"type": "integer"}}},
        "Tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
        "Lines": {"type": "array", "items": {"type": "object", "required": ["Qty"],
                                             "properties": {"Qty": {"type": "integer"}}}},
        "Any": {},
    },
})


def test_fields_map_schema_types_to_argument_types():
    fields = {f.name: f for f in content_fields(EVERY_TYPE)}
    types = {name: f.spec.full_type for name, f in fields.items()}
    assert types == {
        "Name": "System.String", "Count": "System.Int64", "Amount": "System.Decimal",
        "Paid": "System.Boolean", "When": "System.DateTimeOffset", "Day": "System.DateTime",
        "Kind": "System.String", "Note": "System.String",
        "Address": "Newtonsoft.Json.Linq.JObject", "Tags": "System.String[]",
        "Lines": "Newtonsoft.Json.Linq.JArray", "Any": "System.Object"}
    assert fields["Name"].required and fields["Name"].spec.required
    assert not fields["Count"].required
    assert fields["Kind"].choices == ("A", "B")
    assert fields["Name"].description == "Customer name"
    assert fields["Tags"].spec.kind is Kind.TEXT_LIST


def test_no_schema_means_no_fields_and_no_problems():
    assert content_fields(None) == [] and content_fields("  ") == []
    assert check_content(None, {"x": 1}) == {}


@pytest.mark.parametrize(("text", "fragment"), [
    ("{not json", "not valid JSON"),
    ("[1]", "must be a JSON object"),
    ('{"type": "array"}', "does not describe an object"),
    ('{"type": "object", "properties": {"a": {"type": "date"}}}', 'unknown type "date"'),
    ('{"type": "object", "properties": {"a": {"$ref": "#/x"}}}', "uses $ref"),
    ('{"type": "object", "required": "a"}', '"required" list'),
])
def test_unreadable_schemas_say_why(text, fragment):
    with pytest.raises(SchemaError, match=None) as caught:
        content_fields(text)
    assert fragment in str(caught.value)


VALID = {"Name": "Ada", "Count": 3, "Amount": Decimal("1.5"), "Paid": True,
         "When": "2024-05-01T09:00:00+02:00", "Day": "2024-05-01", "Kind": "A", "Note": None,
         "Address": {"City": "Paris", "Zip": 75001}, "Tags": ["a"], "Lines": [{"Qty": 1}],
         "Any": [1, {"x": None}]}


def test_valid_content_has_no_problems():
    assert check_content(EVERY_TYPE, VALID) == {}


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"Name": None}, "Name", "is required"),
    ({"Name": "A"}, "Name", "is too short: 1 character, at least 2"),
    ({"Name": "Abcdef"}, "Name", "is too long: 6 characters, at most 5"),
    ({"Name": "ada"}, "Name", '"ada" does not match the pattern "^[A-Z]"'),
    ({"Count": "3"}, "Count", 'expected a whole number, got the text "3"'),
    ({"Count": 0}, "Count", '"0" is below the minimum 1'),
    ({"Count": 11}, "Count", '"11" is above the maximum 10'),
    ({"Amount": 0}, "Amount", '"0" is not above 0'),
    ({"Paid": "yes"}, "Paid", 'expected true or false, got the text "yes"'),
    ({"When": "2024-05-01T09:00"}, "When", "needs a time zone"),
    ({"Day": "2024-02-30"}, "Day", "is not a date — use YYYY-MM-DD"),
    ({"Kind": "C"}, "Kind", 'must be one of "A", "B", not "C"'),
    ({"Address": {"Zip": 1}}, "Address.City", "is required"),
    ({"Address": {"City": "P", "Zip": "x"}}, "Address.Zip", "expected a whole number"),
    ({"Tags": ["a", 2]}, "Tags", "item 2: expected text, got the number 2"),
    ({"Tags": ["a", "b", "c"]}, "Tags", "has 3 items, at most 2 allowed"),
    ({"Lines": [{"Qty": 1}, {}]}, "Lines", "item 2: Qty is required"),
])
def test_every_validation_message(change, field, message):
    content = {**VALID, **change}
    if change.get("Name", "") is None:
        del content["Name"]
    problems = check_content(EVERY_TYPE, content)
    assert field in problems, problems
    assert message in problems[field]


def test_a_date_field_sends_the_date_alone():
    day = {f.name: f for f in content_fields(EVERY_TYPE)}["Day"]
    assert day.parse("2024-05-01") == "2024-05-01"
    assert day.convert("2024-05-01T00:00:00") == "2024-05-01"
    with pytest.raises(ArgumentValueError, match="has a time of day"):
        day.parse("2024-05-01T09:30")


def test_schema_signature_records_type_format_and_required():
    signature = schema_signature(EVERY_TYPE)
    assert signature["Name"] == "string, required"
    assert signature["When"] == "string (date-time)"
    assert signature["Address"] == "object, required"
    assert signature["Any"] == "any"


@pytest.mark.parametrize(("kind", "text", "value"), [
    ("text", " 12 ", " 12 "), ("number", "12", 12), ("number", "12.50", Decimal("12.50")),
    ("boolean", "yes", True), ("json", '{"a": [1]}', {"a": [1]}),
])
def test_typed_values(kind, text, value):
    assert typed_value(kind, text) == value


@pytest.mark.parametrize(("kind", "text", "fragment"), [
    ("number", "12,5", "use a dot"), ("boolean", "maybe", "is not true or false"),
    ("json", "{", "not valid JSON"), ("date", "x", "unknown value kind"),
])
def test_typed_value_errors_are_sentences(kind, text, fragment):
    with pytest.raises(ValueError) as caught:
        typed_value(kind, text)
    assert fragment in str(caught.value)
