"""The Atom feed of public updates (`/status/feed.atom`, RFC 4287): one entry per published
update and per maintenance step, the newest first, from the JSON documents only (so it says
nothing the JSON does not). Rendered with the page's Jinja2 environment, autoescaped: every
text is escaped XML. Pure: no Slack, no database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.status.config import StatusPageConfig
from bot.status.documents import EPOCH, STATUS_WORDS
from bot.status.maintenance_documents import STATUS_WORDS as MAINTENANCE_WORDS

MAX_ENTRIES = 50
FEED_PATH = "/status/feed.atom"
ATOM = "application/atom+xml"


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    at: str
    link: str
    text: str


def feed_entries(docs: dict[str, Any], url: str) -> list[Entry]:
    entries: list[Entry] = []
    for i in docs["incidents.json"]["incidents"]:
        for u in i["incident_updates"]:
            title = f"{i['name']}: {STATUS_WORDS.get(u['status'], u['status'])}"
            entries.append(Entry(u["id"], title, u["created_at"], i["shortlink"], u["body"]))
    for m in docs["scheduled-maintenances.json"]["scheduled_maintenances"]:
        for u in m["incident_updates"]:
            title = f"Maintenance: {m['name']}: {MAINTENANCE_WORDS.get(u['status'], u['status'])}"
            text = f"{u['body']}\nFrom {m['scheduled_for']} until {m['scheduled_until']}."
            entries.append(Entry(u["id"], title, u["created_at"], m["shortlink"], text))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:MAX_ENTRIES]


def feed_context(config: StatusPageConfig, docs: dict[str, Any], url: str) -> dict[str, Any]:
    entries = feed_entries(docs, url)
    page = docs["status.json"]["page"]
    updated = max([e.at for e in entries] + [page["updated_at"] or EPOCH])
    return {"config": config, "page": page, "url": url, "entries": entries, "updated": updated}
