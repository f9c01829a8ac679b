"""The event filter language (``tui_app.event_filter``): operators, precedence, types, errors
with columns, and hostile input."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tui_app.event_filter import MAX_DEPTH, MAX_LENGTH, FilterError, compile_filter, lookup

EVENT = {
    "incident": {"state": "new", "number": "INC0010234", "priority": 2, "score": 7.5,
                 "urgent": True, "closed": False, "owner": None, "tags": ["db", "p1"],
                 "meta": {"a": 1}},
    "items": [{"id": 3}, {"id": 4}],
    "count": Decimal("12"),
    "weird-key": "yes",
    "$type": "Incident",
}


def matches(text: str, event: dict = EVENT) -> bool:
    return compile_filter(text).matches(event)


@pytest.mark.parametrize("text, expected", [
    ('incident.state == "new"', True),
    ('incident.state == "New"', False),
    ('incident.state != "closed"', True),
    ("incident.priority == 2", True),
    ("incident.priority == 2.0", True),  # numbers compare by value
    ("incident.score == 7.5", True),
    ("count == 12", True),  # the event's numbers may be Decimal (tui_app's JSON reader)
    ("incident.priority < 3", True),
    ("incident.priority <= 2", True),
    ("incident.priority > 2", False),
    ("incident.priority >= 2", True),
    ("incident.score > -1e3", True),
    ('incident.number > "INC0"', True),  # strings order by code point
    ('incident.number startswith "INC"', True),
    ('incident.number endswith "234"', True),
    ('incident.number contains "0010"', True),
    ('incident.tags contains "p1"', True),
    ('incident.tags contains "p2"', False),
    ('"db" in incident.tags', True),
    ('incident.state in ["new", "open"]', True),
    ('incident.state in ["open"]', False),
    ("incident.state in []", False),
    ("incident.priority in [1, 2]", True),
    ("items.0.id == 3", True),
    ("items.1.id == 4", True),
    ("items.2.id == null", True),  # out of range: missing, which is null
    ("exists(incident.owner)", True),  # present with null still exists
    ("incident.owner exists", True),
    ("exists(incident.nobody)", False),
    ("incident.nobody == null", True),
    ("incident.owner == null", True),
    ("incident.urgent", True),
    ("incident.closed", False),
    ("not incident.closed", True),
    ("not incident.nobody", True),
    ("incident.urgent == true", True),
    ("incident.meta == incident.meta", True),
    ('weird-key == "yes"', True),
    ('$type == "Incident"', True),
    ('incident.state == "n\\u0065w"', True),
])
def test_operators(text, expected):
    assert matches(text) is expected


@pytest.mark.parametrize("text", [
    'incident.priority == "2"',  # no string/number coercion
    '"2" == incident.priority',
    "incident.urgent == 1",  # a boolean is not a number
    'incident.priority < "3"',  # ordering of different types is false
    "incident.urgent < 2",  # booleans are not ordered
    "incident.nobody < 1",  # null is not ordered
    "incident.tags < 1",
    "incident.priority contains 2",
    "incident.priority startswith 2",
    'incident.tags startswith "db"',
    "incident.tags == 1",
    "incident.state",  # a value alone is a condition only when it is true
    '"new"',
    "1",
])
def test_no_coercion(text):
    assert matches(text) is False


def test_not_equal_is_the_negation_of_equal():
    assert matches('incident.priority != "2"') is True


@pytest.mark.parametrize("text, expected", [
    # and binds tighter than or
    ('incident.state == "x" and incident.priority == 9 or incident.urgent', True),
    ('incident.urgent or incident.state == "x" and incident.priority == 9', True),
    ('(incident.urgent or incident.state == "x") and incident.priority == 9', False),
    # not binds tighter than and / or, looser than a comparison
    ('not incident.state == "x" and incident.urgent', True),
    ('not (incident.state == "new" or incident.urgent)', False),
    ("not not incident.urgent", True),
    ("incident.urgent and incident.closed or incident.priority == 2", True),
    ("incident.urgent and (incident.closed or incident.priority == 3)", False),
])
def test_precedence(text, expected):
    assert matches(text) is expected


def test_keywords_need_spaces_only_where_words_meet():
    assert matches('(incident.urgent)and(incident.state=="new")') is True


def test_the_text_is_kept():
    assert compile_filter('a == "b"').text == 'a == "b"'


def test_matches_never_raises_for_any_event_shape():
    flt = compile_filter('a.b.0 == 1 or a contains "x" or a > 1 or exists(a.c)')
    for event in ({}, {"a": None}, {"a": [1]}, {"a": {"b": "text"}}, {"a": 3}, [], "text"):
        assert flt.matches(event) in (True, False)


def test_lookup_is_the_bindings_path():
    assert lookup(EVENT, "items.1.id") == 4
    assert lookup(EVENT, "items.x") is None


@pytest.mark.parametrize("text, message", [
    ('incident.state == ', 'filter: column 19: expected a value after "==", found end of text'),
    ('incident.state ==', 'filter: column 18: expected a value after "==", found end of text'),
    ("", "filter: column 1: expected a condition such as"),
    ("   ", "filter: column 1: expected a condition such as"),
    ("(a == 1", 'filter: column 8: expected ")" to close the "(" at column 1, found end of text'),
    ('a == "open', 'filter: column 6: a string is not closed'),
    ('a == "x\\q"', "filter: column 8: expected one of"),
    ('a == "\\u12"', "filter: column 7: expected four hex digits after \\u"),
    ("a == 1 b == 2", 'filter: column 8: expected "and", "or" or the end of the filter, '
                      'found "b"'),
    ("a in 3", 'filter: column 6: expected a list such as ["new", "open"] or a path after '
               '"in", found "3"'),
    ("a in [1, b]", "filter: column 10: expected a string, number, true, false or null, "
                    'found "b"'),
    ("a in [1 2]", 'filter: column 9: expected "," or "]" to close the list opened at '
                   "column 6"),
    ("a == 'x'", "filter: column 6: unexpected character \"'\""),
    ("a = 1", 'filter: column 3: unexpected character "="'),
    ("exists a", 'filter: column 8: expected "(" after "exists"'),
    ("exists(1)", "filter: column 8: expected a path inside exists(...)"),
    ("exists(a b)", 'filter: column 10: expected ")" to close exists(...)'),
    ('"a" exists', 'filter: column 5: "exists" follows a path'),
    ("a..b == 1", 'filter: column 2: unexpected character "."'),
    ("and", "filter: column 1: expected a condition"),
    ("a == 1 and", 'filter: column 11: expected a condition'),
    ("a contains", 'filter: column 11: expected a value after "contains", found end of text'),
    ("a == )", 'filter: column 6: expected a value after "==", found ")"'),
    ("a == \"x\ny\"", "filter: column 8: a string cannot hold a control character"),
    ("a == \u202e", "filter: column 6: unexpected character U+202E"),
])
def test_errors_say_the_column_and_what_was_expected(text, message):
    with pytest.raises(FilterError) as caught:
        compile_filter(text)
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, ValueError)


def test_not_text_is_refused():
    with pytest.raises(FilterError, match="expected the filter as text"):
        compile_filter(12)  # type: ignore[arg-type]


# -- hostile input ---------------------------------------------------------------------------


def test_too_long_is_refused():
    text = " or ".join(["a == 1"] * 400)
    assert len(text) > MAX_LENGTH
    with pytest.raises(FilterError, match=f"at most {MAX_LENGTH:,} characters"):
        compile_filter(text)


@pytest.mark.parametrize("opening, closing", [("(", ")"), ("not ", "")])
def test_deep_nesting_is_refused_without_exhausting_the_stack(opening, closing):
    ok = opening * MAX_DEPTH + "a" + closing * MAX_DEPTH
    assert compile_filter(ok).matches({"a": True}) is (opening == "(" or MAX_DEPTH % 2 == 0)
    deep = opening * (MAX_DEPTH + 1) + "a" + closing * (MAX_DEPTH + 1)
    with pytest.raises(FilterError, match=f"nested more than {MAX_DEPTH} levels"):
        compile_filter(deep)


def test_deep_nesting_at_the_length_limit_is_refused():
    with pytest.raises(FilterError, match="nested more than"):
        compile_filter("(" * (MAX_LENGTH - 1) + "a")


def test_long_flat_chains_evaluate():
    text = " or ".join(f"a == {n}" for n in range(150))
    assert len(text) <= MAX_LENGTH
    assert compile_filter(text).matches({"a": 149}) is True


def test_python_is_never_evaluated():
    for text in ('__import__("os").system("true")', "a.__class__ == 1", "lambda: 1"):
        try:
            flt = compile_filter(text)
        except FilterError:
            continue
        assert flt.matches({"a": 1}) is False  # a path that is not there, never Python


# -- the template's filter key and startjob run --event ------------------------------------

TEMPLATE = """\
version = 1
name = "Triage incident"
{top}
[connection]
folder = "Default"

