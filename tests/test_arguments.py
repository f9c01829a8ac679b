"""Argument specs, value conversions, process defaults, collect_values, InputArguments."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
import tomli_w

from tui_app.arguments import (
    MAX_INPUT_ARGUMENTS_LENGTH,
    ArgumentError,
    ArgumentsFormatError,
    ArgumentSpec,
    ArgumentValueError,
    InputArgumentsTooLarge,
    Kind,
    build_input_arguments,
    collect_values,
    parse_arguments_input,
    parse_process_defaults,
)

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

NETFX = ", mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089"
CORE = ", System.Private.CoreLib, Version=8.0.0.0, Culture=neutral, PublicKeyToken=7cec85d7bea7798e"


def netfx(name: str) -> str:
    return name + NETFX


def generic(definition: str, *args: str) -> str:
    return definition + "[" + ",".join(f"[{netfx(arg)}]" for arg in args) + "]" + NETFX


def spec(type_name: str, name: str = "X", **flags) -> ArgumentSpec:
    return ArgumentSpec(name, type_name, **flags)


LIST = "System.Collections.Generic.List`1"
DICTIONARY = "System.Collections.Generic.Dictionary`2"
NULLABLE = "System.Nullable`1"

# --------------------------------------------------------------------------- types and kinds

INT32 = (-2147483648, 2147483647)



def _python_json_error(text: str) -> str:
    """Where and why Python's json refuses ``text``: its wording differs between versions
    (3.13 says "Illegal trailing comma" where 3.11 says "Expecting property name")."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
    raise AssertionError(f"{text!r} is valid JSON")

@pytest.mark.parametrize(
    ("type_name", "full_type", "short_type", "kind", "element_kind", "bounds", "multiline"),
    [
        (netfx("System.String"), "System.String", "String", Kind.TEXT, None, None, False),
        ("System.Int32" + CORE, "System.Int32", "Int32", Kind.INTEGER, None, INT32, False),
        (generic(DICTIONARY, "System.String", "System.Object"),
         "System.Collections.Generic.Dictionary<System.String, System.Object>",
         "Dictionary<String, Object>", Kind.DICTIONARY, None, None, True),
        (netfx("System.String[]"), "System.String[]", "String[]", Kind.TEXT_LIST, Kind.TEXT,
         None, True),
        ("System.Data.DataTable, System.Data, Version=4.0.0.0, Culture=neutral, "
         "PublicKeyToken=b77a5c561934e089", "System.Data.DataTable", "DataTable", Kind.DATATABLE,
         None, None, True),
        ("System.Data.DataTable, System.Data.Common, Version=8.0.0.0, Culture=neutral, "
         "PublicKeyToken=b03f5f7f11d50a3a", "System.Data.DataTable", "DataTable", Kind.DATATABLE,
         None, None, True),
        (generic(NULLABLE, "System.Int32"), "System.Nullable<System.Int32>", "Int32?",
         Kind.INTEGER, None, INT32, False),
        (generic(LIST, "System.String"), "System.Collections.Generic.List<System.String>",
         "List<String>", Kind.TEXT_LIST, Kind.TEXT, None, True),
        ("Newtonsoft.Json.Linq.JObject, Newtonsoft.Json, Version=13.0.0.0, Culture=neutral, "
         "PublicKeyToken=30ad4fe6b2a6aeed", "Newtonsoft.Json.Linq.JObject", "JObject",
         Kind.DICTIONARY, None, None, True),
        ("System.String", "System.String", "String", Kind.TEXT, None, None, False),
        ("Acme.Billing.Invoice, Acme.Billing, Version=1.0.0.0, Culture=neutral, "
         "PublicKeyToken=null", "Acme.Billing.Invoice", "Invoice", Kind.JSON, None, None, True),
        (netfx("System.Byte"), "System.Byte", "Byte", Kind.INTEGER, None, (0, 255), False),
        (netfx("System.SByte"), "System.SByte", "SByte", Kind.INTEGER, None, (-128, 127), False),
        (netfx("System.Int16"), "System.Int16", "Int16", Kind.INTEGER, None, (-32768, 32767),
         False),
        (netfx("System.UInt16"), "System.UInt16", "UInt16", Kind.INTEGER, None, (0, 65535), False),
        (netfx("System.UInt32"), "System.UInt32", "UInt32", Kind.INTEGER, None, (0, 4294967295),
         False),
        (netfx("System.Int64"), "System.Int64", "Int64", Kind.INTEGER, None,
         (-9223372036854775808, 9223372036854775807), False),
        (netfx("System.UInt64"), "System.UInt64", "UInt64", Kind.INTEGER, None,
         (0, 18446744073709551615), False),
        (netfx("System.Single"), "System.Single", "Single", Kind.DECIMAL, None, None, False),
        (netfx("System.Double"), "System.Double", "Double", Kind.DECIMAL, None, None, False),
        (netfx("System.Decimal"), "System.Decimal", "Decimal", Kind.DECIMAL, None, None, False),
        (netfx("System.Boolean"), "System.Boolean", "Boolean", Kind.BOOLEAN, None, None, False),
        (netfx("System.Char"), "System.Char", "Char", Kind.TEXT, None, None, False),
        (netfx("System.Guid"), "System.Guid", "Guid", Kind.TEXT, None, None, False),
        (netfx("System.DateTime"), "System.DateTime", "DateTime", Kind.DATETIME, None, None,
         False),
        (netfx("System.DateTimeOffset"), "System.DateTimeOffset", "DateTimeOffset",
         Kind.DATETIME, None, None, False),
        (netfx("System.TimeSpan"), "System.TimeSpan", "TimeSpan", Kind.TIMESPAN, None, None,
         False),
        (netfx("System.Object"), "System.Object", "Object", Kind.JSON, None, None, True),
        (netfx("System.Int32[]"), "System.Int32[]", "Int32[]", Kind.LIST, Kind.INTEGER, None,
         True),
        (generic(LIST, "System.Int32"), "System.Collections.Generic.List<System.Int32>",
         "List<Int32>", Kind.LIST, Kind.INTEGER, None, True),
        (generic("System.Collections.Generic.IEnumerable`1", "System.String"),
         "System.Collections.Generic.IEnumerable<System.String>", "IEnumerable<String>",
         Kind.TEXT_LIST, Kind.TEXT, None, True),
        (netfx("System.Int32[,]"), "System.Int32[,]", "Int32[,]", Kind.LIST, Kind.LIST, None,
         True),
        (netfx("System.DateTime[]"), "System.DateTime[]", "DateTime[]", Kind.LIST,
         Kind.DATETIME, None, True),
        (generic(DICTIONARY, "System.String", "System.String"),
         "System.Collections.Generic.Dictionary<System.String, System.String>",
         "Dictionary<String, String>", Kind.DICTIONARY, None, None, True),
        ("Newtonsoft.Json.Linq.JArray, Newtonsoft.Json", "Newtonsoft.Json.Linq.JArray", "JArray",
         Kind.LIST, Kind.JSON, None, True),
        # Malformed names never crash: raw JSON, the text itself as the name.
        ("System.Collections.Generic.List`1[[System.String, mscorlib",
         "System.Collections.Generic.List`1[[System.String, mscorlib",
         "System.Collections.Generic.List`1[[Syst…", Kind.JSON, None, None, True),
        ("", "", "unknown type", Kind.JSON, None, None, True),
        ("  ,  ", ",", "unknown type", Kind.JSON, None, None, True),
    ],
)
def test_spec_describes_the_type(
    type_name, full_type, short_type, kind, element_kind, bounds, multiline
):
    argument = spec(type_name)
    assert argument.full_type == full_type
    assert argument.short_type == short_type
    assert argument.kind is kind
    assert argument.element_kind is element_kind
    assert (argument.min_value, argument.max_value) == (bounds or (None, None))
    assert argument.multiline is multiline
    assert argument.nullable is short_type.endswith("?")
    assert argument.hint


