"""Rendering everything readers may see, at once: the page (Jinja2, autoescaped), one page per
public incident, and the JSON documents (documents.py). Each rendering is a `Rendered` with its
ETag; the set is what snapshots.py keeps. Pure: no Slack, no database."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.status.config import StatusPageConfig
from bot.status.documents import STATE_WORDS, STATUS_WORDS, documents, iso
from bot.status.feed import ATOM, FEED_PATH, feed_context
from bot.status.history import history
from bot.status.maintenance_documents import STATUS_WORDS as MAINTENANCE_WORDS
from bot.status.queries import PublicState

BASE = "/status"
HTML = "text/html"
JSON = "application/json"
SCRIPT = "text/javascript"
# The one script the page loads (times in the reader's zone), kept and exported as the rest is.
SCRIPT_PATH = f"{BASE}/static/local-times.js"
# Changed when the set of renderings changes (the feed, maintenance, history): renderings kept
# by an older version are made again at the first read, as for another configuration.
RENDER_VERSION = "3"


@dataclass(frozen=True)
class Rendered:
    path: str  # e.g. /status, /status/api/v2/summary.json
    content_type: str
    body: str
    etag: str
    rendered_at: datetime


def fingerprint(config: StatusPageConfig) -> str:
    """Of the section and RENDER_VERSION: a kept rendering made with another configuration
    (or by another version of the renderings) is rendered again."""
    made = config.model_dump_json() + RENDER_VERSION
    return hashlib.sha256(made.encode()).hexdigest()[:32]


def _when(value: str | None) -> str:
    return (value or "").replace("T", " ").replace("Z", " UTC")


@lru_cache(maxsize=1)
def _script() -> str:
    return Path(__file__).with_name("static").joinpath("local-times.js").read_text("utf-8")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).with_name("templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    return env


def _rendered(path: str, content_type: str, body: str, at: datetime) -> Rendered:
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    return Rendered(path, content_type, body, etag, at)


def render_all(
    config: StatusPageConfig, state: PublicState, base_url: str, at: datetime
) -> list[Rendered]:
    url = base_url.rstrip("/") + BASE
    docs = documents(config, state, url)
    out = [
        _rendered(f"{BASE}/api/v2/{name}", JSON, json.dumps(doc, ensure_ascii=False), at)
        for name, doc in docs.items()
    ]
    every = docs["incidents.json"]["incidents"]
    comps = docs["components.json"]["components"]
    groups: list[tuple[str | None, list[dict[str, Any]]]] = []
    for component, c in zip(config.components, comps, strict=True):
        if groups and groups[-1][0] == component.group:
            groups[-1][1].append(c)
        else:
            groups.append((component.group, [c]))
    common: dict[str, Any] = {
        "config": config,
        "base": BASE,
        "script": SCRIPT_PATH,
        "rendered_at": _when(iso(at)),
        "state_words": STATE_WORDS,
        "status_words": STATUS_WORDS,
        "maintenance_words": MAINTENANCE_WORDS,
    }
    page = (
        environment()
        .get_template("page.html.j2")
        .render(
            **common,
            status=docs["status.json"]["status"],
            groups=groups,
            unresolved=[i for i in every if i["status"] != "resolved"],
            resolved=[i for i in every if i["status"] == "resolved"],
            maintenances=docs["summary.json"]["scheduled_maintenances"],
            history=history(config, state, at),
        )
    )
    out.append(_rendered(BASE, HTML, page, at))
    out.append(_rendered(SCRIPT_PATH, SCRIPT, _script(), at))
    feed = environment().get_template("feed.atom.j2").render(**feed_context(config, docs, url))
    out.append(_rendered(FEED_PATH, ATOM, feed, at))
    template = environment().get_template("incident.html.j2")
    for i in every:
        html = template.render(**common, i=i)
        out.append(_rendered(f"{BASE}/incidents/{i['id']}", HTML, html, at))
    return out
