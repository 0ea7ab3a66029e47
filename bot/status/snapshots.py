"""The kept renderings: rendered at each publication (in the publication's transaction) and
kept in the database and in this process's memory, so a flood of readers costs a lookup and the
page is still served while the database is unreachable.

A reader's request is answered from memory when it was checked against the database in the
last REFRESH_SECONDS (another replica may have published since); otherwise the stored
rendering is read (a primary-key lookup) and kept. The database unreachable: what memory has,
however old (its Last-Modified says when it was rendered). A rendering made with another
`status_page` section, or none yet, is rendered again from the public record and stored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.runtime import Runtime
from bot.status.config import StatusPageConfig
from bot.status.queries import public_state, save_snapshots, snapshot
from bot.status.render import Rendered, fingerprint, render_all
from storage.models.status_page import StatusSnapshot
from storage.types import utcnow

REFRESH_SECONDS = 2.0


@dataclass
class Kept:
    rendered: Rendered
    checked: float  # time.monotonic() of its last check against the database


# By runtime (rt.instance), by path.
_MEMORY: dict[str, dict[str, Kept]] = {}


def memory(rt: Runtime) -> dict[str, Kept]:
    return _MEMORY.setdefault(rt.instance, {})


def forget(rt: Runtime) -> None:
    _MEMORY.pop(rt.instance, None)
    _ASKING.pop(rt.instance, None)


def _base_url(rt: Runtime) -> str:
    return (rt.settings.web_base_url or "").rstrip("/")


async def render_and_store(
    rt: Runtime, session: AsyncSession, config: StatusPageConfig
) -> list[Rendered]:
    """Render everything from the public record as `session` sees it and store it (the caller
    commits), replacing the kept renderings; `keep` them in memory after the commit."""
    return await render_and_store_at(session, config, _base_url(rt))


async def render_and_store_at(
    session: AsyncSession, config: StatusPageConfig, base_url: str
) -> list[Rendered]:
    """render_and_store for a base URL (`python -m bot status export`, without a runtime)."""
    state = await public_state(session)
    now = utcnow()
    rendered = render_all(config, state, base_url, now)
    fp = fingerprint(config)
    await save_snapshots(
        session,
        [
            StatusSnapshot(
                path=r.path,
                content_type=r.content_type,
                body=r.body,
                etag=r.etag,
                fingerprint=fp,
                rendered_at=r.rendered_at,
            )
            for r in rendered
        ],
    )
    return rendered


def keep(rt: Runtime, rendered: list[Rendered]) -> None:
    now = time.monotonic()
    kept = memory(rt)
    for r in rendered:
        kept[r.path] = Kept(r, now)


async def lookup(rt: Runtime, config: StatusPageConfig, path: str) -> Rendered | None:
    """What to serve at `path` (None: nothing there). StorageUnavailable only when the
    database is unreachable and memory has nothing for it.

    One request per path at a time asks the database; the others are answered from memory
    meanwhile (a crowd of 500 readers once took every pooled connection, and waited)."""
    kept = memory(rt).get(path)
    if kept is not None and time.monotonic() - kept.checked < REFRESH_SECONDS:
        return kept.rendered
    asking = _ASKING.setdefault(rt.instance, set())
    if kept is not None and path in asking:
        return kept.rendered  # another request is asking the database now
    asking.add(path)
    try:
        return await _ask(rt, config, path, kept)
    finally:
        asking.discard(path)


# By runtime (rt.instance): the paths a request is asking the database about now.
_ASKING: dict[str, set[str]] = {}


async def _ask(
    rt: Runtime, config: StatusPageConfig, path: str, kept: Kept | None
) -> Rendered | None:
    from storage import StorageUnavailable

    fp = fingerprint(config)
    fresh: list[Rendered] | None = None
    try:
        async with rt.db.session() as session:  # committed when the block ends
            row = await snapshot(session, path)
            if row is None or row.fingerprint != fp:
                home = await snapshot(session, "/status")
                if home is not None and home.fingerprint == fp:
                    return None  # everything is rendered and kept: nothing is at this path
                fresh = await render_and_store(rt, session, config)
    except StorageUnavailable:
        if kept is not None:
            # Asked again only after REFRESH_SECONDS: during an outage readers are served
            # from memory, not each of them waiting on a connection that fails.
            memory(rt)[path] = Kept(kept.rendered, time.monotonic())
            return kept.rendered
        raise
    if fresh is not None:
        keep(rt, fresh)
        return next((r for r in fresh if r.path == path), None)
    assert row is not None
    found = Rendered(row.path, row.content_type, row.body, row.etag, row.rendered_at)
    memory(rt)[path] = Kept(found, time.monotonic())
    return found
