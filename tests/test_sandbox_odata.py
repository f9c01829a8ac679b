"""The sandbox's OData query options, filter parser and evaluator, tested directly."""

from __future__ import annotations

import pytest

from tui_app.sandbox import dtos
from tui_app.sandbox.edm import EntityType, EnumType, Lazy, Navigation, ODataError, parse_datetime
from tui_app.sandbox.filters import parse_filter
from tui_app.sandbox.odata import parse_query
from tui_app.sandbox.wire import parse_query_string

ROBOT = EntityType("Test.Robot", {"Id": "Edm.Int64", "Name": "Edm.String"})
STATE = EnumType("Test.State", ("Pending", "Running", "Successful"))
ITEM = EntityType("Test.Item", {
    "Id": "Edm.Int64",
    "Name": "Edm.String",
    "Key": "Edm.Guid",
    "State": STATE,
    "Created": "Edm.DateTimeOffset",
    "Done": "Edm.Boolean",
    "Amount": "Edm.Decimal",
    "Robot": Navigation(ROBOT),
    "Robots": Navigation(ROBOT, many=True),
})

ITEMS = [
    {"Id": 1, "Name": "O'Brien & Sons #1 100%", "Key": "AAAAAAAA-0000-4000-8000-000000000001",
     "State": "Pending", "Created": "2024-01-01T00:00:00.1234567Z", "Done": False,
     "Amount": 10.5, "Robot": None, "Robots": []},
    {"Id": 2, "Name": "Zoë Ünïcode", "Key": "bbbbbbbb-0000-4000-8000-000000000002",
     "State": "Running", "Created": "2024-01-02T10:00:00Z", "Done": True, "Amount": 3,
     "Robot": {"Id": 7, "Name": "BOT-7"}, "Robots": [{"Id": 7, "Name": "BOT-7"}]},
    {"Id": 3, "Name": None, "Key": "cccccccc-0000-4000-8000-000000000003",
     "State": "Successful", "Created": "2024-01-02T08:00:00-05:00", "Done": True,
     "Amount": None, "Robot": Lazy(lambda: {"Id": 8, "Name": "bot-8"}), "Robots": []},
]


def ids(params: dict) -> list:
    page, _ = parse_query(params, ITEM).apply(ITEMS, ITEM)
    return [item["Id"] for item in page]


def filtered(expression: str) -> list:
    return ids({"$filter": expression})


@pytest.mark.parametrize("expression, expected", [
    ("Id eq 1", [1]),
    ("Id ne 1", [2, 3]),
    ("Id gt 1 and Id lt 3", [2]),
    ("Id ge 2", [2, 3]),
    ("Id le 2", [1, 2]),
    ("Id eq 1 or Id eq 3", [1, 3]),
    ("not (Id eq 1)", [2, 3]),
    ("(Id eq 1 or Id eq 2) and Done", [2]),
    ("Id eq 1 or Id eq 2 and Done", [1, 2]),
    ("Id in (1, 3)", [1, 3]),
    ("Id eq 7L", []),
    ("Amount gt 5.0", [1]),
    ("Amount eq null", [3]),
    ("Name eq null", [3]),
    ("Name ne null", [1, 2]),
    ("Done eq true", [2, 3]),
    ("Done eq false", [1]),
    ("Done", [2, 3]),
    ("not Done", [1]),
])
def test_comparisons_and_logic(expression, expected):
    assert filtered(expression) == expected


@pytest.mark.parametrize("expression, expected", [
    ("contains(Name, 'Sons')", [1]),
    ("startswith(Name, 'O''Brien')", [1]),
    ("endswith(Name, 'code')", [2]),
    ("tolower(Name) eq 'zoë ünïcode'", [2]),
    ("toupper(Name) eq 'ZOË ÜNÏCODE'", [2]),
    ("contains(tolower(Name), 'sons')", [1]),
    ("not contains(Name, 'Sons')", [2]),  # null Name: contains is null, so neither matches
])
def test_string_functions(expression, expected):
    assert filtered(expression) == expected


@pytest.mark.parametrize("literal", ["O''Brien & Sons #1 100%", "O''Brien", "& Sons", "#1", "100%"])
def test_hostile_literals_are_plain_text(literal):
    assert filtered(f"contains(Name, '{literal}')") == [1]


def test_hostile_literal_survives_url_encoding():
    from urllib.parse import urlencode

    query = urlencode({"$filter": "Name eq 'O''Brien & Sons #1 100%'"})
    assert filtered(parse_query_string(query)["$filter"]) == [1]


def test_plus_in_query_string_is_a_space():
    assert parse_query_string("$filter=Id+eq+1&x=a%2Bb") == {"$filter": "Id eq 1", "x": "a+b"}