[process]
key = "SupportTriage"

[strategy]
kind = "Specific"
robots = ["SUPPORT-BOT-01"]

[signature]
IncidentId = "System.String"

[bindings]
IncidentId = "incident.number"
"""
FILTERED = TEMPLATE.format(top="filter = 'incident.state == \"new\"'")
START_JOBS = "POST /odata/Jobs/UiPath.Server.Configuration.OData.StartJobs"


def test_the_template_key_is_read_and_written_back():
    from tui_app.templates import dump_template, parse_template

    template = parse_template(FILTERED, "t.toml")
    assert template.filter == 'incident.state == "new"'
    assert parse_template(dump_template(template), "t.toml") == template
    assert "filter = " in dump_template(template)
    plain = parse_template(TEMPLATE.format(top=""), "t.toml")
    assert plain.filter is None and "filter" not in dump_template(plain)


def test_a_queue_template_keeps_its_filter():
    from tui_app.templates import dump_template, parse_template

    text = ('version = 1\nname = "Q"\naction = "add_queue_item"\nfilter = "urgent"\n'
            '[queue]\nname = "Tickets"\n[item]\n')
    template = parse_template(text, "q.toml")
    assert template.filter == "urgent"
    assert parse_template(dump_template(template), "q.toml") == template


@pytest.mark.parametrize("top, message", [
    ("filter = 'incident.state =='",
     't.toml: filter is not a valid filter (column 18: expected a value after "==", found '
     "end of text)"),
    ("filter = 3", "t.toml: filter must be a non-empty string, got 3"),
    ("filter = ''", 't.toml: filter must be a non-empty string, got ""'),
])
def test_a_bad_filter_is_a_template_error_naming_the_key(top, message):
    from tui_app.templates import TemplateError, parse_template

    with pytest.raises(TemplateError) as caught:
        parse_template(TEMPLATE.format(top=top), "t.toml")
    assert str(caught.value) == message and caught.value.key == "filter"


@pytest.fixture
def run_event(sandbox, tmp_path):
    import io

    from tui_app import replay
    from tui_app.replay import ReplayOptions

    def run(text, event, **flags):
        path = tmp_path / "template.toml"
        path.write_text(text, encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        options = ReplayOptions(template=str(path), event="-",
                                connection={"url": sandbox.orchestrator_url}, **flags)
        code = replay.run(options, environ={"UIPATH_CLIENT_ID": "demo-client",
                                            "UIPATH_CLIENT_SECRET": "demo-secret"},
                          stdin=io.StringIO(event), out=out, err=err,
                          client_options={"token_cache": False})
        return code, out.getvalue(), err.getvalue()

    return run


NEW = '{"incident": {"state": "new", "number": "INC-7"}}'
OLD = '{"incident": {"state": "closed", "number": "INC-8"}}'


def test_run_starts_for_an_event_that_matches(sandbox, run_event):
    code, out, err = run_event(FILTERED, NEW)
    assert code == 0, err
    assert 'Filter       the event matches: incident.state == "new"' in out
    assert sandbox.count(START_JOBS) == 1


def test_run_starts_nothing_for_an_event_that_does_not_match(sandbox, run_event):
    code, out, err = run_event(FILTERED, OLD)
    assert code == 0, err
    assert ("The event does not match the template's filter (incident.state == \"new\"): "
            "nothing started.") in out
    assert sandbox.count(START_JOBS) == 0
    assert sandbox.request_log == [] or all("Jobs" not in r.route for r in sandbox.request_log)


def test_dry_run_says_whether_the_event_matches(sandbox, run_event):
    code, out, _ = run_event(FILTERED, OLD, dry_run=True)
    assert code == 0 and "Dry run: the event does not match the template's filter" in out
    code, out, _ = run_event(FILTERED, NEW, dry_run=True)
    assert code == 0 and "the event matches" in out and "Dry run: nothing was started" in out
    assert sandbox.count(START_JOBS) == 0


def test_json_output_says_whether_the_event_matched(sandbox, run_event):
    import json

    code, out, _ = run_event(FILTERED, OLD, output="json")
    data = json.loads(out)
    assert code == 0 and data["filter_matches"] is False and data["request"] is None
    code, out, _ = run_event(TEMPLATE.format(top=""), OLD, output="json")
    assert "filter_matches" not in json.loads(out)  # no filter: the key is not there


def test_a_deeply_nested_event_cannot_exhaust_the_stack():
    from tui_app.event_filter import MAX_COMPARE_DEPTH

    def nested(levels):
        value: list = []
        for _ in range(levels):
            value = [value]
        return value

    flt = compile_filter("a == b")
    assert flt.matches({"a": nested(MAX_COMPARE_DEPTH - 1), "b": nested(MAX_COMPARE_DEPTH - 1)})
    assert not flt.matches({"a": nested(5000), "b": nested(5000)})
