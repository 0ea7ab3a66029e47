"""Putting documents into a channel: files.uploadV2, and a canvas where the workspace allows.

`files_upload_v2` is slack_sdk's three-step upload (files.getUploadURLExternal, the upload
itself, files.completeUploadExternal). Canvases are not available on every plan or to every
app, so a failed canvas is reported, not fatal: the uploaded file is the fallback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.core.runtime import Runtime
from bot.slack.client import slack_error_text

log = logging.getLogger(__name__)

MAX_NAME_LOOKUPS = 200
NAME_LOOKUP_CONCURRENCY = 5


@dataclass
class Published:
    file_link: str | None = None
    file_problem: str | None = None
    canvas_link: str | None = None
    canvas_problem: str | None = None
    picture_links: dict[str, str] = field(default_factory=dict)  # filename -> permalink
    picture_problems: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Picture:
    """An image put beside a document; the document refers to it as `](filename)`."""

    filename: str
    title: str
    content: bytes


async def upload_file(
    rt: Runtime,
    channel_id: str,
    *,
    filename: str,
    title: str,
    content: str | bytes,
    comment: str | None,
) -> str:
    """Upload and share a file (text, or bytes such as a PNG) in the channel; returns its
    permalink. Raises on failure."""
    resp = await rt.client.files_upload_v2(
        channel=channel_id,
        filename=filename,
        title=title,
        content=content,
        initial_comment=comment,
    )
    file = resp.get("file") or (resp.get("files") or [{}])[0]
    return str(file.get("permalink") or file.get("id") or filename)


async def create_canvas(rt: Runtime, channel_id: str, *, title: str, markdown: str) -> str:
    """A canvas tabbed in the channel; returns a link to it. Raises on failure.

    The link is built as Slack builds canvas links (`<workspace url>docs/<team>/<canvas>`)
    from auth.test (read once at start-up), which needs no scope; files.info would need
    files:read just for this.
    """
    resp = await rt.client.canvases_create(
        title=title,
        document_content={"type": "markdown", "markdown": markdown},
        channel_id=channel_id,
    )
    canvas_id = str(resp["canvas_id"])
    if rt.team_url and rt.team_id:  # learned from auth.test at start-up (bot/slack/identity.py)
        return f"{rt.team_url}docs/{rt.team_id}/{canvas_id}"
    return f"canvas {canvas_id} (in this channel's tabs)"


async def publish_markdown(
    rt: Runtime,
    channel_id: str,
    *,
    filename: str,
    title: str,
    markdown: str,
    comment: str,
    pictures: Sequence[Picture] = (),
) -> Published:
    """The file always; then its pictures beside it; a canvas additionally, with the pictures'
    links in place of their file names. Each failure is described, not raised."""
    out = Published()
    try:
        out.file_link = await upload_file(
            rt, channel_id, filename=filename, title=title, content=markdown, comment=comment
        )
    except Exception as exc:
        log.warning("postmortem upload to %s failed: %s", channel_id, type(exc).__name__)
        out.file_problem = slack_error_text(exc)
    canvas_markdown = markdown
    for picture in pictures:
        try:
            link = await upload_file(
                rt,
                channel_id,
                filename=picture.filename,
                title=picture.title,
                content=picture.content,
                comment=None,
            )
        except Exception as exc:
            log.warning("picture upload to %s failed: %s", channel_id, type(exc).__name__)
            out.picture_problems[picture.filename] = slack_error_text(exc)
            continue
        out.picture_links[picture.filename] = link
        canvas_markdown = canvas_markdown.replace(f"]({picture.filename})", f"]({link})")
    try:
        out.canvas_link = await create_canvas(rt, channel_id, title=title, markdown=canvas_markdown)
    except Exception as exc:
        log.info("canvas in %s not created: %s", channel_id, slack_error_text(exc))
        out.canvas_problem = slack_error_text(exc)
    return out


async def user_names(rt: Runtime, user_ids: Iterable[str | None]) -> dict[str, str]:
    """Display names for the people in a document (users.info); unknown ones are left out."""
    wanted = sorted({u for u in user_ids if u})[:MAX_NAME_LOOKUPS]
    gate = asyncio.Semaphore(NAME_LOOKUP_CONCURRENCY)
    names: dict[str, str] = {}

    async def lookup(user_id: str) -> None:
        async with gate:
            try:
                resp = await rt.client.users_info(user=user_id)
            except Exception:
                return
        user = resp.get("user") or {}
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("real_name")
        name = name or user.get("name")
        if name:
            names[user_id] = str(name)

    await asyncio.gather(*(lookup(u) for u in wanted))
    return names