@pytest.mark.parametrize("expression, expected", [
    ("State eq 'Running'", [2]),
    ("State eq 'running'", [2]),
    ("State eq 2", [3]),
    ("State eq '0'", [1]),
    ("State in ('Pending', 'Successful')", [1, 3]),
    ("State gt 'Pending'", [2, 3]),
])
def test_enums_by_name_or_number(expression, expected):
    assert filtered(expression) == expected


@pytest.mark.parametrize("expression, expected", [
    ("Key eq aaaaaaaa-0000-4000-8000-000000000001", [1]),
    ("Key eq 'BBBBBBBB-0000-4000-8000-000000000002'", [2]),
    ("Key in ('aaaaaaaa-0000-4000-8000-000000000001', 'cccccccc-0000-4000-8000-000000000003')",
     [1, 3]),
])
def test_guids_compare_case_insensitively(expression, expected):
    assert filtered(expression) == expected


@pytest.mark.parametrize("expression, expected", [
    ("Created gt 2024-01-01T00:00:00Z", [1, 2, 3]),
    ("Created lt 2024-01-02T00:00:00.000Z", [1]),
    ("Created ge 2024-01-02", [2, 3]),
    ("Created gt '2024-01-02T12:00:00Z'", [3]),
    # Item 3 is Jan 2 08:00 -05:00, i.e. 13:00 UTC: compared as an instant, not as text.
    ("Created gt 2024-01-02T12:00:00Z and Created lt 2024-01-02T23:00:00Z", [3]),
])
def test_datetimes(expression, expected):
    assert filtered(expression) == expected


def test_navigation_paths_including_lazy_values():
    assert filtered("Robot/Id eq 7") == [2]
    assert filtered("Robot/Name eq 'bot-8'") == [3]
    assert filtered("Robot eq null") == [1]


@pytest.mark.parametrize("expression, message", [
    ("Foo eq 1", "Could not find a property named 'Foo' on type 'Test.Item'."),
    ("Robot/Foo eq 1", "Could not find a property named 'Foo' on type 'Test.Robot'."),
    ("Name/Length eq 1", "Could not find a property named 'Length' on type 'Edm.String'."),
    ("Robots/Id eq 1", "is not a single value"),
    ("Id eq 'one'", "incompatible types"),
    ("Done eq 1", "incompatible types"),
    ("Name eq 1 and Id", "incompatible types"),
    ("State eq 'Lost'", "not a valid enumeration type constant"),
    ("State eq 9", "not a valid enumeration type constant"),
    ("contains(Id, '1')", "No function signature for the function with name 'contains'"),
    ("contains(Name)", "No function signature"),
    ("length(Name) eq 3", "An unknown function with name 'length'"),
    ("Name", "must evaluate to a single boolean value"),
    ("not Name", "unary operator with an incompatible type"),
    ("Name eq", "Expression expected at position 7"),
    ("Name eq 'abc", "unterminated string literal at position 8"),
    ("Name eq 'a' Id", "Syntax error at position 12"),
    ("(Id eq 1", "Expression expected at position 8"),
    ("Id eq 1)", "Syntax error at position 7"),
    ("Id in ()", "Syntax error"),
    ("Name eq \"x\"", "character '\"' is not valid at position 8"),
    ("Id eq 1 & Id eq 2", "character '&' is not valid"),
    ("Created gt 2024-13-45", "Unrecognized 'Edm.DateTimeOffset' literal"),
])
def test_filter_errors(expression, message):
    with pytest.raises(ODataError) as caught:
        parse_query({"$filter": expression}, ITEM)
    assert message in str(caught.value)


def test_property_names_are_case_sensitive():
    with pytest.raises(ODataError, match="property named 'name'"):
        parse_query({"$filter": "name eq 'x'"}, ITEM)


def test_syntax_tree_respects_precedence():
    tree = parse_filter("not A eq 1 or B eq 2 and C eq 3")
    assert tree.op == "or"
    assert tree.left.op == "eq" and type(tree.left.left).__name__ == "Not"
    assert tree.right.op == "and"


def test_orderby_skip_top_and_count():
    query = parse_query({"$orderby": "Done desc, Id desc", "$skip": "1", "$top": "1"}, ITEM)
    page, count = query.apply(ITEMS, ITEM)
    assert [item["Id"] for item in page] == [2]
    assert count == 3
    assert ids({"$orderby": "Name"}) == [3, 1, 2]  # null first, then text order
    assert ids({"$orderby": "Created desc"}) == [3, 2, 1]  # compared as instants, not text
    assert ids({"$orderby": "Robot/Id desc"}) == [3, 2, 1]
    assert ids({"$top": "0"}) == []
    assert ids({"$count": "true", "$filter": "Done"}) == [2, 3]


