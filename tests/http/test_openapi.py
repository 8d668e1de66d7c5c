"""The OpenAPI document, fetched from the running server: auth required like every /api route, valid in
structure (checked here by hand: every $ref resolves, every path parameter is declared, every security
requirement names a scheme, operation ids are unique), and listing every /api route of the table."""

from __future__ import annotations

import re
from typing import Any

from httpkit import SAMPLE_ROUTES, Api, assert_envelope

from tsmsyncd.events import EventBus
from tsmsyncd.http.errors import ERROR_SCHEMA
from tsmsyncd.http.openapi import OPENAPI_PATH, document
from tsmsyncd.http.ws import events_route

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return ([node["$ref"]] if "$ref" in node else []) + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def resolve(doc: dict, ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def check_structure(doc: dict[str, Any]) -> None:
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] and isinstance(doc["info"]["version"], str)
    schemes = doc["components"]["securitySchemes"]
    for scheme in schemes.values():
        assert scheme["type"] == "apiKey" and scheme["in"] in ("header", "cookie") and scheme["name"]
    operation_ids = []
    for path, item in doc["paths"].items():
        assert path.startswith("/") and set(item) <= METHODS, path
        templated = set(re.findall(r"\{([^}]+)\}", path))
        for op in item.values():
            operation_ids.append(op["operationId"])
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == templated, (path, declared)
            assert all(p["required"] is True for p in op.get("parameters", []) if p["in"] == "path")
            assert op["responses"] and all(re.fullmatch(r"[1-5]\d\d|default", k) for k in op["responses"])
            for response in op["responses"].values():
                assert response["description"]
            for requirement in op["security"]:
                assert set(requirement) <= set(schemes)
    assert len(operation_ids) == len(set(operation_ids))
    for ref in refs(doc):
        assert resolve(doc, ref) is not None


async def test_the_document_needs_auth_like_every_api_route(api: Api) -> None:
    status, _, body = await api.call("GET", OPENAPI_PATH)
    assert_envelope(body, 401, status, "unauthorized")


async def test_the_served_document_is_valid_and_lists_every_api_route(serve) -> None:
    routes = [*SAMPLE_ROUTES, events_route(EventBus(), dict)]
    api = await serve(routes)
    status, headers, doc = await api.call("GET", OPENAPI_PATH, headers=api.key())
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    check_structure(doc)
    listed = {(method.upper(), path) for path, item in doc["paths"].items() for method in item}
    expected = {(r.method, re.sub(r"\{(\w+)(:[^}]*)?\}", r"{\1}", r.path)) for r in routes}
    expected |= {("GET", OPENAPI_PATH), ("POST", "/api/v1/logins")}
    assert listed == expected
    assert "/login/{token}" not in doc["paths"] and "/" not in doc["paths"]  # not API


async def test_each_operation_carries_its_summary_schemas_status_and_the_error_envelope(api: Api) -> None:
    _, _, doc = await api.call("GET", OPENAPI_PATH, headers=api.key())
    create = doc["paths"]["/api/v1/things"]["post"]
    assert create["summary"] == "Create a thing" and create["operationId"] == "create_thing"
    assert create["requestBody"]["content"]["application/json"]["schema"]["required"] == ["name"]
    assert create["responses"]["201"]["content"]["application/json"]["schema"]["properties"]["name"]
    assert create["responses"]["default"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}
    assert doc["components"]["schemas"]["Error"] == ERROR_SCHEMA
    assert create["security"] == [{"apiKey": []}, {"csrfCookie": [], "csrfHeader": []}]
    one = doc["paths"]["/api/v1/things/{name}"]["get"]
    assert one["parameters"] == [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}]
    schemes = doc["components"]["securitySchemes"]
    assert schemes["apiKey"]["name"] == "X-API-Key" and schemes["csrfCookie"]["name"] == "tsmsyncd-csrf"


def test_the_socket_is_documented_as_a_switch_of_protocols() -> None:
    doc = document([events_route(EventBus(), dict)])
    op = doc["paths"]["/api/v1/events"]["get"]
    assert "101" in op["responses"] and op["operationId"] == "events"
    check_structure(doc)


def test_a_path_with_a_regex_becomes_a_plain_template() -> None:
    async def view(request):  # pragma: no cover - never called
        raise AssertionError

    from tsmsyncd.http.app import Route

    doc = document([Route("GET", r"/api/v1/realms/{region:[a-z]{2}}/{id:\d+}", view)])
    assert list(doc["paths"]) == ["/api/v1/realms/{region}/{id}"]
    check_structure(doc)
