"""Follow a flow file by file: which domain files it enters, in order, and where it bounces.

    .venv/bin/python -m bench.flows [--write-docs]

Four flows, each on a real bot of its own (a fresh SQLite database, the tests' fake Slack Web
API, the fake GitHub), driven over real HTTP as the tests drive them:

- `declare`: `/incident declare sev2 ...` until the war room is ready;
- `alert`: a critical Alertmanager group posted to /alerts/alertmanager until it is an incident
  with its alert card;
- `ticket`: `/postmortem action P0 ...` until its GitHub issue is filed, then the issue's
  `closed` webhook until the item is done and its owner asked how it was verified;
- `reminder`: an incident's status-update reminder falling due until it is posted.

What is traced: only the flow's own asyncio tasks. A task belongs to the flow when it handles
an HTTP request the bot got during the flow, or is a run of a worker the flow names (the
reminder's sender, the ticket outbox, the alert worker), or was created by a task of the flow
(a spawned task starts from its creator's place in the code, as a call would). The driver's
own task, the fakes' work and every other background loop are left out.

What is counted: only files of the domain packages (`bot/<domain>/` for each domain that
handlers/__init__.py lists in DOMAINS, but not `bot/slack/`). bot/slack, bot/core, bot/app,
storage/, handlers/, the tests' fakes and the libraries are plumbing every flow shares (Bolt
calling a listener, the database session, the worker base): a flow passes through them without
that saying anything about how its own orchestration reads, so a call through them counts as a
call from the domain file below them to the domain file above.

A *bounce* is a call (not a return, not the resumption of an awaiting coroutine) that enters a
domain file which is still on the flow's stack below another domain file: the flow left that
file by a call and comes back into it before the call returned (a callback, or a helper calling
back into its caller's module). Going back to a file by returning to it is reading on, not a
bounce. tests/project/test_flows.py holds each flow's count of files to a ratchet and its
bounces to none; `--write-docs` rewrites the file lists in docs/architecture.md, which that
test compares.
"""

from __future__ import annotations

import asyncio
import dis
import re
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from sqlmodel import col, select

from bench.cli import bench_parser

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = ROOT / "docs" / "architecture.md"
START, END = "<!-- flows:start -->", "<!-- flows:end -->"

_RESUME = dis.opmap["RESUME"]
_GENERATORS = 0x20 | 0x80 | 0x100 | 0x200  # CO_GENERATOR, COROUTINE, ITERABLE_COROUTINE, ASYNC_GEN


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

    def report(self) -> str:
        lines = [
            f"{self.name}: {len(self.files)} domain files "
            f"({len(self.files) + len(self.plumbing)} with plumbing), {len(self.bounces)} bounces"
        ]
        lines += [f"  {n:2}. {f}  ({self.entered_by[f]})" for n, f in enumerate(self.files, 1)]
        lines += [f"  bounce: {b}" for b in self.bounces]
        return "\n".join(lines)


_Frame = tuple[str, str]  # (file, function)


class Tracer:
    """sys.setprofile over the flow's tasks (Python 3.11 has no sys.monitoring)."""

    def __init__(self, name: str, workers: tuple[str, ...] = ()) -> None:
        self.trace = Trace(name)
        self.workers = set(workers)
        self._dirs = domain_dirs()
        self._where: dict[str, str] = {}  # filename -> repo path; "" plumbing, "-" neither
        self._plumbing = {str(ROOT / d) + "/" for d in ("bot", "storage", "handlers")}
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


# ---- the bots -----------------------------------------------------------------------------


@dataclass
class Bed:
    """A bot with its fakes, as the tests' RunningBot plus the fake GitHub."""

    bot: Any  # tests.conftest.RunningBot
    github: Any  # tests.support.fake_github.FakeGitHub


HOOK_SECRET = "flows-github-hook-secret"


@asynccontextmanager
async def bed(url: str, **overrides: Any) -> AsyncIterator[Bed]:
    from bot.app.server import BotServer
    from tests.conftest import PEOPLE, SIGNING_SECRET, RunningBot, make_settings
    from tests.support.alert_helpers import ALERT_CHANNEL, ALERT_SETTINGS
    from tests.support.fake_github import FakeGitHub
    from tests.support.fake_slack import FakeSlack
    from tests.support.followthrough_helpers import GITHUB_TOKEN, github_settings
    from tests.support.slack_requests import SlackSender

    fake = FakeSlack()
    await fake.start()
    github = FakeGitHub(repo="acme/ops", token=GITHUB_TOKEN)
    await github.start()
    fake.add_channel("C111", "random")
    fake.add_channel("CBROADCAST", "incidents")
    fake.add_channel(ALERT_CHANNEL, "alerts")
    for person in PEOPLE:
        fake.add_user(person)
    fake.add_user(fake.bot_user_id, is_bot=True)
    settings = make_settings(
        url,
        fake,
        log_level="ERROR",
        **ALERT_SETTINGS,
        **github_settings(github, github_webhook_secret=HOOK_SECRET),
        **overrides,
    )
    server = BotServer(settings)
    await server.start()
    sender = SlackSender(f"http://127.0.0.1:{server.port}", SIGNING_SECRET, fake.response_url())
    bot = RunningBot(server, fake, sender)
    try:
        yield Bed(bot, github)
    finally:
        await bot.stop()
        await github.stop()
        await fake.stop()


# ---- the flows ----------------------------------------------------------------------------


async def declare_flow(bed: Bed) -> Trace:
    from tests.support.incident_steps import declare, posts_in

    bot = bed.bot
    await declare(bot, "Warm up")  # the declarer is seen once, as a person who uses the bot
    await asyncio.sleep(1.0)  # the incidents channel takes one post a second
    tracer = Tracer("declare")
    with tracer.tracing():
        room = await declare(bot, "Checkout down")
        await bot.fake.wait_for(lambda: posts_in(bot, room), what="the card")
        await tracer.settle()
    return tracer.trace


