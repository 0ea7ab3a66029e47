"""The OpenAPI document: valid OpenAPI 3.1 (the official schema of 3.1 documents, 2022-10-07,
kept in tests/support; each schema in it a valid JSON Schema 2020-12), every route of the
API documented, every documented path served, and the answers match what it says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from tests.conftest import StartBot
from tests.support.api_helpers import api_bot, get, seed_history

META = Path(__file__).resolve().parents[1] / "support" / "openapi.schema.3.1.json"


def schemas_in(document: Any) -> list[dict[str, Any]]:
    found = list(document["components"]["schemas"].values())
    for item in document["paths"].values():
        for operation in item.values():
            found += [p["schema"] for p in operation["parameters"]]
    return found


def conforms(document: dict[str, Any], name: str, body: Any) -> None:
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    Draft202012Validator(schema).validate(body)


async def test_the_document_is_valid_and_matches_the_routes(start_bot: StartBot) -> None:
    bot = await api_bot(start_bot)
    ids = await seed_history(bot)
    status, document, _ = await get(bot, "/api/v1/openapi.json", token=None)
    assert status == 200
    Draft202012Validator(json.loads(META.read_text())).validate(document)
    for schema in schemas_in(document):
        Draft202012Validator.check_schema(schema)

    served = {
        r.resource.canonical
        for r in bot.server.web.router.routes()
        if r.resource is not None
        and r.resource.canonical.startswith("/api/v1/")
        and r.method == "GET"
    }
    assert set(document["paths"]) == served - {"/api/v1/openapi.json"}
    for path, item in document["paths"].items():
        assert set(item) == {"get"}
        operation = item["get"]
        in_path = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
        assert in_path == {part[1:-1] for part in path.split("/") if part.startswith("{")}
        assert {"200", "400", "401", "404", "429"} <= set(operation["responses"])

    # What each route answers is what the document says it answers.
    refs = {
        path: item["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        for path, item in document["paths"].items()
    }
    for template, params in (
        ("/api/v1/incidents", {}),
        ("/api/v1/incidents/{id}", {}),
        ("/api/v1/incidents/{id}/timeline", {}),
        ("/api/v1/search", {"q": "database"}),
        ("/api/v1/stats", {"period": "all"}),
    ):
        path = template.replace("{id}", str(ids["checkout"]))
        status, body, _ = await get(bot, path, **params)
        assert status == 200
        conforms(document, refs[template].rsplit("/", 1)[1], body)
    status, body, _ = await get(bot, "/api/v1/incidents/999")
    conforms(document, "Error", body)
