"""The .NET type name parser: assembly-qualified names, generics, arrays, malformed input."""

from __future__ import annotations

import pytest

from tui_app.arguments import DotNetTypeError, parse_type_name

NETFX = "mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089"
CORE = "System.Private.CoreLib, Version=8.0.0.0, Culture=neutral, PublicKeyToken=7cec85d7bea7798e"


@pytest.mark.parametrize(
    ("text", "full_name", "short_name", "assembly_name"),
    [
        (f"System.String, {NETFX}", "System.String", "String", "mscorlib"),
        (f"System.Int32, {CORE}", "System.Int32", "Int32", "System.Private.CoreLib"),
        (
            f"System.Collections.Generic.Dictionary`2[[System.String, {NETFX}],"
            f"[System.Object, {NETFX}]], {NETFX}",
            "System.Collections.Generic.Dictionary<System.String, System.Object>",
            "Dictionary<String, Object>",
            "mscorlib",
        ),
        (f"System.String[], {NETFX}", "System.String[]", "String[]", "mscorlib"),
        (
            "System.Data.DataTable, System.Data, Version=4.0.0.0, Culture=neutral, "
            "PublicKeyToken=b77a5c561934e089",
            "System.Data.DataTable",
            "DataTable",
            "System.Data",
        ),
        (
            "System.Data.DataTable, System.Data.Common, Version=8.0.0.0, Culture=neutral, "
            "PublicKeyToken=b03f5f7f11d50a3a",
            "System.Data.DataTable",
            "DataTable",
            "System.Data.Common",
        ),
        (
            f"System.Nullable`1[[System.Int32, {NETFX}]], {NETFX}",
            "System.Nullable<System.Int32>",
            "Int32?",
            "mscorlib",
        ),
        (
            f"System.Collections.Generic.List`1[[System.String, {CORE}]], {CORE}",
            "System.Collections.Generic.List<System.String>",
            "List<String>",
            "System.Private.CoreLib",
        ),
        (
            "Newtonsoft.Json.Linq.JObject, Newtonsoft.Json, Version=13.0.0.0, Culture=neutral, "
            "PublicKeyToken=30ad4fe6b2a6aeed",
            "Newtonsoft.Json.Linq.JObject",
            "JObject",
            "Newtonsoft.Json",
        ),
        ("System.String", "System.String", "String", ""),
        (
            "Acme.Billing.Invoice, Acme.Billing, Version=1.0.0.0, Culture=neutral, "
            "PublicKeyToken=null",
            "Acme.Billing.Invoice",
            "Invoice",
            "Acme.Billing",
        ),
        # Less common shapes .NET produces.
        ("System.Int32[,], mscorlib", "System.Int32[,]", "Int32[,]", "mscorlib"),
        ("System.Int32[][,,]", "System.Int32[][,,]", "Int32[][,,]", ""),
        (
            f"System.Nullable`1[[System.DateTime, {NETFX}]][], {NETFX}",
            "System.Nullable<System.DateTime>[]",
            "DateTime?[]",
            "mscorlib",
        ),
        (
            "System.Collections.Generic.List`1[System.String]",
            "System.Collections.Generic.List<System.String>",
            "List<String>",
            "",
        ),
        (
            "System.Collections.Generic.Dictionary`2[System.String,System.Collections.Generic"
            ".List`1[[System.Int32, mscorlib]]]",
            "System.Collections.Generic.Dictionary<System.String, "
            "System.Collections.Generic.List<System.Int32>>",
            "Dictionary<String, List<Int32>>",
            "",
        ),
        (
            "Acme.Outer`1+Inner`1[[System.String],[System.Int32]], Acme",
            "Acme.Outer<System.String>+Inner<System.Int32>",
            "Outer<String>.Inner<Int32>",
            "Acme",
        ),
        ("Acme.Outer+Inner, Acme", "Acme.Outer+Inner", "Outer.Inner", "Acme"),
        ("System.Collections.Generic.Dictionary`2", "System.Collections.Generic.Dictionary<,>",
         "Dictionary<,>", ""),
        ("  System.String ,  mscorlib  ", "System.String", "String", "mscorlib"),
        (r"Acme.Odd\,Name, Acme", "Acme.Odd,Name", "Odd,Name", "Acme"),
    ],
)
def test_parses_type_names(text, full_name, short_name, assembly_name):
    parsed = parse_type_name(text)
    assert parsed.full_name == full_name
    assert parsed.short_name == short_name
    assert parsed.assembly_name == assembly_name
    assert str(parsed) == full_name