def test_spec_keeps_the_raw_type_and_flags():
    argument = ArgumentSpec("Amount", netfx("System.Decimal"), required=True, has_default=False)
    assert argument.type_name == netfx("System.Decimal")
    assert (argument.name, argument.required, argument.has_default) == ("Amount", True, False)
    assert argument == ArgumentSpec("Amount", netfx("System.Decimal"), True, False)
    assert argument != ArgumentSpec("Amount", netfx("System.Double"), True, False)
    with pytest.raises(AttributeError):
        argument.kind = Kind.TEXT  # frozen


def test_same_signature_on_every_framework():
    legacy = spec(generic(DICTIONARY, "System.String", "System.Object"))
    modern = spec(
        f"{DICTIONARY}[[System.String{CORE}],[System.Object{CORE}]]{CORE}"
    )
    assert legacy.full_type == modern.full_type
    assert legacy.kind is modern.kind


@pytest.mark.parametrize(
    ("type_name", "hint"),
    [
        (netfx("System.Byte"), "a whole number from 0 to 255"),
        (netfx("System.Boolean"), "true or false"),
        (netfx("System.String[]"), 'one per line, or a JSON list such as ["a", "b"]'),
        (netfx("System.Int32[]"), "one per line, or a JSON list such as [1, 2]"),
        (generic(DICTIONARY, "System.String", "System.Int32"),
         'a JSON object such as {"key": 42}'),
        (netfx("System.DateTimeOffset"),
         "date and time with a time zone, e.g. 2024-05-01T09:00:00+02:00 or 2024-05-01T07:00:00Z"),
    ],
)
def test_hints(type_name, hint):
    assert spec(type_name).hint == hint


# --------------------------------------------------------------------------- Arguments.Input

PRETTY = (
    "[\r\n  {\r\n    \"name\": \"LinkedInUsername\",\r\n    \"type\": \"System.String, mscorlib, "
    "Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089\",\r\n    \"required\": "
    "false,\r\n    \"hasDefault\": true\r\n  },\r\n  {\r\n    \"name\": \"Count\",\r\n    "
    "\"type\": \"System.Int32, mscorlib, Version=4.0.0.0, Culture=neutral, "
    "PublicKeyToken=b77a5c561934e089\",\r\n    \"required\": true,\r\n    \"hasDefault\": false"
    "\r\n  }\r\n]"
)


def test_reads_pretty_printed_arguments_input():
    specs = parse_arguments_input(PRETTY)
    assert [(s.name, s.short_type, s.kind, s.required, s.has_default) for s in specs] == [
        ("LinkedInUsername", "String", Kind.TEXT, False, True),
        ("Count", "Int32", Kind.INTEGER, True, False),
    ]


def test_reads_compact_arguments_input_and_ignores_extra_fields():
    raw = json.dumps([
        {"name": "in_Config", "type": netfx("System.Object"), "required": False,
         "hasDefault": False, "direction": "In", "annotation": None},
        {"name": "in_Tags", "type": generic(LIST, "System.String")},
    ], separators=(",", ":"))
    specs = parse_arguments_input(raw)
    assert [s.name for s in specs] == ["in_Config", "in_Tags"]
    assert specs[1].kind is Kind.TEXT_LIST
    assert (specs[1].required, specs[1].has_default) == (False, False)


@pytest.mark.parametrize("raw", [None, "", "  \r\n", "null", "[]"])
def test_no_arguments(raw):
    assert parse_arguments_input(raw) == []


ENTRY = {"name": "Amount", "type": "System.Decimal"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([{"name": "A"}], "The process's argument list (Arguments.Input) should be JSON text, "
                          "but it is a list"),
        ("[{", "The process's argument list (Arguments.Input) is not valid JSON: line 1, "
               "column 3: Expecting property name enclosed in double quotes"),
        ('{"name": "A"}', "The process's argument list (Arguments.Input) should be a JSON "
                          "list, but it is an object"),
        ('["Amount"]', "Entry 1 of the process's argument list (Arguments.Input) should be an "
                       'object, but it is the text "Amount"'),
        (json.dumps([ENTRY, {"type": "System.String"}]),
         "Entry 2 of the process's argument list (Arguments.Input) has no name"),
        (json.dumps([{"name": 5, "type": "System.String"}]),
         "Entry 1 of the process's argument list (Arguments.Input) has the number 5 as its name"),
        (json.dumps([{"name": " ", "type": "System.String"}]),
         "Entry 1 of the process's argument list (Arguments.Input) has an empty name"),
        (json.dumps([{"name": "Amount"}]),
         'Entry 1 of the process\'s argument list (Arguments.Input) ("Amount") has no type'),
        (json.dumps([{"name": "Amount", "type": ["x"]}]),
         'Entry 1 of the process\'s argument list (Arguments.Input) ("Amount") has a list as '
         "its type"),
        (json.dumps([{**ENTRY, "required": "yes"}]),
         'Entry 1 of the process\'s argument list (Arguments.Input) ("Amount") should have true '
         "or false as 'required', but it is the text \"yes\""),
        (json.dumps([{**ENTRY, "hasDefault": 1}]),
         'Entry 1 of the process\'s argument list (Arguments.Input) ("Amount") should have true '
         "or false as 'hasDefault', but it is the number 1"),
        (json.dumps([ENTRY, {"name": "B", "type": "System.String"}, ENTRY]),
         'The argument "Amount" appears twice in the process\'s argument list '
         "(Arguments.Input): entries 1 and 3"),
    ],
)
def test_bad_arguments_input(raw, message):
    with pytest.raises(ArgumentsFormatError) as raised:
        parse_arguments_input(raw)
    assert str(raised.value) == message
    assert isinstance(raised.value, ArgumentError)


def test_names_differing_only_in_case_are_separate_arguments():
    raw = json.dumps([ENTRY, {**ENTRY, "name": "amount"}])
    assert [s.name for s in parse_arguments_input(raw)] == ["Amount", "amount"]


