"""The tracer of bench/flows.py and tests/project/test_flows.py: which domain files a flow's
asyncio tasks enter, in order, and its bounces (a call back into a domain file still on the
task's stack below another one).

sys.setprofile, not sys.monitoring: the project runs on Python 3.11. A loop task factory notes
each task's creator and the creator's stack, so a spawned task starts from its creator's place
in the code, as a call would; only the flow's own tasks are followed (see `Tracer._in_flow`).
"""

from __future__ import annotations

import asyncio
import dis
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

_RESUME = dis.opmap["RESUME"]
_GENERATORS = 0x20 | 0x80 | 0x100 | 0x200  # CO_GENERATOR, COROUTINE, ITERABLE_COROUTINE, ASYNC_GEN


PLUMBING = ("bot/slack", "bot/core", "bot/app", "storage", "handlers")


def domain_dirs() -> dict[str, str]:
    """Absolute directory (with a trailing separator) -> its domain name, for each domain."""
    import handlers

    return {str(ROOT / "bot" / d.name) + "/": d.name for d in handlers.DOMAINS if d.name != "slack"}


@dataclass(frozen=True)
class Bounce:
    caller: str  # "bot/x/y.py:function"
    callee: str

    def __str__(self) -> str:
        return f"{self.caller} -> {self.callee}"


@dataclass
class Trace:
    name: str
    files: list[str] = field(default_factory=list)  # in order of first entry
    bounces: list[Bounce] = field(default_factory=list)
    entered_by: dict[str, str] = field(default_factory=dict)  # file -> its first call
    plumbing: list[str] = field(default_factory=list)  # bot/slack, bot/core, storage, ... entered

    def report(self, *, with_plumbing: bool = False) -> str:
        """The domain files in order with the call that first entered each, and the bounces;
        `with_plumbing` lists the plumbing files the flow entered too, in order."""
        lines = [
            f"{self.name}: {len(self.files)} domain files "
            f"({len(self.files) + len(self.plumbing)} with plumbing), {len(self.bounces)} bounces"
        ]
        lines += [f"  {n:2}. {f}  ({self.entered_by[f]})" for n, f in enumerate(self.files, 1)]
        lines += [f"  bounce: {b}" for b in self.bounces]
        if with_plumbing:
            lines.append(f"  plumbing ({len(self.plumbing)} files):")
            lines += [f"  {n:2}. {f}" for n, f in enumerate(self.plumbing, 1)]
        return "\n".join(lines)


_Frame = tuple[str, str]  # (file, function)