async def alert_flow(bed: Bed) -> Trace:
    from tests.support.alert_helpers import firing, incidents, post_alert, wait_handled

    bot = bed.bot
    tracer = Tracer("alert", workers=("alerts-poll",))
    with tracer.tracing():
        status, text = await post_alert(bot, firing())
        assert status == 200, text
        deadline = time.monotonic() + 10
        while not await incidents(bot):
            assert time.monotonic() < deadline, "the alert became no incident"
            await asyncio.sleep(0.05)
        await wait_handled(bot)
        await tracer.settle()
    return tracer.trace


async def ticket_flow(bed: Bed) -> Trace:
    import aiohttp

    from tests.support.fake_github import github_delivery
    from tests.support.followthrough_helpers import due, items, wait_ticket_state
    from tests.support.postmortem_helpers import ask, declare_here

    bot, github = bed.bot, bed.github
    await declare_here(bot)
    tracer = Tracer("ticket", workers=("ticket-outbox-poll",))
    with tracer.tracing():
        answer = await ask(
            bot,
            f"action P0 <@U222|bob> {due(7)} Alert on queries slower than 5s. "
            "Done when: the alert fires in the staging drill",
        )
        assert answer.startswith(":white_check_mark:"), answer
        await wait_ticket_state(bot, github, "filed")
        body, headers = github_delivery(HOOK_SECRET, "issues", github.issues_event(1, "closed"))
        async with aiohttp.ClientSession() as session:
            async with session.post(bot.url + "/webhooks/github", data=body, headers=headers) as r:
                assert r.status == 200, await r.text()
        [item] = await items(bot)
        assert item.status == "done", item
        await bot.fake.wait_for(
            lambda: [p for p in bot.fake.calls_to("chat.postMessage") if p["channel"] == "U222"],
            what="the owner asked how it was verified",
        )
        await tracer.settle()
    return tracer.trace


async def reminder_flow(bed: Bed) -> Trace:
    from storage.models.cadence import UpdatePrompt
    from tests.support.incident_steps import declare, prompts_in

    bot = bed.bot
    room = await declare(bot)
    tracer = Tracer("reminder", workers=("cadence-prompt",))
    with tracer.tracing():
        await bot.fake.wait_for(lambda: prompts_in(bot, room), timeout=10, what="the reminder")
        deadline = time.monotonic() + 10
        while True:  # recorded as sent
            async with bot.rt.db.session() as session:
                stmt = select(UpdatePrompt).where(col(UpdatePrompt.sent_at).is_not(None))
                if (await session.exec(stmt)).first() is not None:
                    break
            assert time.monotonic() < deadline, "the reminder was never recorded"
            await asyncio.sleep(0.05)
        await tracer.settle()
    return tracer.trace


FLOWS: dict[str, tuple[Callable[[Bed], Awaitable[Trace]], dict[str, Any]]] = {
    "declare": (declare_flow, {}),
    "alert": (alert_flow, {}),
    "ticket": (ticket_flow, {}),
    "reminder": (reminder_flow, {"update_interval_seconds": 1}),
}


async def trace(name: str, url: str) -> Trace:
    run, overrides = FLOWS[name]
    async with bed(url, **overrides) as b:
        return await run(b)


async def trace_all(names: list[str] | None = None) -> list[Trace]:
    traces = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names or list(FLOWS):
            traces.append(await trace(name, f"sqlite+aiosqlite:///{tmp}/{name}.db"))
    return traces


# ---- docs/architecture.md -----------------------------------------------------------------

DOC_FLOWS = ("declare", "alert", "ticket")
TITLES = {
    "declare": "`/incident declare`",
    "alert": "An Alertmanager alert becoming an incident",
    "ticket": "A P0 action item to its GitHub issue, and the issue's `closed` webhook back",
    "reminder": "A status-update reminder firing",
}


def docs_markdown(traces: list[Trace]) -> str:
    parts = []
    for t in traces:
        if t.name not in DOC_FLOWS:
            continue
        parts.append(f"**{TITLES[t.name]}** ({len(t.files)} files):\n")
        parts += [f"{n}. `{f}`" for n, f in enumerate(t.files, 1)]
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def documented(page: Path = ARCHITECTURE) -> str:
    text = page.read_text()
    found = re.search(re.escape(START) + r"\n(.*?)" + re.escape(END), text, re.S)
    return found.group(1) if found else ""


def write_docs(traces: list[Trace], page: Path = ARCHITECTURE) -> None:
    text = page.read_text()
    new = f"{START}\n{docs_markdown(traces)}{END}"
    pattern = re.escape(START) + r".*?" + re.escape(END)
    if not re.search(pattern, text, re.S):
        raise SystemExit(f"{page} has no {START} ... {END} markers")
    page.write_text(re.sub(pattern, lambda _: new, text, flags=re.S))


def main(argv: list[str] | None = None) -> None:
    parser = bench_parser(__doc__, prog="bench.flows")
    parser.add_argument("flows", nargs="*", help=f"the flows to follow: {', '.join(FLOWS)}")
    parser.add_argument("--write-docs", action="store_true", help="rewrite docs/architecture.md")
    args = parser.parse_args(argv)
    unknown = set(args.flows) - set(FLOWS)
    if unknown:
        parser.error(f"no such flow: {', '.join(sorted(unknown))}")
    traces = asyncio.run(trace_all(args.flows or None))
    for t in traces:
        print(t.report(), end="\n\n")
    if args.write_docs:
        write_docs(traces)


if __name__ == "__main__":
    main()