def test_unknown_type_in_arguments_input_is_raw_json():
    raw = json.dumps([{"name": "Invoice", "type": "Acme.Billing.Invoice, Acme.Billing, "
                       "Version=1.0.0.0, Culture=neutral, PublicKeyToken=null"},
                      {"name": "Broken", "type": "System.Collections.Generic.List`1[["}])
    invoice, broken = parse_arguments_input(raw)
    assert (invoice.kind, broken.kind) == (Kind.JSON, Kind.JSON)
    assert invoice.parse('{"number": 7}') == {"number": 7}


# --------------------------------------------------------------------------- parse: accepted

GUID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"


@pytest.mark.parametrize(
    ("type_name", "text", "value"),
    [
        ("System.String", "  spaced  ", "  spaced  "),
        ("System.String", "[not a list]", "[not a list]"),
        ("System.Char", "x", "x"),
        ("System.Char", " ", " "),
        ("System.Char", "é", "é"),
        ("System.Guid", GUID, GUID),
        ("System.Guid", " {3F2504E0-4F89-41D3-9A0C-0305E82C3301} ", GUID),
        ("System.Guid", "(3F2504E0-4F89-41D3-9A0C-0305E82C3301)", GUID),
        ("System.Guid", "3F2504E04F8941D39A0C0305E82C3301", GUID),
        ("System.Int32", "42", 42),
        ("System.Int32", " -7 ", -7),
        ("System.Int32", "+5", 5),
        ("System.Int32", "-2147483648", -2147483648),
        ("System.Int32", "2147483647", 2147483647),
        ("System.Int32", "0" * 50 + "9", 9),
        ("System.Byte", "255", 255),
        ("System.SByte", "-128", -128),
        ("System.UInt64", "18446744073709551615", 18446744073709551615),
        ("System.Int64", "-9223372036854775808", -9223372036854775808),
        ("System.Decimal", "12.50", Decimal("12.50")),
        ("System.Decimal", "-0.0000001", Decimal("-0.0000001")),
        ("System.Decimal", "79228162514264337593543950335",
         Decimal("79228162514264337593543950335")),
        ("System.Decimal", "0.1000000000000000000000000001",
         Decimal("0.1000000000000000000000000001")),
        ("System.Double", ".5", Decimal("0.5")),
        ("System.Double", "1e300", Decimal("1e300")),
        ("System.Double", "7", Decimal(7)),
        ("System.Single", "-3.4028235E+38", Decimal("-3.4028235E+38")),
        ("System.Boolean", "true", True),
        ("System.Boolean", " YES ", True),
        ("System.Boolean", "1", True),
        ("System.Boolean", "False", False),
        ("System.Boolean", "no", False),
        ("System.Boolean", "0", False),
        ("System.DateTime", "2024-05-01", "2024-05-01T00:00:00"),
        ("System.DateTime", "2024-05-01 09:00", "2024-05-01T09:00:00"),
        ("System.DateTime", "2024-05-01T09:00:30", "2024-05-01T09:00:30"),
        ("System.DateTime", "2024-05-01t09:00:30.1234567z", "2024-05-01T09:00:30.1234567Z"),
        ("System.DateTime", "2024-05-01T09:00:00,5+0200", "2024-05-01T09:00:00.5+02:00"),
        ("System.DateTime", "2024-02-29T23:59:59-05", "2024-02-29T23:59:59-05:00"),
        ("System.DateTimeOffset", "2024-05-01T09:00:00+02:00", "2024-05-01T09:00:00+02:00"),
        ("System.DateTimeOffset", "2024-05-01 09:00 Z", "2024-05-01T09:00:00Z"),
        ("System.DateTimeOffset", "2024-05-01T09:00-14:00", "2024-05-01T09:00:00-14:00"),
        ("System.TimeSpan", "1:30", "01:30:00"),
        ("System.TimeSpan", "01:30:15", "01:30:15"),
        ("System.TimeSpan", "00:00:00.1234567", "00:00:00.1234567"),
        ("System.TimeSpan", "2.00:00", "2.00:00:00"),
        ("System.TimeSpan", "0.23:59:59", "23:59:59"),
        ("System.TimeSpan", "-1.02:03:04", "-1.02:03:04"),
        ("System.TimeSpan", "10675199.02:48:05.4775807", "10675199.02:48:05.4775807"),
        (netfx("System.String[]"), '["a", "b"]', ["a", "b"]),
        (netfx("System.String[]"), "[]", []),
        (netfx("System.String[]"), "alpha\r\n  beta \n\n\tgamma", ["alpha", "beta", "gamma"]),
        (netfx("System.String[]"), '{"not": "json here"}', ['{"not": "json here"}']),
        (netfx("System.String[]"), '  ["x"]', ["x"]),
        (netfx("System.Char[]"), '["a", "b"]', ["a", "b"]),
        (netfx("System.Guid[]"), "{3F2504E0-4F89-41D3-9A0C-0305E82C3301}", [GUID]),
        (generic(LIST, "System.String"), "one", ["one"]),
        (netfx("System.Int32[]"), "[1, -2]", [1, -2]),
        (netfx("System.Int32[]"), "1\n 2 \n", [1, 2]),
        (generic(LIST, "System.Decimal"), "[0.10, 2]", [Decimal("0.10"), Decimal(2)]),
        (generic(LIST, "System.Boolean"), "yes\nno", [True, False]),
        (netfx("System.DateTime[]"), '["2024-05-01"]', ["2024-05-01T00:00:00"]),
        (netfx("System.TimeSpan[]"), "1:00\n2.00:00", ["01:00:00", "2.00:00:00"]),
        (netfx("System.Int32[,]"), "[[1, 2], [3, 4]]", [[1, 2], [3, 4]]),
        (netfx("System.Int32[][]"), "[[1], []]", [[1], []]),
        (generic(LIST, NULLABLE + "[[System.Int32]]"), "[1, null]", [1, None]),
        ("Newtonsoft.Json.Linq.JArray, Newtonsoft.Json", '[1, "a", {"b": null}]',
         [1, "a", {"b": None}]),
        (generic(DICTIONARY, "System.String", "System.Object"),
         '{"a": 1, "b": [true, null], "c": {"d": 1.50}}',
         {"a": 1, "b": [True, None], "c": {"d": Decimal("1.50")}}),
        (generic(DICTIONARY, "System.String", "System.Int32"), '{"a": 1}', {"a": 1}),
        (generic(DICTIONARY, "System.Int32", "System.String"), '{"7": "seven"}', {"7": "seven"}),
        (generic(DICTIONARY, "System.String", "System.DateTime"), '{"due": "2024-05-01"}',
         {"due": "2024-05-01T00:00:00"}),
        (generic(DICTIONARY, "System.String", NULLABLE + "[[System.Int32]]"), '{"a": null}',
         {"a": None}),
        (generic(DICTIONARY, "System.String", "System.String"), "{}", {}),
        ("Newtonsoft.Json.Linq.JObject, Newtonsoft.Json", '{"nested": {"x": [1]}}',
         {"nested": {"x": [1]}}),
        ("System.Data.DataTable, System.Data",
         '[{"Name": "Ada", "Age": 36, "Active": true, "Note": null}, {"Name": "Grace"}]',
         [{"Name": "Ada", "Age": 36, "Active": True, "Note": None}, {"Name": "Grace"}]),
        ("System.Data.DataTable, System.Data", "[]", []),
        ("Acme.Billing.Invoice, Acme.Billing", '"plain text"', "plain text"),
        ("Acme.Billing.Invoice, Acme.Billing", "12.50", Decimal("12.50")),
        ("Acme.Billing.Invoice, Acme.Billing", "null", None),
        (netfx("System.Object"), ' {"id": 1} ', {"id": 1}),
        (generic(NULLABLE, "System.Int32"), "5", 5),
        (generic(NULLABLE, "System.DateTime"), "2024-05-01", "2024-05-01T00:00:00"),
    ],
)
def test_parse_accepts(type_name, text, value):
    parsed = spec(type_name).parse(text)
    assert parsed == value
    assert type(parsed) is type(value)


