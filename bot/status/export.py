"""The static export: the page, each incident's page, the JSON and the feed as files, byte for
byte what the server serves (the kept renderings themselves), for a team that serves them from
elsewhere (object storage, GitHub Pages). Served at `/status` there, as here:

    index.html                      GET /status
    incidents/<public id>/index.html GET /status/incidents/<public id>
    api/v2/summary.json ...         GET /status/api/v2/summary.json ...
    feed.atom                       GET /status/feed.atom
    static/local-times.js           GET /status/static/local-times.js

A folder is written whole into a new temporary folder beside it, then renamed into place (the
old one renamed away first and removed after), so a reader of the folder sees the old export
or the new one (or, between the two renames, none), never a mix or a half-written file.
`python -m bot status export <folder>` writes it once; with STATUS_EXPORT_DIR set, the bot
rewrites that folder after each publication and each maintenance step.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
from pathlib import Path

from sqlmodel import select

from bot.core.runtime import Runtime
from bot.status.config import StatusPageConfig
from bot.status.render import BASE, Rendered, fingerprint
from bot.status.snapshots import render_and_store_at
from storage import Database
from storage.models.status_page import StatusSnapshot

log = logging.getLogger(__name__)
_LOCK = asyncio.Lock()  # one rewrite at a time in this process


def file_of(path: str) -> str:
    """The file a served path is written to, relative to the folder."""
    rest = path.removeprefix(BASE).strip("/")
    if not rest:
        return "index.html"
    if rest.startswith("incidents/"):
        return f"{rest}/index.html"
    return rest


async def stored_renderings(
    db: Database, config: StatusPageConfig, base_url: str
) -> list[Rendered]:
    """Every kept rendering, rendered (and stored) first if they were made with another
    configuration or none were made yet."""
    async with db.session() as session:
        rows = list((await session.exec(select(StatusSnapshot))).all())
        home = next((r for r in rows if r.path == BASE), None)
        if home is None or home.fingerprint != fingerprint(config):
            return await render_and_store_at(session, config, base_url)
        return [Rendered(r.path, r.content_type, r.body, r.etag, r.rendered_at) for r in rows]


def write_folder(folder: Path, rendered: list[Rendered]) -> int:
    """Write the files into a new folder beside `folder`, then rename it into place; how many
    files were written."""
    folder = folder.resolve()
    folder.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{folder.name}.new-", dir=folder.parent))
    try:
        for r in rendered:
            target = fresh / file_of(r.path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(r.body.encode("utf-8"))
        os.chmod(fresh, 0o755)
        old = None
        if folder.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old-", dir=folder.parent))
            os.rename(folder, old / "export")
        os.rename(fresh, folder)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return len(rendered)


async def export_to(db: Database, config: StatusPageConfig, base_url: str, folder: Path) -> int:
    rendered = await stored_renderings(db, config, base_url)
    async with _LOCK:
        return await asyncio.to_thread(write_folder, folder, rendered)


async def rewrite_export(rt: Runtime, config: StatusPageConfig) -> None:
    """STATUS_EXPORT_DIR, rewritten from what is kept now; a failure is logged, not raised
    (the publication is done; the next one writes the folder again)."""
    folder = rt.settings.status_export_dir
    if not folder:
        return
    base = (rt.settings.web_base_url or "").rstrip("/")
    try:
        count = await export_to(rt.db, config, base, Path(folder))
    except Exception as exc:
        log.warning("could not rewrite STATUS_EXPORT_DIR: %s", type(exc).__name__)
        return
    log.info("status page exported: %d files", count)
