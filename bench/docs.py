"""Write the parts of docs/ that come from the code, so they cannot drift: `make docs`.

Each generated part sits between two markers in its page (`<!-- NAME:start -->` and
`<!-- NAME:end -->`) and is rewritten whole:

- docs/commands.md, `commands`: every subcommand in the order of `/incident help` and
  `/postmortem help`, with its synopsis and summary (from the command registry);
- docs/permissions.md, `permissions`: the permission table (bot/slack/permissions.py);
- docs/configuration.md, `settings`: every setting of bot/core/settings.py, with its default and
  limits from the code and its meaning from docs/settings.yml (or the field's own description);
- docs/configuration.md, `config-file`: the sections and fields of the configuration file, from
  the JSON Schema sisyphus.schema.json at the repository root (nothing while there is none).

tests/project/test_docs_match_code.py fails while a page differs from what this writes.
`--check` only says which parts are stale (exit 1), changing nothing.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import annotated_types
import yaml
from pydantic.fields import FieldInfo

from bench.cli import bench_parser

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
MEANINGS = DOCS / "settings.yml"
SCHEMA = ROOT / "sisyphus.schema.json"


# --- commands -------------------------------------------------------------------------------


def commands_markdown() -> str:
    """Every subcommand, as `/incident help` and `/postmortem help` list them."""
    import handlers  # noqa: F401  (importing it registers every subcommand)
    from bot.slack.grammar import registry

    lines = []
    for command in registry.commands():
        lines.append(f"**`{command}`**\n")
        for sub in registry.subcommands(command):
            lines.append(f"- `{sub.synopsis}`: {sub.summary}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def permissions_markdown() -> str:
    import handlers  # noqa: F401
    from bot.slack.permissions import permission_table_markdown

    return permission_table_markdown()


# --- settings -------------------------------------------------------------------------------


class DocsError(Exception):
    """docs/settings.yml and the settings disagree; the message says how."""


@dataclass(frozen=True)
class Meaning:
    text: str | None  # None: the field's own description
    default: str | None = None  # for a setting unset by default that some mode requires


def load_meanings(path: Path = MEANINGS) -> dict[str, dict[str, Meaning]]:
    """docs/settings.yml: section title -> setting name -> its meaning, in the page's order."""
    raw = yaml.safe_load(path.read_text()) or {}
    sections: dict[str, dict[str, Meaning]] = {}
    for title, entries in raw.items():
        section = sections.setdefault(str(title), {})
        for name, value in (entries or {}).items():
            if isinstance(value, dict):
                section[name] = Meaning(value.get("meaning"), value.get("default"))
            else:
                section[name] = Meaning(value)
    return sections


def _default(field: FieldInfo) -> str | None:
    """The default as the page shows it, or None when the setting is unset by default."""
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


def _limits(field: FieldInfo) -> str:
    """The field's bounds, compactly: `(2 to 3600)`, `(≥ 0)`, `(> 0, ≤ 60)`."""
    bounds = {
        type(item): getattr(item, type(item).__name__.lower())
        for item in field.metadata
        if isinstance(
            item, annotated_types.Ge | annotated_types.Gt | annotated_types.Le | annotated_types.Lt
        )
    }
    low, high = bounds.get(annotated_types.Ge), bounds.get(annotated_types.Le)
    if low is not None and high is not None and len(bounds) == 2:
        return f" ({low} to {high})"
    words = [f"{sign} {bounds[kind]}" for kind, sign in _SIGNS if kind in bounds]
    return f" ({', '.join(words)})" if words else ""


_SIGNS = (
    (annotated_types.Ge, "≥"),
    (annotated_types.Gt, ">"),
    (annotated_types.Le, "≤"),
    (annotated_types.Lt, "<"),
)


def settings_markdown(meanings: dict[str, dict[str, Meaning]] | None = None) -> str:
    """The settings reference: one table per section of docs/settings.yml."""
    from bot.core.settings import Settings

    meanings = load_meanings() if meanings is None else meanings
    fields = {name.upper(): field for name, field in Settings.model_fields.items()}
    listed = [name for section in meanings.values() for name in section]
    problems = [f"{name} is listed twice in docs/settings.yml" for name in _twice(listed)]
    problems += [
        f"{name} is in docs/settings.yml but not a setting in bot/core/settings.py"
        for name in listed
        if name not in fields
    ]
    problems += [
        f"{name} has no meaning: add it to a section of docs/settings.yml"
        for name in fields
        if name not in listed
    ]
    out: list[str] = []
    for title, section in meanings.items():
        out += [f"### {title}", "", "| Variable | Default | Meaning |", "|---|---|---|"]
        for name, meaning in section.items():
            field = fields.get(name)
            if field is None:
                continue
            text = meaning.text or field.description
            if meaning.text and field.description:
                problems.append(f"{name}: the meaning is the field's description; drop one")
            if not text:
                problems.append(f"{name} has no meaning in docs/settings.yml")
                continue
            default = _default(field)
            if meaning.default is not None:
                if default is not None:
                    problems.append(f"{name}: its default comes from the code, not settings.yml")
                default = meaning.default
            shown = (default or "unset") + _limits(field)
            out.append(f"| `{name}` | {shown} | {text} |")
        out.append("")
    if problems:
        raise DocsError("\n".join(problems))
    return "\n".join(out).rstrip() + "\n"


def _twice(names: list[str]) -> list[str]:
    return sorted({n for n in names if names.count(n) > 1})


# --- the configuration file (sisyphus.schema.json) ------------------------------------------