# --------------------------------------------------------------------------- parse: refused

DATA_TABLE = "System.Data.DataTable, System.Data"


@pytest.mark.parametrize(
    ("name", "type_name", "text", "message"),
    [
        ("Amount", "System.Decimal", "12,5",
         'Amount: "12,5" is not a number — use a dot, e.g. 12.5'),
        ("Amount", "System.Decimal", "1,234.5",
         'Amount: "1,234.5" is not a number — leave out the thousands separators, e.g. 1234.5'),
        ("Amount", "System.Decimal", "twelve", 'Amount: "twelve" is not a number, e.g. 12.5'),
        ("Amount", "System.Double", "NaN", 'Amount: "NaN" is not a number, e.g. 12.5'),
        ("Amount", "System.Double", "1e309",
         "Amount: 1e309 is outside Double (-1.7976931348623157E+308 to 1.7976931348623157E+308)"),
        ("Amount", "System.Single", "-3.5e38",
         "Amount: -3.5e38 is outside Single (-3.4028235E+38 to 3.4028235E+38)"),
        ("Amount", "System.Decimal", "79228162514264337593543950336",
         "Amount: 79228162514264337593543950336 is outside Decimal "
         "(-79228162514264337593543950335 to 79228162514264337593543950335)"),
        ("Count", "System.Int32", "3000000000",
         "Count: 3000000000 is outside Int32 (-2147483648 to 2147483647)"),
        ("Count", "System.Int32", "+3000000000",
         "Count: 3000000000 is outside Int32 (-2147483648 to 2147483647)"),
        ("Count", "System.Byte", "-1", "Count: -1 is outside Byte (0 to 255)"),
        ("Count", "System.UInt64", "18446744073709551616",
         "Count: 18446744073709551616 is outside UInt64 (0 to 18446744073709551615)"),
        ("Count", "System.Int64", "9" * 5000,
         "Count: " + "9" * 39 + "… is outside Int64 (-9223372036854775808 to 9223372036854775807)"),
        ("Count", generic(NULLABLE, "System.Int16"), "40000",
         "Count: 40000 is outside Int16 (-32768 to 32767)"),
        ("Count", "System.Int32", "12.5", 'Count: "12.5" is not a whole number, e.g. 42'),
        ("Count", "System.Int32", "1e3", 'Count: "1e3" is not a whole number, e.g. 42'),
        ("Count", "System.Int32", "٣", 'Count: "٣" is not a whole number, e.g. 42'),
        ("Count", "System.Int32", "1_000", 'Count: "1_000" is not a whole number, e.g. 42'),
        ("Active", "System.Boolean", "maybe",
         'Active: "maybe" is not true or false (yes/no and 1/0 work too)'),
        ("Grade", "System.Char", "AB", 'Grade: "AB" is 2 characters — a Char holds exactly one'),
        ("Grade", "System.Char", "😀",
         'Grade: "😀" does not fit in a Char — emoji and other rare characters take two'),
        ("CaseId", "System.Guid", "not-a-guid",
         f'CaseId: "not-a-guid" is not a GUID, e.g. {GUID}'),
        ("CaseId", "System.Guid", "{" + GUID,
         f'CaseId: "{{{GUID}" is not a GUID, e.g. {GUID}'),
        ("DueOffset", "System.DateTimeOffset", "2024-05-01 09:00",
         'DueOffset: "2024-05-01 09:00" needs a time zone, e.g. 2024-05-01T09:00:00+02:00 or …Z'),
        ("DueOffset", "System.DateTimeOffset", "2024-05-01",
         'DueOffset: "2024-05-01" needs a time zone, e.g. 2024-05-01T00:00:00+02:00 or …Z'),
        ("Due", "System.DateTime", "01/05/2024",
         'Due: "01/05/2024" is not a date and time — use ISO 8601, e.g. 2024-05-01T09:00:00'),
        ("DueOffset", "System.DateTimeOffset", "tomorrow",
         'DueOffset: "tomorrow" is not a date and time — use ISO 8601, '
         "e.g. 2024-05-01T09:00:00+02:00"),
        ("Due", "System.DateTime", "2024-02-30",
         'Due: "2024-02-30" is not a real date and time (day is out of range for month)'),
        ("Due", "System.DateTime", "2024-05-01T09:00:00+14:30",
         'Due: "2024-05-01T09:00:00+14:30" has the offset +14:30; offsets go from -14:00 to '
         "+14:00"),
        ("Due", "System.DateTime", "2024-05-01T09:00:00.12345678",
         'Due: "2024-05-01T09:00:00.12345678" is not a date and time — use ISO 8601, '
         "e.g. 2024-05-01T09:00:00"),
        ("Timeout", "System.TimeSpan", "90 minutes",
         'Timeout: "90 minutes" is not a time span — use [d.]hh:mm[:ss], e.g. 01:30:00, '
         "or 2.00:00:00 for 2 days"),
        ("Timeout", "System.TimeSpan", "25:00",
         'Timeout: "25:00" has more than 23 hours — put the days in front, e.g. 1.01:00:00'),
        ("Timeout", "System.TimeSpan", "1.49:30:15.5",
         'Timeout: "1.49:30:15.5" has more than 23 hours — put the days in front, '
         "e.g. 3.01:30:15.5"),
        ("Timeout", "System.TimeSpan", "10:75",
         'Timeout: "10:75" is not a time span — minutes and seconds go up to 59'),
        ("Timeout", "System.TimeSpan", "10675199.02:48:05.4775808",
         'Timeout: "10675199.02:48:05.4775808" is longer than a TimeSpan can be '
         "(10675199.02:48:05.4775807)"),
        ("Tags", netfx("System.String[]"), '["a", "b"',
         'Tags: expected a JSON list of texts, e.g. ["a", "b"] (line 1, column 10: '
         "Expecting ',' delimiter)"),
        ("Tags", netfx("System.String[]"), "[1 2]",
         'Tags: expected a JSON list of texts, e.g. ["a", "b"] (line 1, column 4: '
         "Expecting ',' delimiter)"),
        ("Tags", netfx("System.String[]"), '["a", 1]',
         'Tags: item 2: expected text, got the number 1 — write it in double quotes: "1"'),
        ("Tags", generic(LIST, "System.String"), '["a", ["b"]]',
         "Tags: item 2: expected text, got a list"),
        ("Tags", netfx("System.String[]"), '["a", null]', "Tags: item 2: expected text, got null"),
        ("Letters", netfx("System.Char[]"), "a\nbc",
         'Letters: line 2: "bc" is 2 characters — a Char holds exactly one'),
        ("Counts", netfx("System.Int32[]"), "1\n\n x ",
         'Counts: line 3: "x" is not a whole number, e.g. 42'),
        ("Counts", netfx("System.Int32[]"), '{"a": 1}',
         'Counts: line 1: "{\\"a\\": 1}" is not a whole number, e.g. 42'),
        ("Counts", netfx("System.Int32[]"), '["1"]',
         'Counts: item 1: expected a whole number, got the text "1"'),
        ("Counts", netfx("System.Int32[]"), "[1.0]",
         "Counts: item 1: expected a whole number, got the number 1.0"),
        ("Counts", netfx("System.Byte[]"), "[1, 256]",
         "Counts: item 2: 256 is outside Byte (0 to 255)"),
        ("Counts", netfx("System.Int32[]"), "[1, null]",
         "Counts: item 2: expected a whole number, got null"),
        ("Counts", netfx("System.Int32[,]"), "[[1], [2, true]]",
         "Counts: item 2: item 2: expected a whole number, got true"),
        ("Counts", netfx("System.Int32[,]"), "1\n2",
         "Counts: expected a JSON list of lists, e.g. [[1, 2]] (line 2, column 1: Extra data)"),
        ("Flags", netfx("System.Boolean[]"), '[true, "no"]',
         'Flags: item 2: expected true or false, got the text "no"'),
        ("Dates", netfx("System.DateTimeOffset[]"), "2024-05-01T09:00Z\n2024-05-01T10:00",
         'Dates: line 2: "2024-05-01T10:00" needs a time zone, e.g. 2024-05-01T10:00:00+02:00 '
         "or …Z"),
        ("Settings", generic(DICTIONARY, "System.String", "System.Object"), '{"a": 1,}',
         "Settings: not valid JSON (" + _python_json_error('{"a": 1,}') + ") — expected a "
         'JSON object, e.g. {"key": "value"}'),
        ("Settings", generic(DICTIONARY, "System.String", "System.Object"), "[1]",
         'Settings: expected a JSON object, e.g. {"key": "value"}, got a list'),
        ("Settings", generic(DICTIONARY, "System.String", "System.Object"), '{"a": 1, "a": 2}',
         'Settings: not valid JSON (the key "a" appears twice in one object) — expected a JSON '
         'object, e.g. {"key": "value"}'),
        ("Settings", generic(DICTIONARY, "System.String", "System.Int32"), '{"retries": "x"}',
         'Settings: "retries": expected a whole number, got the text "x"'),
        ("Settings", generic(DICTIONARY, "System.Int32", "System.String"), '{"one": "1"}',
         'Settings: key "one": "one" is not a whole number, e.g. 42'),
        ("Settings", "Newtonsoft.Json.Linq.JObject, Newtonsoft.Json", '"text"',
         'Settings: expected a JSON object, e.g. {"key": "value"}, got the text "text"'),
        ("Settings", generic(DICTIONARY, "System.String", "System.Object"), '{"a": NaN}',
         'Settings: not valid JSON (NaN is not a JSON number) — expected a JSON object, '
         'e.g. {"key": "value"}'),
        ("Customers", DATA_TABLE, '{"Name": "Ada"}',
         'Customers: expected a JSON list of rows, e.g. [{"Name": "Ada", "Age": 36}], '
         "got an object"),
        ("Customers", DATA_TABLE, '[{"Name": "Ada"}, "Grace"]',
         'Customers: row 2: expected an object of column values such as {"Name": "Ada"}, '
         'got the text "Grace"'),
        ("Customers", DATA_TABLE, '[{"Name": "Ada", "Tags": ["x"]}]',
         'Customers: row 1, column "Tags": a cell holds text, a number, true/false or null, '
         "not a list"),
        ("Customers", DATA_TABLE, "Ada",
         "Customers: not valid JSON (line 1, column 1: Expecting value) — expected a JSON list "
         'of rows, e.g. [{"Name": "Ada", "Age": 36}]'),
        ("Invoice", "Acme.Billing.Invoice, Acme.Billing", "hello",
         "Invoice: not valid JSON (line 1, column 1: Expecting value) — text goes in double "
         'quotes, e.g. "hello"'),
        ("Invoice", "Acme.Billing.Invoice, Acme.Billing", "[" * 100_000,
         "Invoice: not valid JSON (it is nested too deeply) — text goes in double quotes, "
         'e.g. "hello"'),
        ("Invoice", "Acme.Billing.Invoice, Acme.Billing", "1" * 5000,
         "Invoice: not valid JSON (a number has too many digits) — text goes in double quotes, "
         'e.g. "hello"'),
    ],
)
def test_parse_refuses_with_a_clear_message(name, type_name, text, message):
    with pytest.raises(ArgumentValueError) as raised:
        ArgumentSpec(name, type_name).parse(text)
    assert str(raised.value) == message
    assert raised.value.argument == name
    assert message == f"{name}: {raised.value.problem}"


