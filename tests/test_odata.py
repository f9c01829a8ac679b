"""OData literals and filters: every hostile value stays inside its quotes."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tui_app.orchestrator import odata

HOSTILE = [
    "O'Brien",
    "'",
    "''",
    "' or 1 eq 1 or '",
    "100% & more #tag",
    "a+b=c?d/e",
    "naïve 日本語 🤖",
    "line\nbreak\ttab",
    ")) or ((",
    "%27%20or%20%27",
]


def _unquote(text: str) -> str:
    """Parse an OData string literal back (the inverse of ``literal`` for text)."""
    assert text.startswith("'") and text.endswith("'") and len(text) >= 2
    inner = text[1:-1]
    out = []
    i = 0
    while i < len(inner):
        ch = inner[i]
        if ch == "'":
            # Inside a literal a quote only ever appears doubled.
            assert inner[i + 1] == "'", f"lone quote in {text!r}"
            out.append("'")
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


@pytest.mark.parametrize("value", HOSTILE)
def test_literal_round_trips_hostile_text(value):
    lit = odata.literal(value)
    assert _unquote(lit) == value


def test_literal_doubles_quotes():
    assert odata.literal("O'Brien") == "'O''Brien'"
    assert odata.literal("' or 1 eq 1 or '") == "''' or 1 eq 1 or '''"
    assert odata.literal("") == "''"


def test_literal_other_types():
    assert odata.literal(42) == "42"
    assert odata.literal(-7) == "-7"
    assert odata.literal(True) == "true"
    assert odata.literal(False) == "false"
    assert odata.literal(None) == "null"
    key = uuid.UUID("99587436-4ce5-480d-988c-6d7f43787a2c")
    assert odata.literal(key) == "'99587436-4ce5-480d-988c-6d7f43787a2c'"
    assert odata.literal(1.5) == "1.5"
    with pytest.raises(ValueError):
        odata.literal(float("nan"))
    with pytest.raises(TypeError):
        odata.literal(object())
    with pytest.raises(TypeError):
        odata.literal(["a"])


def test_eq_contains_in():
    assert odata.eq("Name", "x'y") == "Name eq 'x''y'"
    assert odata.eq("Robot/Id", 5) == "Robot/Id eq 5"
    assert odata.contains("Name", "AbC") == "contains(Name,'AbC')"
    assert odata.contains("Name", "AbC'", ignore_case=True) == "contains(tolower(Name),'abc''')"
    assert odata.in_("Id", [1, 2, 3]) == "Id in (1,2,3)"
    assert odata.in_("Key", ["a'", "b"]) == "Key in ('a''','b')"
    with pytest.raises(ValueError):
        odata.in_("Id", [])


def test_combinators():
    a, b = odata.eq("A", 1), odata.eq("B", 2)
    assert odata.any_of(a, b) == "A eq 1 or B eq 2"
    combined = odata.all_of(odata.group(odata.any_of(a, b)), "C eq 3")
    assert combined == "(A eq 1 or B eq 2) and C eq 3"
    with pytest.raises(ValueError):
        odata.any_of()


@pytest.mark.parametrize(
    "name",
    ["Name eq 'x' or 1 eq 1", "Name)", "", "1Name", "Na me", "Name/", "tolower(Name)", "Nam'e"],
)
def test_property_names_are_checked(name):
    with pytest.raises(ValueError):
        odata.eq(name, "x")


def test_orderby_is_checked():
    assert odata.orderby("Name asc") == "Name asc"
    assert odata.orderby("Name asc, ProcessVersion desc") == "Name asc,ProcessVersion desc"
    assert odata.orderby("Id") == "Id"
    for bad in ["Name asc; drop", "Name sideways", "", "a,b,c,d,e,f", "Name asc&$top=1"]:
        with pytest.raises(ValueError):
            odata.orderby(bad)


def test_path_int():
    assert odata.path_int(12) == 12
    for bad in ["12", "1) or (1", 1.0, True, None]:
        with pytest.raises(TypeError):
            odata.path_int(bad)


@pytest.mark.parametrize("value", HOSTILE)
def test_filter_survives_query_encoding(value):
    """httpx percent-encodes the filter; decoding the URL gives back exactly the filter."""
    expr = odata.any_of(
        odata.contains("Name", value, ignore_case=True),
        odata.contains("ProcessKey", value, ignore_case=True),
    )
    request = httpx.Request("GET", "https://h/o/t/orchestrator_/odata/Releases",
                            params={"$filter": expr, "$top": 5})
    assert request.url.params["$filter"] == expr
    assert request.url.params["$top"] == "5"
    assert list(request.url.params.keys()) == ["$filter", "$top"]
    raw_query = request.url.query.decode("ascii")
    assert "#" not in raw_query and raw_query.count("&") == 1
