"""The playground page's HTML: the sidebar (people, channels, DMs, App Home), a channel's
messages with their threads, ephemerals, reactions and files, and the open modal. Everything
shown is escaped (markupsafe), Block Kit through bot/playground/blockkit.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from markupsafe import Markup, escape

from bot.playground.blockkit import Choices, Renderer, mrkdwn, text_object
from bot.playground.client import PlaygroundClient, person_name
from bot.playground.people import BY_ID, PEOPLE
from bot.playground.standin.methods import Channel

BANNER = "Playground: a local stand-in for Slack. Nothing here reaches a real Slack workspace."
REACTIONS = ("pushpin", "eyes", "white_check_mark")
EMOJI = {"pushpin": "📌", "eyes": "👀", "white_check_mark": "✅"}


def choices(client: PlaygroundClient) -> Choices:
    standin = client.standin
    users = [(p.id, f"{p.name} ({p.role})") for p in PEOPLE]
    channels = [(c.id, f"#{c.name}") for c in standin.channels.values() if not _is_dm(c)]
    names = {p.id: p.name for p in PEOPLE} | {standin.bot_user_id: "sisyphus"}
    names |= {c.id: c.name for c in standin.channels.values()}
    return Choices(users=users, channels=channels, names=names)


def _is_dm(channel: Channel) -> bool:
    return channel.id.startswith("D")


def visible_channels(client: PlaygroundClient, user: str) -> list[Channel]:
    """Public channels, and private ones the person is in (as Slack's sidebar shows)."""
    return [
        c
        for c in client.standin.channels.values()
        if not _is_dm(c) and (not c.is_private or user in c.members)
    ]


def dm_of(client: PlaygroundClient, user: str) -> Channel | None:
    standin = client.standin
    wanted = "D" + user.lstrip("UW")
    return standin.channels.get(wanted) or standin.dms.get(user) or standin.dms.get(wanted)


def sidebar(client: PlaygroundClient, user: str, current: str) -> Markup:
    people = Markup("").join(
        Markup('<option value="{}"{}>{} · {} ({})</option>').format(
            p.id, Markup(" selected") if p.id == user else "", p.name, p.role, p.tz
        )
        for p in PEOPLE
    )
    links = []
    for c in visible_channels(client, user):
        mark = "🔒" if c.is_private else "#"
        links.append(_nav(f"c={c.id}", f"{mark} {c.name}", current == c.id, c.id))
    dm = dm_of(client, user)
    dm_link = _nav(f"c={dm.id}", "sisyphus (DM)", current == dm.id, dm.id) if dm else ""
    home = _nav("home=1", "🏠 App Home", current == "home", "home")
    return Markup(
        '<label class="who">You are <select id="person">{}</select></label>'
        "<h4>Channels</h4>{}<h4>Direct messages</h4>{}<h4>Apps</h4>{}"
        '<h4>Try</h4><button type="button" id="fire-alert">🔥 Fire an alert</button>'
        '<button type="button" id="shortcut-declare">⚡ Declare incident (shortcut)</button>'
    ).format(people, Markup("").join(links), dm_link, home)


def _nav(query: str, label: str, active: bool, key: str) -> Markup:
    return Markup('<a class="nav{}" data-nav="{}" href="?{}">{}</a>').format(
        " active" if active else "", key, query, label
    )


def _when(ts: str) -> str:
    try:
        return datetime.fromtimestamp(float(ts), UTC).strftime("%H:%M:%S UTC")
    except ValueError:
        return ""


def message_html(
    client: PlaygroundClient,
    message: dict[str, Any],
    channel: str,
    user: str,
    *,
    ephemeral: bool = False,
    edited: bool = False,
) -> Markup:
    standin = client.standin
    author = message.get("user", "")
    is_bot = ephemeral or author == standin.bot_user_id or bool(message.get("bot_id"))
    name = "sisyphus" if is_bot else person_name(str(author))
    renderer = Renderer(choices(client))
    if message.get("subtype") == "tombstone":
        body = Markup("<i>This message was deleted.</i>")
    elif message.get("blocks"):
        body = renderer.blocks(message["blocks"])
    else:
        body = mrkdwn(message.get("text", ""), renderer.choices)
    flags = []
    if ephemeral:
        flags.append(Markup('<span class="flag eph">Only visible to you</span>'))
    if edited:
        flags.append(Markup('<span class="flag">(edited)</span>'))
    if is_bot:
        flags.append(Markup('<span class="flag app">APP</span>'))
    reactions = Markup("").join(
        Markup('<button type="button" class="reaction" data-react="{}">{} {}</button>').format(
            r["name"], EMOJI.get(r["name"], f":{r['name']}:"), r.get("count", 0)
        )
        for r in message.get("reactions") or []
    )
    tools = Markup("")
    if not ephemeral:
        add = Markup("").join(
            Markup(
                '<button type="button" class="tool" data-react="{}" title="react :{}:">{}</button>'
            ).format(n, n, EMOJI[n])
            for n in REACTIONS
        )
        tools = Markup(
            '{}<button type="button" class="tool" data-reply="1">reply</button>'
            '<button type="button" class="tool" data-shortcut="add_to_timeline">'
            "add to timeline</button>{}"
        ).format(
            add,
            Markup('<button type="button" class="tool" data-delete="1">delete</button>')
            if author == user
            else "",
        )
    unknown = Markup('<span class="unknown-count" hidden>{}</span>').format(
        json.dumps(renderer.unknown)
    )
    return Markup(
        '<div class="msg{}" data-channel="{}" data-ts="{}" data-ephemeral="{}">'
        '<div class="meta"><b>{}</b> <span class="time">{}</span> {}</div>'
        '<div class="body">{}</div><div class="reactions">{}</div>'
        '<div class="tools">{}</div>{}</div>'
    ).format(
        " ephemeral" if ephemeral else "",
        channel,
        message.get("ts", ""),
        "1" if ephemeral else "",
        name,
        _when(str(message.get("ts", "0"))),
        Markup(" ").join(flags),
        body,
        reactions,
        tools,
        unknown,
    )


def file_html(upload: dict[str, Any], file_id: str) -> Markup:
    title = upload.get("title") or upload.get("filename") or file_id
    comment = upload.get("initial_comment")
    return Markup(
        '<div class="msg file"><div class="meta"><b>sisyphus</b> <span class="time">{}</span>'
        ' <span class="flag app">APP</span></div><div class="body">{}'
        '<a class="file-link" href="/files/{}" target="_blank">📄 {}</a></div></div>'
    ).format(
        _when(str(upload.get("shared_ts", "0"))),
        mrkdwn(comment) if comment else "",
        file_id,
        title,
    )


def channel_pane(client: PlaygroundClient, user: str, channel_id: str) -> Markup:
    standin = client.standin
    channel = standin.channels.get(channel_id) or standin.dms.get(channel_id)
    if channel is None:
        return Markup('<div class="empty">No such channel.</div>')
    if channel.is_private and user not in channel.members and not _is_dm(channel):
        return Markup('<div class="empty">This channel is private and you are not in it.</div>')
    edited = {c.params.get("ts") for c in standin.calls if c.method == "chat.update" and c.ok}
    items: list[tuple[Decimal, Markup]] = []
    replies: dict[str, list[dict[str, Any]]] = {}
    for m in channel.messages:
        thread = m.get("thread_ts")
        if thread and thread != m["ts"] and m.get("subtype") != "thread_broadcast":
            replies.setdefault(thread, []).append(m)
    for m in channel.messages:
        thread = m.get("thread_ts")
        if thread and thread != m["ts"] and m.get("subtype") != "thread_broadcast":
            continue
        html = message_html(client, m, channel.id, user, edited=m["ts"] in edited)
        thread_html = Markup("").join(
            message_html(client, r, channel.id, user, edited=r["ts"] in edited)
            for r in sorted(replies.get(m["ts"], []), key=lambda r: Decimal(r["ts"]))
        )
        if thread_html:
            html += Markup('<div class="thread">{}</div>').format(thread_html)
        items.append((Decimal(m["ts"]), html))
    for e in standin.ephemerals:
        if e.get("channel") == channel.id and e.get("user") == user:
            items.append(
                (Decimal(e["ts"]), message_html(client, e, channel.id, user, ephemeral=True))
            )
    for file_id, upload in standin.uploads.items():
        if upload.get("channel_id") == channel.id and upload.get("completed"):
            items.append((Decimal(str(upload.get("shared_ts", "0"))), file_html(upload, file_id)))
    items.sort(key=lambda item: item[0])
    topic = Markup(' <span class="topic">{}</span>').format(channel.topic) if channel.topic else ""
    title = f"#{channel.name}" if not _is_dm(channel) else "sisyphus (direct message)"
    body = Markup("").join(html for _, html in items) or Markup(
        '<div class="empty">No messages yet.</div>'
    )
    return Markup('<h2 class="channel-title">{}{}</h2><div class="messages">{}</div>').format(
        title, topic, body
    )


def home_pane(client: PlaygroundClient, user: str) -> Markup:
    view = client.standin.home_views.get(user)
    if view is None:
        return Markup('<h2>App Home</h2><div class="empty">The bot has not published it yet.</div>')
    renderer = Renderer(choices(client))
    return Markup('<h2>App Home</h2><div class="home" data-view="{}">{}</div>').format(
        view.get("id", ""), renderer.blocks(view.get("blocks"))
    )


def modal_html(client: PlaygroundClient, user: str) -> tuple[str, Markup]:
    """(a key that changes when the modal does, its HTML); ("", "") when none is open."""
    playground = client  # (not `client.`: tests/project reads that as a Web API call)
    view = playground.modal_of(user)
    if view is None:
        return "", Markup("")
    view_id = str(view.get("id"))
    renderer = Renderer(choices(client), modal=True)
    renderer.errors = client.errors.get(view_id, {})
    blocks = renderer.blocks(view.get("blocks"))
    key = json.dumps([view_id, view.get("hash"), len(client.standin.calls), renderer.errors])
    submit = view.get("submit")
    submit_html = (
        Markup('<button type="submit" class="btn primary">{}</button>').format(text_object(submit))
        if submit
        else ""
    )
    close = text_object(view.get("close")) if view.get("close") else "Cancel"
    return key, Markup(
        '<div class="overlay"><form class="modal" data-view="{}">'
        '<h3>{}</h3>{}<div class="modal-buttons">'
        '<button type="button" class="btn" data-close="1">{}</button>{}</div></form></div>'
    ).format(view_id, text_object(view.get("title")), blocks, close, submit_html)


def notices_html(client: PlaygroundClient, user: str) -> Markup:
    mine = [n for n in client.notices if n.user == user][-3:]
    return Markup("").join(Markup('<div class="notice">{}</div>').format(n.text) for n in mine)


def pane(client: PlaygroundClient, user: str, channel: str, home: bool) -> Markup:
    main = home_pane(client, user) if home else channel_pane(client, user, channel)
    return Markup("{}{}").format(notices_html(client, user), main)


def known_person(user: str) -> bool:
    return user in BY_ID


__all__ = ["BANNER", "escape", "known_person", "modal_html", "pane", "sidebar"]