# --------------------------------------------------------------------------- to_text

@pytest.mark.parametrize(
    ("type_name", "value", "text"),
    [
        ("System.String", "  as is\t", "  as is\t"),
        ("System.Int32", -7, "-7"),
        ("System.Decimal", Decimal("12.50"), "12.50"),
        ("System.Decimal", Decimal("1E-7"), "0.0000001"),
        ("System.Double", Decimal("1E+300"), "1E+300"),
        ("System.Boolean", True, "true"),
        ("System.Boolean", False, "false"),
        ("System.DateTime", "2024-05-01T09:00:00", "2024-05-01T09:00:00"),
        ("System.TimeSpan", "1.02:00:00", "1.02:00:00"),
        (netfx("System.String[]"), ["a", "b c"], "a\nb c"),
        (netfx("System.String[]"), [], "[]"),
        (netfx("System.String[]"), ["multi\nline"], '[\n  "multi\\nline"\n]'),
        (netfx("System.String[]"), [" padded"], '[\n  " padded"\n]'),
        (netfx("System.String[]"), ["[x]", "y"], '[\n  "[x]",\n  "y"\n]'),
        (netfx("System.String[]"), ["a", ""], '[\n  "a",\n  ""\n]'),
        (netfx("System.Int32[]"), [1, 2], "1\n2"),
        (generic(LIST, NULLABLE + "[[System.Int32]]"), [1, None], "[\n  1,\n  null\n]"),
        (netfx("System.Int32[,]"), [[1, 2]], "[\n  [\n    1,\n    2\n  ]\n]"),
        (generic(DICTIONARY, "System.String", "System.Object"), {"a": [1, {"b": "é"}]},
         '{\n  "a": [\n    1,\n    {\n      "b": "é"\n    }\n  ]\n}'),
        (generic(DICTIONARY, "System.String", "System.Object"), {}, "{}"),
        (DATA_TABLE, [{"Name": "Ada"}], '[\n  {\n    "Name": "Ada"\n  }\n]'),
        ("Acme.Invoice", "text", '"text"'),
        ("Acme.Invoice", None, "null"),
        ("Acme.Invoice", Decimal("0.10"), "0.10"),
        # Process-level defaults can hold anything; they are still shown.
        ("System.Int32", "oops", "oops"),
        ("System.String", 5, "5"),
        (netfx("System.Int32[]"), ["x"], '[\n  "x"\n]'),
    ],
)
def test_to_text(type_name, value, text):
    assert spec(type_name).to_text(value) == text


