"""Reading a YAML configuration document while keeping each value's line.

The document is composed (yaml's node tree, which keeps marks) and then constructed into plain
Python data; `line_of` walks the node tree along a JSON path (`("services", 2, "name")`) to
the line a problem is about. YAML's own errors come back as a line and a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Loc = Sequence[str | int]


@dataclass(frozen=True)
class Document:
    """A parsed file: its data (None when empty) and its root node (for lines)."""

    data: Any
    root: Node | None


@dataclass(frozen=True)
class LineProblem:
    line: int  # 1-based; 0 when the problem is about the whole file
    problem: str


class YamlSyntaxError(Exception):
    def __init__(self, problem: LineProblem) -> None:
        super().__init__(problem.problem)
        self.problem = problem


def read_document(text: str) -> Document:
    """Parse one YAML document; YamlSyntaxError (with its line) if it is not valid YAML."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        # Constructing flattens merge keys (`<<: *base`) in the nodes too, so they match data.
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = exc.problem or exc.context or "unreadable"
        if exc.context and exc.context_mark and exc.problem_mark:  # where the unclosed began
            start = exc.context_mark.line + 1
            if start != exc.problem_mark.line + 1:
                reason += f"; {exc.context} from line {start}"
        raise YamlSyntaxError(
            LineProblem(mark.line + 1 if mark else 0, f"not valid YAML ({reason})")
        ) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(LineProblem(0, f"not valid YAML ({exc})")) from None
    finally:
        loader.dispose()
    return Document(data, root)


def duplicate_keys(root: Node | None) -> list[LineProblem]:
    """Keys given twice in one mapping (YAML keeps the last one silently)."""
    found: list[LineProblem] = []
    seen_nodes: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:  # an alias: the same node again
            continue
        seen_nodes.add(id(node))
        if isinstance(node, MappingNode):
            keys: set[str] = set()
            for key, value in node.value:
                if isinstance(key, ScalarNode):
                    if key.value in keys:
                        found.append(LineProblem(_line(key), f"`{key.value}` appears twice"))
                    keys.add(key.value)
                stack.append(value)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return sorted(found, key=lambda p: p.line)


def line_of(root: Node | None, loc: Loc) -> int:
    """The line of the value at `loc`, or of the nearest enclosing one that exists.

    A mapping entry counts from its key's line (`runbooks:` rather than the first `- ` under
    it); a missing key gives the line of the mapping that lacks it.
    """
    if root is None:
        return 0
    node: Node = root
    line = _line(root)
    for part in loc:
        if isinstance(node, MappingNode):
            pair = next(
                (
                    (k, v)
                    for k, v in reversed(node.value)  # YAML keeps the last of a duplicate
                    if isinstance(k, ScalarNode) and k.value == str(part)
                ),
                None,
            )
            if pair is None:
                return line
            line, node = _line(pair[0]), pair[1]
        elif isinstance(node, SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                return line
            node = node.value[part]
            line = _line(node)
        else:
            return line
    return line


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1
