"""The import graph keeps the layout honest: dependencies point one way, with no cycles.

    app (bot.app, handlers, bot.__main__) → domains → bot.slack → bot.core → storage

Domains are ordered (DOMAINS); each may use the ones before it, through their public names only.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOMAINS = [
    "incidents",
    "timeline",
    "cadence",
    "checklists",
    "response",
    "alerts",
    "postmortem",
    "followthrough",
    "learning",
    "home",
]
# Rank of each layer: a module may import only modules of a lower or equal rank.
RANKS = {"storage": 0, "bot.core": 1, "bot.slack": 2}
RANKS |= {f"bot.{name}": 3 + i for i, name in enumerate(DOMAINS)}
APP_RANK = 100  # bot.app, handlers, bot.__main__: they assemble everything


def rank(module: str) -> int:
    for prefix, value in sorted(RANKS.items(), key=lambda kv: -len(kv[0])):
        if module == prefix or module.startswith(prefix + "."):
            return value
    return APP_RANK


def imports() -> dict[str, list[tuple[str, list[str]]]]:
    """Every module's imports of our own code, lazy and TYPE_CHECKING ones included."""
    graph: dict[str, list[tuple[str, list[str]]]] = {}
    for package in ("bot", "handlers", "storage"):
        for path in (ROOT / package).rglob("*.py"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(
                ".__init__"
            )
            found = graph.setdefault(module, [])
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    found.append((node.module, [a.name for a in node.names]))
                elif isinstance(node, ast.Import):
                    found.extend((a.name, []) for a in node.names)
    ours = ("bot", "handlers", "storage")
    return {m: [(t, n) for t, n in deps if t.split(".")[0] in ours] for m, deps in graph.items()}


def test_dependencies_point_one_way() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, deps in imports().items()
        for target, _ in deps
        if rank(target) > rank(module)
    ]
    assert not wrong, "imports against the layering:\n" + "\n".join(wrong)


def test_other_domains_are_used_through_public_names_only() -> None:
    private = [
        f"{module} imports {name} from {target}"
        for module, deps in imports().items()
        for target, names in deps
        if rank(target) != rank(module)
        for name in names
        if name.startswith("_")
    ]
    assert not private, "\n".join(private)


def test_no_import_cycles() -> None:
    found = imports()
    graph: dict[str, set[str]] = {}
    for module, deps in found.items():
        targets = graph.setdefault(module, set())
        for target, names in deps:
            # `from bot.timeline import commands` imports the module bot.timeline.commands
            submodules = {f"{target}.{name}" for name in names} & found.keys()
            targets |= submodules or ({target} & found.keys())
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycle = [*path[path.index(module) :], module]
            raise AssertionError("import cycle: " + " → ".join(cycle))
        if module in done:
            return
        for target in sorted(graph[module]):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