@pytest.mark.parametrize(
    ("type_name", "value"),
    [
        ("System.String", 'He said "hi" \\ \x00\x1b[31m\u202e é 😀'),
        ("System.Char", "\t"),
        ("System.Guid", GUID),
        ("System.UInt64", 18446744073709551615),
        ("System.Decimal", Decimal("-0.000000000000000000000000001")),
        ("System.Double", Decimal("1.7976931348623157E+308")),
        ("System.Boolean", False),
        ("System.DateTimeOffset", "2024-05-01T09:00:00.1234567-03:30"),
        ("System.TimeSpan", "-10.00:00:00.5"),
        (netfx("System.String[]"), ["a", " b", "[c]", "d\ne", "", "é"]),
        (netfx("System.String[]"), ["x"]),
        (netfx("System.DateTime[]"), ["2024-05-01T00:00:00", "2024-05-02T00:00:00Z"]),
        (netfx("System.Decimal[]"), [Decimal("0.10"), Decimal("2")]),
        (netfx("System.Int32[][]"), [[1], [2, 3]]),
        (generic(LIST, NULLABLE + "[[System.Boolean]]"), [True, None]),
        (generic(DICTIONARY, "System.String", "System.Object"),
         {"a": None, "b": [Decimal("1.5"), "x"], "\"q\"": {"nested": True}}),
        (DATA_TABLE, [{"Name": "Ada", "Age": 36, "Note": None}]),
        ("Acme.Invoice", {"lines": [{"sku": "A-1", "qty": 2}]}),
        ("Acme.Invoice", "just text"),
        ("Acme.Invoice", None),
        ("Acme.Invoice", [1, "two", False]),
    ],
)
def test_text_round_trip(type_name, value):
    argument = spec(type_name)
    assert argument.parse(argument.to_text(value)) == value


# --------------------------------------------------------------------------- TOML

@pytest.mark.parametrize(
    ("type_name", "given", "value"),
    [
        ("System.String", "text", "text"),
        ("System.Int32", 42, 42),
        ("System.Int32", "42", 42),
        ("System.Decimal", 12.5, Decimal("12.5")),
        ("System.Decimal", 0.1, Decimal("0.1")),
        ("System.Decimal", Decimal("0.1000000000000000000000000001"),
         Decimal("0.1000000000000000000000000001")),
        ("System.Decimal", 3, Decimal(3)),
        ("System.Decimal", "12.5", Decimal("12.5")),
        ("System.Boolean", True, True),
        ("System.Boolean", "yes", True),
        ("System.DateTime", datetime(2024, 5, 1, 9, 0), "2024-05-01T09:00:00"),
        ("System.DateTime", date(2024, 5, 1), "2024-05-01T00:00:00"),
        ("System.DateTimeOffset", datetime(2024, 5, 1, 9, 0, 0, 500000, timezone.utc),
         "2024-05-01T09:00:00.500000+00:00"),
        ("System.DateTimeOffset", datetime(2024, 5, 1, 9, 0, tzinfo=timezone(timedelta(hours=2))),
         "2024-05-01T09:00:00+02:00"),
        ("System.DateTimeOffset", "2024-05-01T09:00Z", "2024-05-01T09:00:00Z"),
        ("System.TimeSpan", time(1, 30), "01:30:00"),
        ("System.TimeSpan", "1.00:00", "1.00:00:00"),
        (netfx("System.String[]"), ["a", "b"], ["a", "b"]),
        (netfx("System.String[]"), "a\nb", ["a", "b"]),
        (netfx("System.String[]"), "single", ["single"]),
        (netfx("System.Int32[]"), [1, 2], [1, 2]),
        (netfx("System.Int32[]"), "[1, 2]", [1, 2]),
        (netfx("System.DateTime[]"), [date(2024, 5, 1), "2024-05-02"],
         ["2024-05-01T00:00:00", "2024-05-02T00:00:00"]),
        (generic(DICTIONARY, "System.String", "System.Object"),
         {"when": datetime(2024, 5, 1, 9, 0), "n": 1.5, "list": [1, "a"]},
         {"when": "2024-05-01T09:00:00", "n": Decimal("1.5"), "list": [1, "a"]}),
        (generic(DICTIONARY, "System.String", "System.Object"), '{"a": 1}', {"a": 1}),
        (DATA_TABLE, [{"Name": "Ada", "Born": date(1815, 12, 10)}],
         [{"Name": "Ada", "Born": "1815-12-10"}]),
        ("Acme.Invoice", {"id": 1}, {"id": 1}),
        ("Acme.Invoice", '"quoted"', "quoted"),
        ("Acme.Invoice", "null", None),
        ("Acme.Invoice", None, None),
        (generic(NULLABLE, "System.Int32"), 5, 5),
    ],
)
def test_from_toml_accepts(type_name, given, value):
    assert spec(type_name).from_toml(given) == value


