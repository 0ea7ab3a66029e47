"""Follow a flow file by file: which domain files it enters, in order, and where it bounces.

    .venv/bin/python -m bench.flows [--with-plumbing] [--write-docs] [FLOW ...]

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
bounce, and so is calling a helper module again once it returned (an orchestrator calling its
queries twice: the shape a flow should have). A hook a later domain registered with an earlier
one (learning's similar incidents on a declare, follow-through's ticket on a new action item)
is a call into another file, a bounce only if it calls back into a file still on the stack.
"With plumbing" adds the files of bot/slack, bot/core, bot/app, storage/ and handlers/ the
flow's tasks entered, for comparison with counts that followed every file; `--with-plumbing`
lists those files too, in the order the flow first entered them.

The tracer is tests/support/flow_tracer.py. tests/project/test_flows.py holds each flow's count of
files to a ratchet and its bounces to none; `--write-docs` rewrites the file lists in
docs/architecture.md, which that test compares.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from bench.cli import bench_parser
from tests.support.flow_tracer import PLUMBING, ROOT, Trace, Tracer

ARCHITECTURE = ROOT / "docs" / "architecture.md"
START, END = "<!-- flows:start -->", "<!-- flows:end -->"

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
    from sqlalchemy import update

    from storage.models import Incident
    from storage.models.cadence import UpdatePrompt
    from storage.tables import table_of
    from storage.types import utcnow
    from tests.support.incident_steps import declare, prompts_in

    bot = bed.bot
    room = await declare(bot)
    tracer = Tracer("reminder", workers=("cadence-prompt",))
    with tracer.tracing():
        # The first reminder is an interval away (an hour): brought forward to now once the
        # tracer runs, it cannot fall due while a slow machine is still declaring.
        async with bot.rt.db.session() as session:
            await session.exec(update(table_of(Incident)).values(next_prompt_at=utcnow()))
            await session.commit()
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
    "reminder": (reminder_flow, {"update_interval_seconds": 3600}),
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
    parser.add_argument(
        "--with-plumbing",
        action="store_true",
        help="also list the plumbing files entered: " + ", ".join(PLUMBING),
    )
    args = parser.parse_args(argv)
    unknown = set(args.flows) - set(FLOWS)
    if unknown:
        parser.error(f"no such flow: {', '.join(sorted(unknown))}")
    traces = asyncio.run(trace_all(args.flows or None))
    for t in traces:
        print(t.report(with_plumbing=args.with_plumbing), end="\n\n")
    if args.write_docs:
        write_docs(traces)


if __name__ == "__main__":
    main()
