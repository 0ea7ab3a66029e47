"""CHECKLISTS_FILE: which checklists to post at declare, by severity and by alert label.

    checklists:
      - name: Every SEV1 and SEV2
        when: {severity: [sev1, sev2]}
        items:
          - Name a communicator within 5 minutes
      - name: Payments
        when: {labels: {service: payments}}
        items:
          - Page the payments on-call

A bad file stops the bot at start-up with the file, the line and the problem; a missing file
means no checklists. The file is read once per path (the bot is restarted to change it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from storage.models.incidents import SEVERITIES

MAX_ITEMS = 60  # checkboxes in the war room: 10 an element, within 50 blocks a message
MAX_TEXT = 150  # a checkbox option's text


class ChecklistFileError(Exception):
    """What is wrong with the file, as `path, line N: problem`."""


@dataclass(frozen=True)
class ChecklistDef:
    name: str
    items: tuple[str, ...]
    severities: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    line: int = 0

    def matches(self, severity: str, labels: dict[str, str]) -> bool:
        """Every condition in `when` holds (no conditions: always)."""
        if self.severities and severity.lower() not in self.severities:
            return False
        return all(labels.get(k) == v for k, v in self.labels.items())


def _fail(path: str, node: Node, problem: str) -> ChecklistFileError:
    return ChecklistFileError(f"{path}, line {node.start_mark.line + 1}: {problem}")


def _mapping(path: str, node: Node, what: str) -> dict[str, Node]:
    if not isinstance(node, MappingNode):
        raise _fail(path, node, f"{what} must be a mapping (key: value)")
    out: dict[str, Node] = {}
    for key, value in node.value:
        if not isinstance(key, ScalarNode):
            raise _fail(path, key, f"the keys of {what} must be words")
        if key.value in out:
            raise _fail(path, key, f"`{key.value}` appears twice in {what}")
        out[key.value] = value
    return out


def _text(path: str, node: Node, what: str) -> str:
    if not isinstance(node, ScalarNode) or not str(node.value).strip():
        raise _fail(path, node, f"{what} must be a non-empty text")
    return str(node.value).strip()


def _list(path: str, node: Node, what: str) -> list[Node]:
    if not isinstance(node, SequenceNode):
        raise _fail(path, node, f"{what} must be a list (lines starting with `- `)")
    return list(node.value)


def _checklist(path: str, node: Node) -> ChecklistDef:
    fields = _mapping(path, node, "a checklist")
    unknown = set(fields) - {"name", "when", "items"}
    if unknown:
        key = sorted(unknown)[0]
        raise _fail(path, fields[key], f"unknown key `{key}` (use name, when, items)")
    if "name" not in fields:
        raise _fail(path, node, "this checklist has no `name`")
    name = _text(path, fields["name"], "`name`")
    if "items" not in fields:
        raise _fail(path, node, f"checklist `{name}` has no `items`")
    items = tuple(_text(path, i, "an item") for i in _list(path, fields["items"], "`items`"))
    if not items:
        raise _fail(path, fields["items"], f"checklist `{name}` has no items")
    for item_node, item in zip(_list(path, fields["items"], "`items`"), items, strict=True):
        if len(item) > MAX_TEXT:
            raise _fail(path, item_node, f"an item is {len(item)} characters; keep to {MAX_TEXT}")
    severities: tuple[str, ...] = ()
    labels: dict[str, str] = {}
    if "when" in fields:
        when = _mapping(path, fields["when"], "`when`")
        unknown = set(when) - {"severity", "labels"}
        if unknown:
            key = sorted(unknown)[0]
            raise _fail(path, when[key], f"unknown condition `{key}` (use severity, labels)")
        if "severity" in when:
            raw = when["severity"]
            nodes = [raw] if isinstance(raw, ScalarNode) else _list(path, raw, "`severity`")
            found = []
            for n in nodes:
                word = _text(path, n, "a severity").lower()
                if word not in SEVERITIES:
                    raise _fail(
                        path, n, f"`{word}` is not a severity (one of {', '.join(SEVERITIES)})"
                    )
                found.append(word)
            severities = tuple(found)
        if "labels" in when:
            labels = {
                k: _text(path, v, f"label `{k}`")
                for k, v in _mapping(path, when["labels"], "`labels`").items()
            }
    return ChecklistDef(name, items, severities, labels, node.start_mark.line + 1)


def parse_checklists(text: str, path: str) -> tuple[ChecklistDef, ...]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise ChecklistFileError(f"{path}, line {line}: not valid YAML ({exc.problem})") from None
    except yaml.YAMLError as exc:
        raise ChecklistFileError(f"{path}: not valid YAML ({exc})") from None
    if root is None:
        return ()
    top = _mapping(path, root, "the file")
    if set(top) != {"checklists"}:
        extra = sorted(set(top) - {"checklists"})
        where = top[extra[0]] if extra else root
        raise _fail(path, where, "the file must have one key, `checklists`, holding a list")
    defs = tuple(_checklist(path, n) for n in _list(path, top["checklists"], "`checklists`"))
    return defs


@lru_cache(maxsize=8)
def load_checklists(path: str | None) -> tuple[ChecklistDef, ...]:
    """The checklists in `path`; none if it is unset or missing; ChecklistFileError if bad."""
    if not path:
        return ()
    file = Path(path)
    if not file.exists():
        return ()
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ChecklistFileError(f"{path}: cannot be read ({exc.__class__.__name__})") from None
    return parse_checklists(text, path)


def matching(
    defs: tuple[ChecklistDef, ...], severity: str, labels: dict[str, str]
) -> list[ChecklistDef]:
    return [d for d in defs if d.matches(severity, labels)]
