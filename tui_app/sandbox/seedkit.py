"""Building blocks of the seeded tenants (``seed`` and ``hostile``): time, types, arguments."""

from __future__ import annotations

from datetime import datetime, timezone

#: Creation time of everything seeded (deterministic wire shapes).
SEED_TIME = datetime(2024, 5, 1, 8, 0, tzinfo=timezone.utc).timestamp()

MSCORLIB = "mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089"
CORELIB = ("System.Private.CoreLib, Version=8.0.0.0, Culture=neutral, "
           "PublicKeyToken=7cec85d7bea7798e")


def _t(type_name: str, assembly: str = MSCORLIB) -> str:
    return f"{type_name}, {assembly}"


def _in(name: str, type_name: str, required: bool = False, has_default: bool = False) -> dict:
    return {"name": name, "type": type_name, "required": required, "hasDefault": has_default}


def _out(name: str, type_name: str) -> dict:
    return {"name": name, "type": type_name}


STRING = _t("System.String")
