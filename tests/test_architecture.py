"""The import graph keeps the layout honest: dependencies point one way, with no cycles.

    app (bot.app, handlers, bot.__main__) → domains → bot.slack → bot.core → storage

Domains are ordered (handlers.DOMAINS, the one list of them); each may use the ones before it,
through their public names only. A subpackage is a package of its own: no two packages may
import each other, even through others.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import handlers

ROOT = Path(__file__).resolve().parent.parent
# bot.slack is a layer of its own, below every domain, though it has a front door too.
DOMAINS = [d.name for d in handlers.DOMAINS if d.name != "slack"]
# Rank of each layer: a module may import only modules of a lower or equal rank.
RANKS = {"storage": 0, "bot.core": 1, "bot.slack": 2}
RANKS |= {f"bot.{name}": 3 + i for i, name in enumerate(DOMAINS)}
APP_RANK = 100  # bot.app, handlers, bot.__main__: they assemble everything
PROCESS = ("bot.app", "handlers", "bot.__main__")


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


def module_graph() -> dict[str, set[str]]:
    """Module → the modules it imports (`from bot.timeline import commands` imports the module
    bot.timeline.commands)."""
    found = imports()
    graph: dict[str, set[str]] = {}
    for module, deps in found.items():
        targets = graph.setdefault(module, set())
        for target, names in deps:
            submodules = {f"{target}.{name}" for name in names} & found.keys()
            targets |= submodules or ({target} & found.keys())
    return graph


def test_no_import_cycles() -> None:
    graph = module_graph()
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


def package_of(module: str, packages: set[str]) -> str:
    return module if module in packages else module.rpartition(".")[0]


def test_no_cycles_between_packages() -> None:
    graph = module_graph()
    packages = {m for m in graph if (ROOT / m.replace(".", "/") / "__init__.py").is_file()}
    edges: dict[str, dict[str, str]] = {}  # package → package → one import that makes the edge
    for module, targets in graph.items():
        source = package_of(module, packages)
        for target in targets:
            dest = package_of(target, packages)
            # A package's front door (its __init__) may reach into its own subpackages.
            front_door_inward = module == source and dest.startswith(source + ".")
            if dest != source and not front_door_inward:
                edges.setdefault(source, {}).setdefault(dest, f"{module} imports {target}")
    done: set[str] = set()

    def visit(package: str, path: list[str]) -> None:
        if package in path:
            cycle = [*path[path.index(package) :], package]
            steps = [edges[a][b] for a, b in itertools.pairwise(cycle)]
            raise AssertionError("package cycle: " + " → ".join(cycle) + "\n" + "\n".join(steps))
        if package in done:
            return
        for dest in sorted(edges.get(package, {})):
            visit(dest, [*path, package])
        done.add(package)

    for package in sorted(packages):
        visit(package, [])


def test_nothing_below_the_process_imports_it() -> None:
    """handlers/ and bot.app assemble the process; nothing they assemble may import them."""
    wrong = [
        f"{module} imports {target}"
        for module, targets in module_graph().items()
        if not module.startswith(PROCESS)
        for target in targets
        if target.startswith(("handlers", "bot.app"))
    ]
    assert not wrong, "\n".join(wrong)


def test_every_domain_package_is_wired_in_handlers() -> None:
    """A package under bot/ is a layer (core, slack, app) or a domain listed in handlers/,
    with a front door whose name is its own."""
    packages = {p.parent.name for p in (ROOT / "bot").glob("*/__init__.py")}
    assert packages - {"core", "slack", "app"} == set(DOMAINS)
    assert len(DOMAINS) == len(set(DOMAINS))


def test_every_commands_module_has_a_place_in_the_help() -> None:
    declared = [m.__name__ for d in handlers.DOMAINS for m in d.commands]
    assert sorted(declared) == sorted(handlers.HELP_ORDER)
