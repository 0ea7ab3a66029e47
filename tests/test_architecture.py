"""The import graph keeps the layout honest: dependencies point one way, with no cycles, and
no module grows past MAX_LINES.

    app (bot.app, handlers, bot.__main__) → bot.playground → domains → bot.slack → bot.core
    → storage

bot.playground (the Slack stand-in and the playground page, `python -m bot demo`) is no
Slack-facing domain: a layer of its own, just below the app that starts it.

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
RANKS["bot.playground"] = APP_RANK - 1
# Packages under bot/ that are layers, not domains.
LAYERS = {"core", "slack", "app", "playground"}
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
    """A package under bot/ is a layer (LAYERS) or a domain listed in handlers/, with a front
    door whose name is its own."""
    packages = {p.parent.name for p in (ROOT / "bot").glob("*/__init__.py")}
    assert packages - LAYERS == set(DOMAINS)
    assert len(DOMAINS) == len(set(DOMAINS))


def test_every_commands_module_has_a_place_in_the_help() -> None:
    declared = [m.__name__ for d in handlers.DOMAINS for m in d.commands]
    assert sorted(declared) == sorted(handlers.HELP_ORDER)


# ---- background loops -----------------------------------------------------------------------
# Every background loop is a bot.core.worker.Worker: only that module schedules jobs or timers.
WORKER_BASE = "bot/core/worker.py"
SCHEDULING = {"add_job", "scheduled_job", "call_later", "call_at"}
TIMERS = {"sleep", "wait_for"}  # asyncio.sleep(n), asyncio.wait_for(..., timeout): a loop's clock
# Loops that wait between tries of one piece of work and end when it is done (or a deadline
# passes): retries, not background loops. Function (qualified name) -> why it is not a Worker.
# (By name, not path, so that moving a module does not break the rule.)
RETRIES = {
    "connect_socket_mode.issue_new_wss_url": "apps.connections.open until it answers",
    "_wait_for_bookkeeping": "a click on a reminder waits up to 5 s for its bookkeeping",
    "record_sent": "records one posted prompt, until its claim's lease ends",
    "record_filed": "records one filed ticket, 10 tries",
    "Pacer.wait": "one Slack call waiting for its rate-limit token",
    "SlackAccess._watch": "auth.test with backoff until the token works again",
    "_keep_trying": "auth.test at start-up until it works",
    "FakeSlack.wait_for": "a test waits for the Slack stand-in to see something, to a deadline",
}
# The loops, each a Worker (by class name, wherever the module is).
WORKERS = {
    "AlertWorker",  # alert groups to Slack
    "PageSender",  # PagerDuty events
    "PromptScheduler",  # reminders: the poll that plans them
    "PromptSender",  # reminders: claiming and posting them
    "FatigueChecker",
    "TicketSender",  # the action-item ticket outbox
    "NudgeChecker",  # action-item nudges and the weekly digest
    "HomeRefresher",  # App Home
}


def _is_timer(node: ast.AST) -> bool:
    """`await asyncio.sleep(n)` with n not 0 (sleep(0) only yields), or `await asyncio.wait_for`."""
    if not (isinstance(node, ast.Await) and isinstance(node.value, ast.Call)):
        return False
    func = node.value.func
    if not (isinstance(func, ast.Attribute) and func.attr in TIMERS):
        return False
    args = node.value.args
    yields_only = func.attr == "sleep" and args and _literal(args[0]) == 0
    return not yields_only


def _literal(node: ast.AST) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def _own_nodes(body: list[ast.stmt]) -> list[ast.AST]:
    """The nodes of a body, not looking into functions and classes defined in it."""
    scopes = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
    found: list[ast.AST] = []
    todo: list[ast.AST] = [n for n in body if not isinstance(n, scopes)]
    while todo:
        node = todo.pop()
        found.append(node)
        todo.extend(c for c in ast.iter_child_nodes(node) if not isinstance(c, scopes))
    return found


def background_loops(source: str, path: str) -> list[str]:
    """Where `source` schedules work or loops on a timer by itself, instead of being a Worker."""
    found = []

    scopes = ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef

    def visit(node: ast.AST, scope: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = scope
            if isinstance(child, scopes):
                inner = f"{scope}.{child.name}" if scope else child.name
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) and inner not in RETRIES:
                for loop in _own_nodes(child.body):
                    if isinstance(loop, ast.While | ast.For | ast.AsyncFor) and any(
                        _is_timer(n) for n in _own_nodes(loop.body)
                    ):
                        found.append(f"{path}:{loop.lineno} loops on a timer in {inner}()")
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr in SCHEDULING
            ):
                found.append(f"{path}:{child.lineno} calls {child.func.attr}")
            visit(child, inner)

    visit(ast.parse(source), "")
    return found


def _sources() -> dict[str, str]:
    return {
        str(path.relative_to(ROOT)): path.read_text()
        for package in ("bot", "handlers", "storage")
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def test_every_background_loop_is_a_worker() -> None:
    found = [
        problem
        for path, source in _sources().items()
        if path != WORKER_BASE
        for problem in background_loops(source, path)
    ]
    assert found == [], "make it a bot.core.worker.Worker: " + "; ".join(found)


def test_the_loops_are_workers_and_the_retries_are_still_retries() -> None:
    sources = _sources()
    bases = {
        node.name: [ast.unparse(b) for b in node.bases]
        for source in sources.values()
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ClassDef)
    }
    assert {w: bases.get(w) for w in WORKERS} == {w: ["Worker"] for w in WORKERS}
    saved = dict(RETRIES)
    try:  # each allowed retry still exists and still loops on a timer (no stale entries)
        RETRIES.clear()
        loops = [p for path, source in sources.items() for p in background_loops(source, path)]
        stale = [f for f in saved if not any(p.endswith(f" in {f}()") for p in loops)]
        assert stale == [], f"no longer retry loops, remove them from RETRIES: {stale}"
    finally:
        RETRIES.update(saved)


def test_a_hand_rolled_loop_is_found() -> None:
    """The rule catches the shapes the loops had before the worker base."""
    scheduled = (
        "class Sender:\n"
        "    async def start(self, rt):\n"
        "        rt.scheduler.add_job(self.poll, 'interval', seconds=1, id='poll')\n"
    )
    sleeping = (
        "class Sender:\n"
        "    async def _loop(self):\n"
        "        while not self._stopping:\n"
        "            await self.poll()\n"
        "            await asyncio.sleep(POLL_SECONDS)\n"
    )
    waiting = (
        "async def watch(stop):\n"
        "    while True:\n"
        "        try:\n"
        "            await asyncio.wait_for(stop.wait(), timeout=5)\n"
        "        except TimeoutError:\n"
        "            await poll()\n"
    )
    timer = "def later(loop):\n    loop.call_later(5, poll)\n"
    yielding = "async def drain():\n    while queue:\n        await asyncio.sleep(0)\n"
    assert background_loops(scheduled, "x.py") == ["x.py:3 calls add_job"]
    assert background_loops(sleeping, "x.py") == ["x.py:3 loops on a timer in Sender._loop()"]
    assert background_loops(waiting, "x.py") == ["x.py:2 loops on a timer in watch()"]
    assert background_loops(timer, "x.py") == ["x.py:2 calls call_later"]
    assert background_loops(yielding, "x.py") == []


MAX_LINES = 450  # a module longer than this holds more than one idea: split it


def test_no_module_is_longer_than_it_should_be() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for package in ("bot", "handlers", "storage")
        for path in (ROOT / package).rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"over {MAX_LINES} lines: {long}"