def test_structure_of_a_nested_generic():
    parsed = parse_type_name(
        f"System.Collections.Generic.Dictionary`2[[System.String, {NETFX}],"
        f"[System.Collections.Generic.List`1[[System.Int32, {CORE}]], {CORE}]], {NETFX}"
    )
    assert parsed.name == "System.Collections.Generic.Dictionary`2"
    assert parsed.assembly == NETFX
    key, value = parsed.generic_args
    assert (key.name, key.assembly) == ("System.String", NETFX)
    assert value.name == "System.Collections.Generic.List`1"
    assert value.assembly == CORE
    assert value.generic_args[0].assembly_name == "System.Private.CoreLib"
    assert parsed.array_ranks == ()


def test_array_element_and_nullable_parts():
    jagged = parse_type_name("System.Int32[][,], mscorlib")
    assert jagged.array_ranks == (1, 2)
    assert jagged.element_type.short_name == "Int32[]"
    assert jagged.element_type.element_type.short_name == "Int32"
    assert jagged.element_type.element_type.element_type is None
    assert jagged.element_type.assembly_name == "mscorlib"

    nullable = parse_type_name("System.Nullable`1[[System.Int64, mscorlib]], mscorlib")
    assert nullable.nullable_of.full_name == "System.Int64"
    array_of_nullable = parse_type_name("System.Nullable`1[[System.Int64]][]")
    assert array_of_nullable.nullable_of is None
    assert array_of_nullable.element_type.nullable_of.short_name == "Int64"
    assert parse_type_name("System.Int64").nullable_of is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "expected a type name at position 1"),
        ("   ", "expected a type name"),
        ("System.String[", "expected a type name at position 15"),
        ("System.String[,", "expected ',' or ']' in an array rank"),
        ("System.String[*]", "expected a type name"),
        ("System.Collections.Generic.List`1[[System.String", "expected ']'"),
        ("System.Collections.Generic.List`1[[System.String]", "expected ',' or ']' after"),
        ("System.Collections.Generic.Dictionary`2[[System.String]]",
         "Dictionary`2 takes 2 generic argument(s), found 1"),
        ("System.String[[System.Int32]]", "System.String takes 0 generic argument(s), found 1"),
        ("System.String[][[System.Int32]]", "unexpected '['"),
        ("`", "'`' is not a valid type name"),
        ("System..String", "'System..String' is not a valid type name"),
        ("System.String.", "is not a valid type name"),
        ("List`0", "is not a valid type name"),
        ("List`x", "is not a valid type name"),
        ("List`²", "is not a valid type name"),
        ("System.String, ", "expected an assembly name"),
        ("System.String, mscorlib]", "expected an assembly name"),
        ("System.String]", "unexpected ']'"),
        ("System String", "unexpected 'S'"),
        ("System.Int32&", "unexpected '&'"),
        ("System.Int32*", "unexpected '*'"),
        ("Acme.Name\\", "with nothing after it"),
        ("[[System.String]]", "expected a type name at position 1"),
        ("List`1[" * 40 + "System.String" + "]" * 40, "nested too deeply"),
    ],
)
def test_malformed_type_names_raise(text, problem):
    with pytest.raises(DotNetTypeError) as raised:
        parse_type_name(text)
    assert problem in str(raised.value)
    assert repr(text) in str(raised.value)