@pytest.mark.parametrize("params, message", [
    ({"$top": "1001"}, "The limit of '1000' for Top query has been exceeded"),
    ({"$top": "-1"}, "Invalid value '-1' for $top"),
    ({"$top": "ten"}, "Invalid value 'ten' for $top"),
    ({"$skip": "x"}, "Invalid value 'x' for $skip"),
    ({"$count": "maybe"}, "not a valid count option"),
    ({"$orderby": "Id,Name,Done,State,Key,Amount"}, "maximum number of $orderby clauses"),
    ({"$orderby": "Robot"}, "single value of primitive type"),
    ({"$orderby": "Id sideways"}, "Syntax error"),
    ({"$select": "Id,Nope"}, "Could not find a property named 'Nope'"),
    ({"$expand": "Name"}, "is not a navigation property"),
    ({"$expand": "Nope"}, "Could not find a property named 'Nope'"),
    ({"$expand": "Robot($filter=Id eq 1)"}, "not supported inside $expand"),
    ({"$expand": "Robot($select=Id"}, "unbalanced parentheses"),
    ({"$search": "x"}, "The query parameter '$search' is not supported."),
])
def test_option_errors(params, message):
    with pytest.raises(ODataError) as caught:
        parse_query(params, ITEM)
    assert message in str(caught.value)


def test_option_names_are_case_insensitive_and_other_parameters_ignored():
    assert ids({"$FILTER": "Id eq 2", "$Top": "5", "machineId": "3"}) == [2]


def test_select_and_expand_project_entities():
    query = parse_query({"$select": "Name,Id", "$expand": "Robot($select=Name),Robots"}, ITEM)
    page, _ = query.apply(ITEMS[1:2], ITEM)
    assert page == [{"Id": 2, "Name": "Zoë Ünïcode", "Robot": {"Name": "BOT-7"},
                     "Robots": [{"Id": 7, "Name": "BOT-7"}]}]
    assert list(page[0]) == ["Id", "Name", "Robot", "Robots"]  # wire order, not request order
    assert query.projection.context() == "(Id,Name,Robot(Name),Robots())"


def test_without_expand_navigations_are_left_out():
    page, _ = parse_query({}, ITEM).apply(ITEMS, ITEM)
    assert "Robot" not in page[0] and "Robots" not in page[0]
    assert page[0]["Name"] == ITEMS[0]["Name"]


def test_expand_depth_is_limited():
    deep = EntityType("Test.Deep", {"Item": Navigation(ITEM)})
    parse_query({"$expand": "Item($expand=Robot)"}, deep)
    with pytest.raises(ODataError, match="maximum depth allowed is 2"):
        parse_query({"$expand": "Deep($expand=Item($expand=Robot))"},
                    EntityType("Test.Top", {"Deep": Navigation(deep)}))


def test_real_dto_types_accept_what_clients_send():
    parse_query({"$filter": "ProcessKey eq 'add_queue_items' and contains(Name,'x')",
                 "$select": "EnvironmentName", "$orderby": "ProcessVersion desc",
                 "$expand": "Environment($expand=Robots)"}, dtos.RELEASE)
    parse_query({"$filter": "((CreationTime ge 2024-01-01T00:00:00Z) and "
                            "(ProcessType eq 'Process')) and Robot/Id eq 123L",
                 "$expand": "Robot,Machine,Release", "$orderby": "CreationTime desc"}, dtos.JOB)
    parse_query({"$filter": "ProcessType eq '1'"}, dtos.RELEASE)
    parse_query({"$filter": "StopStrategy eq 2"}, dtos.JOB)
    with pytest.raises(ODataError, match="on type 'UiPath.Server.Configuration.OData.ReleaseDto'"):
        parse_query({"$filter": "Foo eq 1"}, dtos.RELEASE)


@pytest.mark.parametrize("text, iso", [
    ("2020-01-28T07:18:44.4636005Z", "2020-01-28T07:18:44.463600+00:00"),
    ("2018-01-15T18:18:02.79Z", "2018-01-15T18:18:02.790000+00:00"),
    ("2024-01-03T00:00:00+02:00", "2024-01-02T22:00:00+00:00"),
    ("2024-01-03", "2024-01-03T00:00:00+00:00"),
])
def test_parse_datetime(text, iso):
    assert parse_datetime(text).isoformat() == iso


def test_parse_datetime_rejects_garbage():
    assert parse_datetime("yesterday") is None
    assert parse_datetime("2024-02-30") is None