@pytest.mark.parametrize(
    ("type_name", "given", "message"),
    [
        ("System.String", 12345,
         'X: expected text, got the number 12345 — write it in double quotes: "12345"'),
        ("System.String", True, 'X: expected text, got true — write it in double quotes: "true"'),
        ("System.String", ["a"], "X: expected text, got a list"),
        ("System.Char", "ab", 'X: "ab" is 2 characters — a Char holds exactly one'),
        ("System.Int32", 12.5, "X: expected a whole number, got the number 12.5"),
        ("System.Int32", True, "X: expected a whole number, got true"),
        ("System.Int32", 2**31, "X: 2147483648 is outside Int32 (-2147483648 to 2147483647)"),
        ("System.Int32", "12,5", 'X: "12,5" is not a whole number, e.g. 42'),
        ("System.Decimal", float("inf"), "X: inf is not a number, e.g. 12.5"),
        ("System.Decimal", False, "X: expected a number, got false"),
        ("System.Single", 1e39, "X: 1E+39 is outside Single (-3.4028235E+38 to 3.4028235E+38)"),
        ("System.Boolean", 1, "X: expected true or false, got the number 1"),
        ("System.DateTimeOffset", datetime(2024, 5, 1, 9, 0),
         'X: "2024-05-01T09:00:00" needs a time zone, e.g. 2024-05-01T09:00:00+02:00 or …Z'),
        ("System.DateTimeOffset", date(2024, 5, 1),
         'X: "2024-05-01" needs a time zone, e.g. 2024-05-01T00:00:00+02:00 or …Z'),
        ("System.DateTime", 20240501,
         "X: expected a date and time such as 2024-05-01T09:00:00, got the number 20240501"),
        ("System.TimeSpan", 90, 'X: expected a time span such as "01:30:00", got the number 90'),
        (netfx("System.String[]"), {"a": 1}, 'X: expected a JSON list of texts, e.g. ["a", "b"]'),
        (netfx("System.Int32[]"), [1, "x"],
         'X: item 2: expected a whole number, got the text "x"'),
        (generic(DICTIONARY, "System.String", "System.Object"), {"a": {1, 2}},
         'X: "a": a set cannot be sent as JSON'),
        (generic(DICTIONARY, "System.String", "System.Object"), "text",
         "X: not valid JSON (line 1, column 1: Expecting value) — expected a JSON object, "
         'e.g. {"key": "value"}'),
        (DATA_TABLE, [{"Name": {"First": "Ada"}}],
         'X: row 1, column "Name": a cell holds text, a number, true/false or null, '
         "not an object"),
        ("Acme.Invoice", "plain", "X: not valid JSON (line 1, column 1: Expecting value) — text "
                                  'goes in double quotes, e.g. "hello"'),
        ("Acme.Invoice", float("nan"), "X: nan is not a number JSON can hold"),
        ("System.Int32", None,
         "X: null is not a value here — leave the argument out to use its default"),
        (generic(NULLABLE, "System.Int32"), None,
         "X: null is not a value here — leave the argument out to use its default"),
    ],
)
def test_from_toml_refuses(type_name, given, message):
    with pytest.raises(ArgumentValueError) as raised:
        spec(type_name).from_toml(given)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("type_name", "value", "stored"),
    [
        ("System.String", "text", "text"),
        ("System.Int64", 5, 5),
        ("System.Decimal", Decimal("0.10"), Decimal("0.10")),
        ("System.Boolean", True, True),
        ("System.DateTimeOffset", "2024-05-01T09:00:00Z", "2024-05-01T09:00:00Z"),
        ("System.TimeSpan", "01:30:00", "01:30:00"),
        (netfx("System.String[]"), ["a", "b"], ["a", "b"]),
        (generic(LIST, NULLABLE + "[[System.Int32]]"), [1, None], "[1,null]"),
        (generic(DICTIONARY, "System.String", "System.Object"), {"a": [1]}, {"a": [1]}),
        (generic(DICTIONARY, "System.String", "System.Object"), {"a": None}, '{"a":null}'),
        (DATA_TABLE, [{"Name": "Ada"}], [{"Name": "Ada"}]),
        ("Acme.Invoice", {"id": 1}, {"id": 1}),
        ("Acme.Invoice", "text", '"text"'),
        ("Acme.Invoice", None, "null"),
        ("Acme.Invoice", 5, 5),
    ],
)
def test_to_toml(type_name, value, stored):
    argument = spec(type_name)
    assert argument.to_toml(value) == stored
    assert argument.from_toml(argument.to_toml(value)) == value


def test_values_survive_a_real_toml_file():
    specs = [
        spec("System.String", "Note"),
        spec("System.Decimal", "Amount"),
        spec("System.DateTimeOffset", "Due"),
        spec(netfx("System.Int32[]"), "Counts"),
        spec(generic(DICTIONARY, "System.String", "System.Object"), "Settings"),
        spec(generic(DICTIONARY, "System.String", "System.Object"), "Sparse"),
        spec(DATA_TABLE, "Rows"),
        spec("Acme.Invoice", "Raw"),
    ]
    values = {
        "Note": 'quote " backslash \\ newline \n tab \t é',
        "Amount": Decimal("0.1000000000000000000000000001"),
        "Due": "2024-05-01T09:00:00.1234567+02:00",
        "Counts": [1, 2],
        "Settings": {"a.b": {"c": [True, "x"]}, "n": Decimal("1.5")},
        "Sparse": {"gone": None},
        "Rows": [{"Name": "Ada", "Age": 36}],
        "Raw": "text",
    }
    document = tomli_w.dumps({s.name: s.to_toml(values[s.name]) for s in specs})
    loaded = tomllib.loads(document, parse_float=Decimal)
    assert {s.name: s.from_toml(loaded[s.name]) for s in specs} == values


# --------------------------------------------------------------------------- hostile text