def config_file_markdown(schema_path: Path = SCHEMA) -> str:
    """The configuration file's sections and fields, or nothing while there is no schema."""
    if not schema_path.exists():
        return ""
    schema = json.loads(schema_path.read_text())
    out = ["## The configuration file", ""]
    if schema.get("description"):
        out += [schema["description"].strip(), ""]
    required = set(schema.get("required", []))
    for name, section in schema.get("properties", {}).items():
        section = _resolve(schema, section)
        out += [f"### `{name}`", ""]
        kind = _type(schema, section)
        says = f"{'Required' if name in required else 'Optional'}; {kind}."
        out += [_join(section.get("description"), says), ""]
        rows = list(_fields(schema, section, ""))
        if rows:
            out += ["| Field | Type | Required | Meaning |", "|---|---|---|---|"]
            for path, field, needed in rows:
                meaning = (field.get("description") or "").strip().replace("\n", " ")
                if field.get("default") is not None:
                    meaning = _join(meaning, f"Default: `{json.dumps(field['default'])}`.")
                out.append(
                    f"| `{path}` | {_type(schema, field)} | {'yes' if needed else 'no'} | "
                    f"{_cell(meaning)} |"
                )
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _join(first: str | None, second: str) -> str:
    if not first:
        return second
    first = first.strip()
    return f"{first}{'' if first.endswith(('.', '.)')) else '.'} {second}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `$ref` (`#/$defs/...`), keeping the referring node's own keywords."""
    seen = 0
    while "$ref" in node and seen < 20:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            break
        target: Any = schema
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        seen += 1
    return node


def _type(schema: dict[str, Any], node: dict[str, Any]) -> str:
    node = _resolve(schema, node)
    if "enum" in node:
        return "one of " + ", ".join(_value(v) for v in node["enum"])
    if "const" in node:
        return _value(node["const"])
    for key in ("oneOf", "anyOf"):
        if key in node:
            return _either(schema, [_resolve(schema, o) for o in node[key]])
    kind = node.get("type", "any")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array":
        items = _resolve(schema, node.get("items", {}))
        return f"list of {_plural(_type(schema, items))}"
    if kind == "object" and "properties" not in node:
        values = node.get("additionalProperties")
        if isinstance(values, dict):
            return f"map of names to {_plural(_type(schema, values))}"
    if kind == "string" and "format" in node:
        return f"string ({node['format']})"
    return str(kind)


def _value(value: Any) -> str:
    """A value as written in YAML: `sev1`, `3`, `true`."""
    return f"`{value if isinstance(value, str) else json.dumps(value)}`"


def _either(schema: dict[str, Any], options: list[dict[str, Any]]) -> str:
    """`anyOf` / `oneOf`: null left out (the Required column says it may be absent), and "one
    value or a list of them" said so."""
    options = [o for o in options if o.get("type") != "null"]
    if len(options) == 2:
        one, many = sorted(options, key=lambda o: o.get("type") == "array")
        if many.get("type") == "array" and _resolve(schema, many.get("items", {})) == one:
            return f"{_type(schema, one)}, or a list of them"
    return " or ".join(_type(schema, option) for option in options) or "null"


def _plural(kind: str) -> str:
    """`string` → `strings`, `string (uri)` → `strings (uri)`; lists, maps and enums as they are."""
    if kind.startswith(("list", "map", "one of", "`")) or " or " in kind:
        return kind
    word, _, rest = kind.partition(" ")
    return f"{word}s {rest}".rstrip()


def _fields(schema: dict[str, Any], node: dict[str, Any], prefix: str) -> Any:
    """(dotted path, field schema, required) for every field under `node`, depth first."""
    node = _resolve(schema, node)
    if node.get("type") == "array":
        node = _resolve(schema, node.get("items", {}))
    elif node.get("type") == "object" and isinstance(node.get("additionalProperties"), dict):
        node = _resolve(schema, node["additionalProperties"])
    required = set(node.get("required", []))
    for name, field in node.get("properties", {}).items():
        field = _resolve(schema, field)
        path = f"{prefix}{name}"
        yield path, field, name in required
        inner = _resolve(schema, field.get("items", {})) if field.get("type") == "array" else field
        if inner.get("properties"):
            yield from _fields(schema, field, f"{path}.")


# --- the pages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    page: str  # under docs/
    name: str  # the markers: <!-- name:start --> ... <!-- name:end -->
    write: Callable[[], str]


BLOCKS = (
    Block("commands.md", "commands", commands_markdown),
    Block("permissions.md", "permissions", permissions_markdown),
    Block("configuration.md", "settings", settings_markdown),
    Block("configuration.md", "config-file", config_file_markdown),
)


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- {name}:start -->\n)(.*?)(<!-- {name}:end -->)", re.S)


def current(block: Block) -> str | None:
    """What the page holds between the block's markers, or None when the markers are missing."""
    found = _pattern(block.name).search((DOCS / block.page).read_text())
    return found.group(2) if found else None


def rewrite(block: Block) -> bool:
    """Rewrite the block in its page; True when that changed the page."""
    path = DOCS / block.page
    text = path.read_text()
    if not _pattern(block.name).search(text):
        raise DocsError(f"docs/{block.page} has no <!-- {block.name}:start/end --> markers")
    new = _pattern(block.name).sub(lambda m: m.group(1) + block.write() + m.group(3), text)
    path.write_text(new)
    return new != text


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__, "bench.docs")
    parser.add_argument(
        "--check", action="store_true", help="only say which parts are stale (exit 1)"
    )
    args = parser.parse_args(argv)
    try:
        if args.check:
            stale = [b for b in BLOCKS if current(b) != b.write()]
            for b in stale:
                print(f"docs/{b.page}: {b.name} is stale; run `make docs`")
            return 1 if stale else 0
        for b in BLOCKS:
            if rewrite(b):
                print(f"docs/{b.page}: {b.name} rewritten")
    except DocsError as problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
