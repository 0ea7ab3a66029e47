"""The OpenAPI 3.1 document of the read API, written from the route table (bot/api/routes.py
ROUTES) and the shapes of bot/api/documents.py: `GET /api/v1/openapi.json`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.api.route_table import ApiRoute

_TIME = {"type": ["string", "null"], "format": "date-time"}
_TEXT = {"type": ["string", "null"]}
_CURSOR = {"type": ["string", "null"], "description": "Pass as cursor for the next page."}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string", "description": "One line: why."}},
    },
    "IncidentSummary": {
        "type": "object",
        "required": ["id", "title", "severity", "status", "private", "drill", "declared_at"],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "severity": {"type": "string"},
            "status": {"type": "string"},
            "private": {"type": "boolean"},
            "drill": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "service": _TEXT,
            "channel_id": _TEXT,
            "channel_name": _TEXT,
            "commander_id": _TEXT,
            "declared_at": _TIME,
            "mitigated_at": _TIME,
            "resolved_at": _TIME,
        },
    },
    "IncidentPage": {
        "type": "object",
        "required": ["incidents", "next_cursor"],
        "properties": {
            "incidents": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/IncidentSummary"},
            },
            "next_cursor": _CURSOR,
        },
    },
    "IncidentRecord": {
        "type": "object",
        "description": "The document of `/postmortem export json` (and each line of "
        "`python -m bot export`): the incident's row and every row belonging to it.",
        "required": ["format", "version", "incident", "timeline"],
        "properties": {
            "format": {"type": "string"},
            "version": {"type": "integer"},
            "exported_at": {"type": "string", "format": "date-time"},
            "incident": {"type": "object"},
            "timeline": {"type": "array", "items": {"type": "object"}},
            "revisions": {"type": "array", "items": {"type": "object"}},
            "update_prompts": {"type": "array", "items": {"type": "object"}},
            "postmortem_items": {"type": "array", "items": {"type": "object"}},
            "action_items": {"type": "array", "items": {"type": "object"}},
        },
    },
    "TimelineEntry": {
        "type": "object",
        "required": ["id", "kind", "occurred_at", "text"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string"},
            "occurred_at": _TIME,
            "author_id": _TEXT,
            "author_name": _TEXT,
            "text": {"type": "string"},
            "key_event": {"type": "boolean"},
            "edited_at": _TIME,
            "deleted_at": _TIME,
            "deleted_by": _TEXT,
        },
    },
    "TimelinePage": {
        "type": "object",
        "required": ["incident_id", "entries", "next_cursor"],
        "properties": {
            "incident_id": {"type": "integer"},
            "entries": {"type": "array", "items": {"$ref": "#/components/schemas/TimelineEntry"}},
            "next_cursor": _CURSOR,
        },
    },
    "SearchResults": {
        "type": "object",
        "required": ["query", "results", "next_offset"],
        "properties": {
            "query": {"type": "string"},
            "words": {"type": "array", "items": {"type": "string"}},
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "title", "score"],
                    "properties": {
                        "id": {"type": "integer"},
                        "title": {"type": "string"},
                        "severity": {"type": "string"},
                        "declared_at": _TIME,
                        "channel_id": _TEXT,
                        "private": {"type": "boolean"},
                        "drill": {"type": "boolean"},
                        "score": {"type": "number"},
                        "snippet": {
                            "type": "string",
                            "description": "The best-matching passage, matches in **bold**.",
                        },
                    },
                },
            },
            "next_offset": {"type": ["integer", "null"]},
        },
    },
    "Stats": {
        "type": "object",
        "description": "The figures of `/incident stats` (durations in seconds).",
        "required": ["incidents", "by_severity"],
        "properties": {
            "incidents": {"type": "integer"},
            "since": _TIME,
            "until": _TIME,
            "by_severity": {"type": "object", "additionalProperties": {"type": "integer"}},
            "by_week": {"type": "object"},
            "detect": {"$ref": "#/components/schemas/Durations"},
            "mitigate": {"$ref": "#/components/schemas/Durations"},
            "resolve": {"$ref": "#/components/schemas/Durations"},
            "acknowledge": {"$ref": "#/components/schemas/Durations"},
            "actions": {"type": "object", "additionalProperties": {"type": "integer"}},
            "top_tags": {"type": "array", "items": {"type": "object"}},
            "factor_kinds": {"type": "array", "items": {"type": "object"}},
        },
    },
    "Durations": {
        "type": "object",
        "properties": {
            "count": {"type": "integer"},
            "median": {"type": ["number", "null"]},
            "p90": {"type": ["number", "null"]},
        },
    },
}

_REFUSALS = {
    "400": "Bad input (a filter, a cursor, a limit).",
    "401": "No bearer token, or not one of API_TOKENS.",
    "403": "The Slack user the token acts for is deactivated or cannot be checked.",
    "404": "No such incident, or a private one the token may not see; or API_TOKENS is unset.",
    "429": "Over API_RATE_PER_MINUTE for this token: see Retry-After.",
}


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _operation(route: ApiRoute) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {
            "description": route.summary,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{route.response}"}}
            },
        }
    }
    responses.update({code: _error_response(text) for code, text in _REFUSALS.items()})
    return {
        "operationId": route.operation_id,
        "summary": route.summary,
        "parameters": [
            {
                "name": p.name,
                "in": p.where,
                "required": p.required or p.where == "path",
                "description": p.description,
                "schema": p.schema,
            }
            for p in route.params
        ],
        "responses": responses,
    }


def openapi_document(routes: Sequence[ApiRoute]) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Sisyphus read API",
            "version": "1",
            "description": "The incident record, read-only, under the permissions of Slack: a "
            "token sees public incidents, or what the Slack user it acts for sees.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": {route.path: {"get": _operation(route)} for route in routes},
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