HOSTILE = [
    'quotes " and \' and \\ backslash',
    "control \x00 \x07 \x1b[2J \x7f \x9b end",
    "new\nlines\r\nand\ttabs",
    "unicode é ß 中文 عربى \u202eRTL \u2028 sep",
    "emoji 😀👍🏽 and zero\u200bwidth",
    "{\"looks\": [\"like json\"]}",
    "--set Other=1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_sent_as_data(text):
    argument = spec("System.String", "Note")
    value = argument.parse(text)
    assert value == text
    payload = build_input_arguments({"Note": value})
    assert json.loads(payload) == {"Note": text}
    assert "\x00" not in payload and "\x1b" not in payload and "\n" not in payload
    assert argument.to_text(value) == text


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_in_lists_and_objects(text):
    tags = spec(netfx("System.String[]"), "Tags")
    assert tags.parse(tags.to_text([text, "next"])) == [text, "next"]
    settings = spec(generic(DICTIONARY, "System.String", "System.Object"), "Settings")
    value = {text: text}
    assert settings.parse(settings.to_text(value)) == value
    assert json.loads(build_input_arguments({"Settings": value})) == {"Settings": value}


def test_error_messages_show_hostile_text_safely():
    with pytest.raises(ArgumentValueError) as raised:
        spec("System.Int32", "Count").parse("\x1b[31mred\x00\u202e" + "x" * 100)
    message = str(raised.value)
    # 39 characters of the text are shown, then "…"; invisible ones as \u escapes.
    assert message == ('Count: "\\u001b[31mred\\u0000\\u202e' + "x" * 29 + '…" '
                       "is not a whole number, e.g. 42")
    assert all(char.isprintable() for char in message)


@pytest.mark.parametrize(
    ("type_name", "text"),
    [
        ("System.String", "broken \udc80 byte"),
        (netfx("System.String[]"), '["\\ud800"]'),
        ("Acme.Invoice", '{"a": "\\udfff"}'),
    ],
)
def test_lone_surrogates_are_refused(type_name, text):
    with pytest.raises(ArgumentValueError) as raised:
        spec(type_name, "Note").parse(text)
    assert str(raised.value) == (
        "Note: contains a broken character (a lone UTF-16 surrogate) — type or paste it again"
    )


# --------------------------------------------------------------------------- process defaults

@pytest.mark.parametrize("raw", [None, "", "   ", "null", "{}"])
def test_no_process_defaults(raw):
    assert parse_process_defaults(raw) == {}


def test_process_defaults_keep_values_exact():
    raw = '{"BoolArgument":true,"ObjectArgument":{},"Amount":0.10,"Name":"Zoë","List":[1]}'
    assert parse_process_defaults(raw) == {
        "BoolArgument": True,
        "ObjectArgument": {},
        "Amount": Decimal("0.10"),
        "Name": "Zoë",
        "List": [1],
    }
    assert str(parse_process_defaults(raw)["Amount"]) == "0.10"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('{"a": ', "The release's InputArguments (its process-level default values) is not "
                   "valid JSON: line 1, column 7: Expecting value"),
        ("[1, 2]", "The release's InputArguments (its process-level default values) should be a "
                   "JSON object, but it is a list"),
        ('"text"', "The release's InputArguments (its process-level default values) should be a "
                   'JSON object, but it is the text "text"'),
        ({"a": 1}, "The release's InputArguments (its process-level default values) should be "
                   "JSON text, but it is an object"),
    ],
)
def test_bad_process_defaults(raw, message):
    with pytest.raises(ArgumentsFormatError) as raised:
        parse_process_defaults(raw)
    assert str(raised.value) == message


# --------------------------------------------------------------------------- collect_values

FORM = [
    ArgumentSpec("IncidentId", "System.String", required=True),
    ArgumentSpec("Priority", "System.Int32", required=True),
    ArgumentSpec("Amount", "System.Decimal"),
    ArgumentSpec("Tags", netfx("System.String[]"), has_default=True),
    ArgumentSpec("Notify", "System.Boolean"),
]


def test_collect_values_converts_and_omits_blank_fields():
    values, errors = collect_values(
        FORM,
        {"IncidentId": "INC-1", "Priority": " 2 ", "Amount": "", "Tags": "a\nb", "Notify": "  "},
        {},
    )
    assert errors == {}
    assert values == {"IncidentId": "INC-1", "Priority": 2, "Tags": ["a", "b"]}
    assert list(values) == ["IncidentId", "Priority", "Tags"]


def test_required_argument_needs_text_or_a_process_default():
    values, errors = collect_values(FORM, {"IncidentId": " ", "Priority": ""}, {"Priority": 3})
    assert values == {}
    assert errors == {"IncidentId": "IncidentId is required"}


def test_collect_values_reports_every_bad_field():
    values, errors = collect_values(
        FORM,
        {"IncidentId": "INC-1", "Priority": "high", "Amount": "12,5", "Notify": "yes"},
        None,
    )
    assert values == {"IncidentId": "INC-1", "Notify": True}
    assert errors == {
        "Priority": 'Priority: "high" is not a whole number, e.g. 42',
        "Amount": 'Amount: "12,5" is not a number — use a dot, e.g. 12.5',
    }


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("incidentid", "incidentid is not an input argument of this process — did you mean "
                       "IncidentId?"),
        ("Amout", "Amout is not an input argument of this process — did you mean Amount?"),
        ("Zzz", "Zzz is not an input argument of this process; its arguments are IncidentId, "
                "Priority, Amount, Tags, Notify"),
    ],
)
def test_collect_values_reports_unknown_names(name, message):
    values, errors = collect_values(FORM, {"IncidentId": "INC-1", "Priority": "1", name: "x"}, {})
    assert errors == {name: message}
    assert name not in values


def test_unknown_name_for_a_process_without_arguments():
    assert collect_values([], {"Foo": "1"}, {}) == (
        {}, {"Foo": "Foo is not an input argument of this process, which has no input arguments"}
    )


# --------------------------------------------------------------------------- InputArguments

def test_build_input_arguments_is_compact_exact_and_keeps_unicode():
    text = build_input_arguments({
        "Name": "Zoë 😀",
        "Amount": Decimal("0.1000000000000000000000000001"),
        "Ratio": Decimal("1E+400"),
        "Count": 3,
        "Due": "2024-05-01T09:00:00Z",
        "Rows": [{"a": None, "b": True}],
    })
    assert text == (
        '{"Name":"Zoë 😀","Amount":0.1000000000000000000000000001,"Ratio":1E+400,"Count":3,'
        '"Due":"2024-05-01T09:00:00Z","Rows":[{"a":null,"b":true}]}'
    )


def test_no_values_is_an_empty_object():
    assert build_input_arguments({}) == "{}"


def _payload_of_length(length: int, filler: str = "x") -> dict:
    overhead = len('{"Big":""}')
    return {"Big": filler * (length - overhead)}


def test_exactly_the_limit_is_accepted():
    assert MAX_INPUT_ARGUMENTS_LENGTH == 10_000
    assert len(build_input_arguments(_payload_of_length(10_000))) == 10_000


def test_one_character_over_the_limit_is_refused():
    values = {"Small": "abc", **_payload_of_length(10_001 - len('"Small":"abc",'))}
    with pytest.raises(InputArgumentsTooLarge) as raised:
        build_input_arguments(values)
    error = raised.value
    assert (error.size, error.limit) == (10_001, 10_000)
    assert error.largest == [("Big", 9_985), ("Small", 13)]
    assert str(error) == (
        "The input arguments are 10,001 characters as JSON, but Orchestrator accepts at most "
        "10,000. Largest: Big (9,985 characters), Small (13 characters). Shorten or leave out "
        "some values."
    )


def test_size_counts_like_dotnet():
    # An emoji is two UTF-16 code units; an escaped control character is six characters.
    emoji = {"Big": "😀" * 4_995}  # 10 + 9,990 = 10,000
    assert build_input_arguments(emoji)
    with pytest.raises(InputArgumentsTooLarge):
        build_input_arguments({"Big": "😀" * 4_996})
    with pytest.raises(InputArgumentsTooLarge) as raised:
        build_input_arguments({"Big": "\x00" * 1_700})  # 10 + 6 * 1,700 = 10,210
    assert raised.value.size == 10_210


def test_biggest_three_arguments_are_named():
    values = {f"A{i}": "x" * (1_000 * i) for i in range(1, 6)}
    with pytest.raises(InputArgumentsTooLarge) as raised:
        build_input_arguments(values)
    assert [name for name, _ in raised.value.largest] == ["A5", "A4", "A3"]
