"""Block Kit as HTML for the playground page: every block and element type the bot sends has a
renderer here (tests/playground/test_renderers.py holds the bot to it). Everything from a
message is escaped; an unknown type shows as a visible placeholder and is counted in
`Rendered.unknown`, so a new builder cannot silently show nothing.

Interactive elements become form controls named after Slack's own ids: a message's
`data-action` (and a modal input's name) is the JSON of [block_id, action_id, element type]: the
page's script posts a message's back as a `block_actions` interaction, and a modal's become a
view_submission's `state.values`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

BLOCKS = frozenset(
    {"section", "context", "header", "divider", "image", "actions", "input", "rich_text"}
    | {"markdown", "file"}
)
ELEMENTS = frozenset(
    {"button", "static_select", "multi_static_select", "users_select", "multi_users_select"}
    | {"channels_select", "multi_channels_select", "conversations_select", "checkboxes"}
    | {"radio_buttons", "overflow", "datepicker", "timepicker", "plain_text_input"}
    | {"number_input", "image", "mrkdwn", "plain_text"}
)
# Slack escapes these three in message text; the page shows them as typed.
_SLACK_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))
_LINK = re.compile(r"<([^<>]+)>")
_EMOJI = {
    "rotating_light": "🚨", "white_check_mark": "✅", "pushpin": "📌", "warning": "⚠️",
    "fire": "🔥", "eyes": "👀", "memo": "📝", "bell": "🔔", "hourglass": "⌛", "x": "❌",
    "large_green_circle": "🟢", "red_circle": "🔴", "clipboard": "📋",
    "chart_with_upwards_trend": "📈", "loudspeaker": "📢",
    "busts_in_silhouette": "👥", "telephone_receiver": "📞", "sunrise": "🌅", "tada": "🎉",
}  # fmt: skip


@dataclass
class Choices:
    """Who and where the page offers in users and channels selects: (id, label) pairs."""

    users: list[tuple[str, str]] = field(default_factory=list)
    channels: list[tuple[str, str]] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # any id -> its display name


@dataclass
class Rendered:
    html: Markup
    unknown: list[str]


def _unslack(text: str) -> str:
    for entity, char in _SLACK_ENTITIES:
        text = text.replace(entity, char)
    return text


def mrkdwn(text: Any, choices: Choices | None = None) -> Markup:
    """Slack's mrkdwn as HTML: <links>, mentions, *bold*, _italic_, ~strike~, `code`."""
    names = choices.names if choices else {}
    out: list[str] = []
    pos = 0
    raw = str(text or "")
    for match in _LINK.finditer(raw):
        out.append(_inline(raw[pos : match.start()]))
        out.append(_link(match.group(1), names))
        pos = match.end()
    out.append(_inline(raw[pos:]))
    return Markup("".join(out).replace("\n", "<br>"))


def _inline(segment: str) -> str:
    html = str(escape(_unslack(segment)))
    html = re.sub(r":([a-z0-9_+-]+):", lambda m: _EMOJI.get(m.group(1), m.group(0)), html)
    html = re.sub(r"```(.+?)```", r"<pre>\1</pre>", html, flags=re.S)
    html = re.sub(r"`([^`\n]+)`", r"<code>\1</code>", html)
    html = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"<b>\1</b>", html)
    html = re.sub(r"(?<![\w_])_([^_\n]+)_(?![\w_])", r"<i>\1</i>", html)
    return re.sub(r"(?<![\w~])~([^~\n]+)~(?![\w~])", r"<s>\1</s>", html)


def _link(inner: str, names: dict[str, str]) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        who = names.get(target[1:], label or target[1:])
        return str(Markup('<span class="mention">@{}</span>').format(_unslack(who)))
    if target.startswith("#"):
        where = label or names.get(target[1:], target[1:])
        return str(Markup('<span class="mention">#{}</span>').format(_unslack(where)))
    if target.startswith("!"):
        return str(Markup('<span class="mention">@{}</span>').format(label or target[1:]))
    url = _unslack(target)
    if not url.startswith(("http://", "https://", "mailto:")):
        return str(escape(_unslack(label or target)))
    return str(
        Markup('<a href="{}" target="_blank" rel="noopener">{}</a>').format(
            url, _unslack(label or target)
        )
    )


def text_object(obj: Any, choices: Choices | None = None) -> Markup:
    if not isinstance(obj, dict):
        return escape(str(obj or ""))
    if obj.get("type") == "mrkdwn":
        return mrkdwn(obj.get("text"), choices)
    return Markup("{}").format(_unslack(str(obj.get("text", ""))))


