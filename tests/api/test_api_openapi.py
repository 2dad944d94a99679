"""The OpenAPI document describes exactly the routes the app serves under /api/v1."""
from __future__ import annotations

import re

from onestop.blueprints.api import openapi

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def served_operations(app) -> set[tuple[str, str]]:
    ops = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(openapi.PREFIX):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        ops |= {(path, method.lower()) for method in rule.methods - IGNORED_METHODS}
    return ops


def described_operations(doc) -> set[tuple[str, str]]:
    return {(path, method) for path, item in doc["paths"].items() for method in item}


def test_every_route_is_described_and_every_description_is_served(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    served = served_operations(client.application)
    described = described_operations(doc)
    assert served - described == set(), "routes missing from openapi.json"
    assert described - served == set(), "openapi.json describes routes the app does not serve"
    assert {"/api/v1/lookup/{code}", "/api/v1/lookup/{code}/feedback"} <= set(doc["paths"])


def test_document_is_valid_openapi(client):
    import schemathesis

    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    schema = schemathesis.openapi.from_dict(doc)
    assert len(list(schema.get_all_operations())) == len(described_operations(doc))
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', str(doc).replace("'", '"')))
    assert refs <= set(doc["components"]["schemas"])


def test_every_operation_documents_its_errors_and_security(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert op["summary"] and op["operationId"], (path, method)
            public = op["security"] == []
            if not public:
                assert {"401", "403"} <= set(op["responses"]), (path, method)
            if "{code}" in path:
                assert "404" in op["responses"], (path, method)
            if method == "post":
                assert {"415", "422"} <= set(op["responses"]), (path, method)
            if path.startswith("/api/v1/lookup"):
                assert "429" in op["responses"], (path, method)
            for status, response in op["responses"].items():
                if status.startswith(("4", "5")):
                    assert response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"}
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": doc["components"]["securitySchemes"]["bearerAuth"][
            "description"]}
