"""/api/v1/openapi.json: served to anyone, an OpenAPI 3.1 document whose operations are exactly the
/api/v1 routes of the app, and exactly the operations docs/api.md describes."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.testclient import TestClient

from web.api_spec import NO_CONTENT, ApiOperation
from web.openapi import api_routes, openapi_path
from web.routes import build_routes
from web.routing import Access, route, undecided_routes

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"
_DOCUMENTED = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/api/v1/[^`\s]*)`")


def _shape(path: str) -> str:
    """A path with its parameters unnamed: docs/api.md writes `{id}` where a route has
    `{patient_id}`."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def _served(client: TestClient) -> dict[str, object]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert document["openapi"] == "3.1.0"
    return document


def _operations(document: dict[str, object]) -> set[tuple[str, str]]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    return {(method.upper(), path) for path, ops in paths.items() for method in ops}


def test_the_document_is_public_and_holds_every_api_route_and_nothing_else(
    client: TestClient,
) -> None:
    in_table = {
        (method, openapi_path(r.path))
        for r in api_routes(build_routes())
        for method in (r.methods or set()) - {"HEAD"}
    }
    assert len(in_table) > 30
    assert _operations(_served(client)) == in_table


def test_the_document_and_docs_api_md_name_the_same_operations(client: TestClient) -> None:
    documented = {(m, _shape(p)) for m, p in _DOCUMENTED.findall(DOCS.read_text())}
    in_schema = {(m, _shape(p)) for m, p in _operations(_served(client))}
    assert sorted(in_schema - documented) == [], "in the schema, not in docs/api.md"
    assert sorted(documented - in_schema) == [], "in docs/api.md, not in the schema"


def test_every_operation_names_its_security_and_every_reference_resolves(
    client: TestClient,
) -> None:
    document = _served(client)
    components = document["components"]
    assert isinstance(components, dict)
    assert set(components["securitySchemes"]) == {"apiToken", "session", "deviceToken"}
    text = str(document)
    for name in re.findall(r"#/components/schemas/(\w+)", text):
        assert name in components["schemas"]
    paths = document["paths"]
    assert isinstance(paths, dict)
    hr = paths["/api/v1/hr"]["post"]
    assert hr["security"] == [{"deviceToken": []}]
    patients = paths["/api/v1/patients"]["get"]
    assert patients["security"] == [{"apiToken": []}, {"session": []}]
    assert "401" in patients["responses"] and "403" in patients["responses"]
    assert paths["/api/v1/me"]["get"]["security"] == [{"session": []}]
    ids = [op["operationId"] for ops in paths.values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def test_an_api_route_without_a_declaration_is_refused() -> None:
    async def handler(request: Request) -> Response:
        return Response()

    declared = route(
        "/api/v1/things", handler, Access.STAFF, api=ApiOperation("things", {204: NO_CONTENT})
    )
    half = route(
        "/api/v1/things/{thing_id:int}",
        handler,
        Access.STAFF,
        methods=["GET", "DELETE"],
        api={"GET": ApiOperation("a thing", {204: NO_CONTENT})},
    )
    page = route("/things", handler, Access.STAFF)  # pages need no declaration
    assert undecided_routes([declared, half, page]) == [
        "DELETE /api/v1/things/{thing_id:int} (no ApiOperation)"
    ]