class Renderer:
    """Renders one message's or view's blocks; `unknown` lists the types it had no renderer
    for. `modal` makes inputs form fields (a view) rather than immediate actions (a message)."""

    def __init__(self, choices: Choices | None = None, *, modal: bool = False) -> None:
        self.choices = choices or Choices()
        self.modal = modal
        self.unknown: list[str] = []
        self.errors: dict[str, str] = {}  # block_id -> Slack's validation error (a modal's)

    def blocks(self, blocks: Iterable[Any] | None) -> Markup:
        return Markup("").join(self.block(b) for b in blocks or [] if isinstance(b, dict))

    def block(self, block: dict[str, Any]) -> Markup:
        kind = str(block.get("type"))
        render: Callable[[dict[str, Any]], Markup] | None = getattr(self, f"_b_{kind}", None)
        if render is None or kind not in BLOCKS:
            self.unknown.append(f"block {kind}")
            return Markup('<div class="unknown">[no renderer for block {}]</div>').format(kind)
        return Markup('<div class="block b-{}">{}</div>').format(kind, render(block))

    def _t(self, obj: Any) -> Markup:
        return text_object(obj, self.choices)

    # ---- blocks -----------------------------------------------------------------------------
    def _b_section(self, b: dict[str, Any]) -> Markup:
        parts = [Markup('<div class="text">{}</div>').format(self._t(b.get("text")))]
        if b.get("fields"):
            cells = Markup("").join(
                Markup('<div class="field">{}</div>').format(self._t(f)) for f in b["fields"]
            )
            parts.append(Markup('<div class="fields">{}</div>').format(cells))
        if isinstance(b.get("accessory"), dict):
            parts.append(
                Markup('<div class="accessory">{}</div>').format(self.element(b["accessory"], b))
            )
        return Markup("").join(parts)

    def _b_context(self, b: dict[str, Any]) -> Markup:
        return Markup("").join(
            Markup('<span class="ctx">{}</span>').format(self.element(e, b))
            for e in b.get("elements") or []
            if isinstance(e, dict)
        )

    def _b_header(self, b: dict[str, Any]) -> Markup:
        return Markup("<h3>{}</h3>").format(self._t(b.get("text")))

    def _b_divider(self, b: dict[str, Any]) -> Markup:
        return Markup("<hr>")

    def _b_image(self, b: dict[str, Any]) -> Markup:
        title = self._t(b.get("title")) if b.get("title") else Markup("")
        return Markup('<figure><img src="{}" alt="{}"><figcaption>{}</figcaption></figure>').format(
            _safe_url(b.get("image_url")), b.get("alt_text", ""), title
        )

    def _b_file(self, b: dict[str, Any]) -> Markup:
        return Markup('<a href="/files/{}">a file</a>').format(b.get("file_id", ""))

    def _b_markdown(self, b: dict[str, Any]) -> Markup:
        return Markup('<div class="text">{}</div>').format(mrkdwn(b.get("text"), self.choices))

    def _b_actions(self, b: dict[str, Any]) -> Markup:
        return Markup("").join(
            self.element(e, b) for e in b.get("elements") or [] if isinstance(e, dict)
        )

    def _b_input(self, b: dict[str, Any]) -> Markup:
        optional = Markup(' <span class="optional">(optional)</span>') if b.get("optional") else ""
        hint = (
            Markup('<div class="hint">{}</div>').format(self._t(b["hint"])) if "hint" in b else ""
        )
        error = self.errors.get(str(b.get("block_id")))
        shown = Markup('<div class="error">{}</div>').format(error) if error else ""
        return Markup("<label>{}{}</label>{}{}{}").format(
            self._t(b.get("label")), optional, self.element(b.get("element") or {}, b), hint, shown
        )

    def _b_rich_text(self, b: dict[str, Any]) -> Markup:
        return Markup("").join(_rich(e) for e in b.get("elements") or [] if isinstance(e, dict))

    # ---- elements ---------------------------------------------------------------------------
    def element(self, e: dict[str, Any], block: dict[str, Any]) -> Markup:
        kind = str(e.get("type"))
        if kind not in ELEMENTS:
            self.unknown.append(f"element {kind}")
            return Markup('<span class="unknown">[no renderer for element {}]</span>').format(kind)
        if kind in ("mrkdwn", "plain_text"):
            return self._t(e)
        if kind == "image":
            return Markup('<img class="ctx-img" src="{}" alt="{}">').format(
                _safe_url(e.get("image_url")), e.get("alt_text", "")
            )
        name = json.dumps([block.get("block_id", ""), e.get("action_id", ""), kind])
        data = Markup('name="{}" data-action="{}"').format(name, name)
        if kind == "button":
            style = e.get("style", "")
            value = json.dumps({"value": e.get("value", ""), "text": e.get("text")})
            return Markup(
                '<button type="button" class="btn {}" {} data-value="{}" data-url="{}">{}</button>'
            ).format(style, data, value, _safe_url(e.get("url")), self._t(e.get("text")))
        if kind == "plain_text_input":
            tag = "textarea" if e.get("multiline") else "input"
            initial = e.get("initial_value", "")
            placeholder = _plain(e.get("placeholder"))
            if tag == "textarea":
                return Markup('<textarea {} placeholder="{}">{}</textarea>').format(
                    data, placeholder, initial
                )
            return Markup('<input type="text" {} placeholder="{}" value="{}">').format(
                data, placeholder, initial
            )
        if kind == "number_input":
            return Markup('<input type="number" step="any" {} value="{}">').format(
                data, e.get("initial_value", "")
            )
        if kind == "datepicker":
            return Markup('<input type="date" {} value="{}">').format(
                data, e.get("initial_date", "")
            )
        if kind == "timepicker":
            return Markup('<input type="time" {} value="{}">').format(
                data, e.get("initial_time", "")
            )
        if kind in ("checkboxes", "radio_buttons"):
            return self._choices_list(e, data, "checkbox" if kind == "checkboxes" else "radio")
        return self._select(e, kind, data)

    def _choices_list(self, e: dict[str, Any], data: Markup, kind: str) -> Markup:
        initial = {str(o.get("value")) for o in _initial_options(e)}
        items = Markup("").join(
            Markup('<label class="opt"><input type="{}" {} value="{}"{}> {}</label>').format(
                kind,
                data,
                json.dumps(o),
                Markup(" checked") if str(o.get("value")) in initial else "",
                self._t(o.get("text")),
            )
            for o in e.get("options") or []
        )
        return Markup('<div class="choices">{}</div>').format(items)

    def _select(self, e: dict[str, Any], kind: str, data: Markup) -> Markup:
        multiple = Markup(" multiple") if kind.startswith("multi_") or kind == "overflow" else ""
        if kind == "overflow":
            multiple = Markup("")
        options: list[tuple[str, str]]  # (value as posted, label)
        initial: set[str] = set()
        if kind in ("static_select", "multi_static_select", "overflow"):
            groups = e.get("option_groups") or [{"options": e.get("options") or []}]
            flat = [o for g in groups for o in g.get("options") or []]
            options = [(json.dumps(o), _plain(o.get("text"))) for o in flat]
            initial = {json.dumps(o) for o in _initial_options(e)}
        elif "user" in kind:
            options = self.choices.users
            initial = {str(e.get("initial_user", ""))} | set(e.get("initial_users") or [])
        else:
            options = self.choices.channels
            initial = {str(e.get("initial_channel", e.get("initial_conversation", "")))}
        first = "⋯" if kind == "overflow" else _plain(e.get("placeholder")) or "Choose…"
        blank = Markup('<option value="">{}</option>').format(first) if not multiple else ""
        opts = Markup("").join(
            Markup('<option value="{}"{}>{}</option>').format(
                value, Markup(" selected") if value in initial else "", label
            )
            for value, label in options
        )
        return Markup('<select class="{}" {}{}>{}{}</select>').format(
            kind, data, multiple, blank, opts
        )


