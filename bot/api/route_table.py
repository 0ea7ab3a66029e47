"""A route of the read API, as the table in bot/api/routes.py lists it: what adds it to the web
app and what writes its part of the OpenAPI document (bot/api/openapi.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.core.runtime import Runtime
from bot.learning.viewer import Viewer

Answer = dict[str, Any] | str  # a document, or one already encoded (the export's JSON)
Read = Callable[[web.Request, Runtime, Viewer], Awaitable[Answer]]


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # "query" or "path"
    schema: dict[str, Any]
    description: str
    required: bool = False


@dataclass(frozen=True)
class ApiRoute:
    path: str  # as aiohttp writes it: /api/v1/incidents/{id}
    read: Read
    operation_id: str
    summary: str
    response: str  # the schema's name in the OpenAPI document's components
    params: tuple[Param, ...] = field(default_factory=tuple)
