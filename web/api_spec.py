"""What a JSON operation takes and answers, declared beside its route (`route(..., api=...)`).

The route table carries these declarations and `web/openapi.py` builds `/api/v1/openapi.json` from
that table alone, so the document cannot name a route that does not exist or miss one that does.
A body schema describes what the handler's parser accepts (the parser stays the judge: a schema is
what a client reads, the parser is what refuses).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JsonSchema = dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """One success answer: its description, and the JSON Schema of its body (None: no body)."""

    description: str
    schema: JsonSchema | None = None
    media_type: str = "application/json"
    # OpenAPI links from this answer to other operations, e.g. {"GetPatient": {"operationId":
    # "get_patient", "parameters": {"patient_id": "$response.body#/id"}}}
    links: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ApiOperation:
    summary: str
    replies: Mapping[int, Reply]
    body: JsonSchema | None = None  # the JSON request body's schema; None for no body
    # Error statuses this operation answers besides the ones the builder adds from its access,
    # its path parameters and its body (web/openapi.py, `_error_statuses`).
    errors: tuple[int, ...] = ()
    # The security requirements, when not those of the route's Access (a device token).
    security: tuple[str, ...] | None = None
    description: str = ""


def obj(required: tuple[str, ...] = (), /, **properties: JsonSchema) -> JsonSchema:
    """A JSON object with exactly these members, of which `required` must be present."""
    schema: JsonSchema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema


def extended(base: JsonSchema, required: tuple[str, ...] = (), /, **more: JsonSchema) -> JsonSchema:
    """`base` (an object from `obj`) with more members; `allOf` cannot do this while `base` shuts
    out other members (additionalProperties: false)."""
    return {
        **base,
        "properties": {**base["properties"], **more},
        "required": [*base.get("required", ()), *required],
    }


def array(items: JsonSchema, **extra: Any) -> JsonSchema:
    return {"type": "array", "items": items, **extra}


def nullable(schema: JsonSchema) -> JsonSchema:
    """`schema` or null (JSON Schema 2020-12, as OpenAPI 3.1 uses)."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    kind = schema.get("type", [])
    kinds = kind if isinstance(kind, list) else [kind]
    return {**schema, "type": [*kinds, "null"]}


def ref(name: str) -> JsonSchema:
    return {"$ref": f"#/components/schemas/{name}"}


STRING: JsonSchema = {"type": "string"}
INTEGER: JsonSchema = {"type": "integer"}
NUMBER: JsonSchema = {"type": "number"}
BOOLEAN: JsonSchema = {"type": "boolean"}
DATE_TIME: JsonSchema = {"type": "string", "format": "date-time"}
ID: JsonSchema = {"type": "integer", "minimum": 1}
ANY_OBJECT: JsonSchema = {"type": "object"}
NO_CONTENT = Reply("done; no body")