class Tracer:
    """sys.setprofile over the flow's tasks (Python 3.11 has no sys.monitoring)."""

    def __init__(self, name: str, workers: tuple[str, ...] = ()) -> None:
        self.trace = Trace(name)
        self.workers = set(workers)
        self._dirs = domain_dirs()
        self._where: dict[str, str] = {}  # filename -> repo path; "" plumbing, "-" neither
        # Not all of bot/: the playground's stand-in for Slack (bot/playground) is a fake.
        self._plumbing = {str(ROOT / d) + "/" for d in PLUMBING}
        self._stacks: dict[asyncio.Task[Any], list[_Frame]] = {}
        self._parents: dict[asyncio.Task[Any], tuple[asyncio.Task[Any] | None, list[_Frame]]] = {}
        self._member: dict[asyncio.Task[Any], bool] = {}
        self._driver: asyncio.Task[Any] | None = None
        self._seen: set[str] = set()

    # ---- which tasks --------------------------------------------------------------------
    def _factory(self, loop: asyncio.AbstractEventLoop, coro: Any, **kw: Any) -> asyncio.Task:
        parent = asyncio.current_task(loop)
        # An eager task (3.12+) would run its first step before it is known here: while
        # tracing, every task starts on the loop's next turn.
        kw.pop("eager_start", None)
        task: asyncio.Task[Any] = asyncio.Task(coro, loop=loop, **kw)
        stack = list(self._stacks.get(parent, ())) if parent is not None else []
        self._parents[task] = (parent, stack)
        return task

    def _in_flow(self, task: asyncio.Task[Any]) -> bool:
        known = self._member.get(task)
        if known is not None:
            return known
        if task is self._driver or task not in self._parents:
            member = False  # the driver, or a task older than the flow
        elif task.get_name() in self.workers:
            member = True
        elif task.get_coro().__qualname__ == "RequestHandler._handle_request":  # type: ignore[union-attr]  # a coroutine has one
            member = True
        else:
            parent = self._parents[task][0]
            member = parent is not None and self._in_flow(parent)
        self._member[task] = member
        if member:
            parent, stack = self._parents[task]
            inherit = parent is not None and self._member.get(parent, False)
            self._stacks[task] = stack if inherit else []
        return member

    # ---- the profile hook ---------------------------------------------------------------
    def _file(self, filename: str) -> str:
        """The repo path of a domain file; "" for our plumbing (noted once entered by the
        flow, for the count with plumbing); "-" for the rest (libraries, tests, bench)."""
        where = self._where.get(filename)
        if where is None:
            where = "-"
            if any(filename.startswith(d) for d in self._dirs):
                where = str(Path(filename).relative_to(ROOT))
            elif any(filename.startswith(d) for d in self._plumbing):
                where = ""
            self._where[filename] = where
        return where

    def _plumbing_entered(self, filename: str) -> None:
        try:
            task = asyncio.current_task()
        except RuntimeError:
            return
        if task is not None and self._in_flow(task):
            self._where[filename] = "-"  # once is enough
            self.trace.plumbing.append(str(Path(filename).relative_to(ROOT)))

    def _profile(self, frame: FrameType, event: str, arg: Any) -> None:
        if event != "call" and event != "return":
            return
        code = frame.f_code
        where = self._where.get(code.co_filename)
        if where is None:
            where = self._file(code.co_filename)
        if where == "-":
            return
        if not where:
            if event == "call":
                self._plumbing_entered(code.co_filename)
            return
        try:
            task = asyncio.current_task()
        except RuntimeError:
            return
        if task is None or not self._in_flow(task):
            return
        stack = self._stacks[task]
        if event == "return":
            if stack:
                stack.pop()
            return
        here = (where, code.co_qualname)
        fresh = True
        if code.co_flags & _GENERATORS:
            at = frame.f_lasti
            # RESUME's oparg: 0 at the start, 1-3 after a yield or an await (3.13 adds flags
            # above the two low bits).
            fresh = code.co_code[at] != _RESUME or code.co_code[at + 1] & 3 == 0
        if fresh:
            self._entered(stack, here)
        stack.append(here)

    def _entered(self, stack: list[_Frame], here: _Frame) -> None:
        caller = stack[-1] if stack else None
        if caller is not None and caller[0] == here[0]:
            return  # within one file
        if here[0] not in self._seen:
            self._seen.add(here[0])
            self.trace.files.append(here[0])
            came = f"{caller[1]} -> " if caller else ""
            self.trace.entered_by[here[0]] = came + here[1]
        if any(f == here[0] for f, _ in stack):
            assert caller is not None
            self.trace.bounces.append(Bounce(":".join(caller), ":".join(here)))

    # ---- the window ---------------------------------------------------------------------
    @contextmanager
    def tracing(self) -> Iterator[Trace]:
        loop = asyncio.get_running_loop()
        self._driver = asyncio.current_task()
        before = loop.get_task_factory()
        profile = sys.getprofile()
        loop.set_task_factory(self._factory)  # type: ignore[arg-type]  # asyncio's own Task
        sys.setprofile(self._profile)
        try:
            yield self.trace
        finally:
            sys.setprofile(profile)
            loop.set_task_factory(before)

    async def settle(self, timeout: float = 10.0) -> None:
        """Until every task of the flow is done (the flow's work after its answers)."""
        deadline = time.monotonic() + timeout
        while True:
            await asyncio.sleep(0.1)
            going = [t for t, member in self._member.items() if member and not t.done()]
            if not going:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.trace.name}: tasks still going: {going}")