def _initial_options(e: dict[str, Any]) -> list[dict[str, Any]]:
    one = e.get("initial_option")
    return [one] if isinstance(one, dict) else list(e.get("initial_options") or [])


def _plain(obj: Any) -> str:
    return _unslack(str(obj.get("text", ""))) if isinstance(obj, dict) else str(obj or "")


def _safe_url(url: Any) -> str:
    text = str(url or "")
    return text if text.startswith(("http://", "https://", "/")) else ""


def _rich(e: dict[str, Any]) -> Markup:
    """A rich_text element (section, list, quote, preformatted) and its inline runs."""
    kind = e.get("type")
    inner = Markup("").join(_rich(c) for c in e.get("elements") or [] if isinstance(c, dict))
    if kind == "text":
        return Markup("{}").format(e.get("text", ""))
    if kind == "link":
        return Markup('<a href="{}">{}</a>').format(_safe_url(e.get("url")), e.get("text") or "")
    if kind in ("user", "channel", "usergroup"):
        return Markup('<span class="mention">{}</span>').format(
            e.get("user_id") or e.get("channel_id") or ""
        )
    if kind == "emoji":
        return Markup(":{}:").format(e.get("name", ""))
    tags = {
        "rich_text_list": "ul",
        "rich_text_quote": "blockquote",
        "rich_text_preformatted": "pre",
    }
    return Markup("<{0}>{1}</{0}>").format(Markup(tags.get(str(kind), "div")), inner)


def render_blocks(blocks: Any, choices: Choices | None = None, *, modal: bool = False) -> Rendered:
    renderer = Renderer(choices, modal=modal)
    html = renderer.blocks(blocks if isinstance(blocks, list) else [])
    return Rendered(html, renderer.unknown)
