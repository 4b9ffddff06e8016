"""Bodies that carry exactly one of several proofs (`/login/mfa`, `/reauth`): the rule is
checked by the models and also stated in their JSON Schema, so that the OpenAPI document
says what is accepted (a client generator or a fuzzer then knows it too)."""

from __future__ import annotations

from typing import Any

_JSON_TYPES: dict[type, str] = {str: "string", dict: "object"}


def exactly_one_of(**fields: type) -> dict[str, Any]:
    """`json_schema_extra` for a model whose named fields (str or dict) must be exactly one
    present and not null: one `oneOf` branch per field, each requiring it non-null."""
    return {
        "oneOf": [
            {"required": [name], "properties": {name: {"type": _JSON_TYPES[kind]}}}
            for name, kind in fields.items()
        ]
    }
