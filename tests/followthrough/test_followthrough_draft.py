"""The draft and the form carry the follow-through: criteria, states, tickets, waivers and
the prevention classes no item covers."""

from __future__ import annotations

from sqlmodel import select

from storage.models.postmortem import ActionItem
from tests.conftest import RunningBot, StartBot
from tests.postmortem.test_postmortem_modal import open_modal, select_, submit, text_
from tests.support.fake_github import FakeGitHub
from tests.support.followthrough_helpers import (
    due,
    github_bot,
    github_fixture,  # noqa: F401
    items,
    wait_ticket_state,
)
from tests.support.postmortem_helpers import ask, declare_here, uploaded


def _section(doc: str, heading: str) -> str:
    start = doc.index(heading)
    end = doc.find("\n## ", start + 1)
    return doc[start : end if end != -1 else None]


async def test_the_draft_shows_states_tickets_criteria_waivers_and_missing_classes(
    start_bot: StartBot, fake_github: FakeGitHub
) -> None:
    bot = await github_bot(start_bot, fake_github)
    await declare_here(bot)
    await ask(
        bot,
        f"action P0 <@U222|bob> {due()} Block config deploys without a schema check "
        "#automation. Done when: a bad config | fails CI",
    )
    await ask(bot, f"action P1 <@U333|cy> {due()} Page on checkout 500s over 2 percent")
    await ask(bot, f"action P2 <@U333|cy> {due()} Write the config rollback runbook #documentation")
    await wait_ticket_state(bot, fake_github, "filed", count=2)
    await ask(bot, "waive 1 Hotfix for the payment outage")
    await ask(bot, "done 2 the page fired in the drill")
    await ask(bot, "done 3")
    await ask(bot, "draft")
    doc = await uploaded(bot, ".md")
    actions = _section(doc, "## 6. Action items")
    assert "| # | Priority | Item | Owner | Due | Status | Ticket | Done when |" in actions
    assert (
        "| open, waived for deploys | [acme/ops#1](https://github.com/acme/ops/issues/1) | "
        "a bad config \\| fails CI |" in actions
    )
    assert "| verified: the page fired in the drill | [acme/ops#2]" in actions
    assert ", unverified |   |   |" in actions  # item 3: done, no ticket (P2), no criteria
    assert "P0 and P1 items without acceptance criteria: #2." in actions
    assert "P0 item #1 was waived for deploys by @u111 on " in actions
    assert ": Hotfix for the payment outage" in actions
    assert (
        "**Prevention classes without an item (a suggestion):** `#observability`, "
        "`#resilience`, `#training`." in actions
    )


async def test_every_class_covered_means_no_suggestion(bot: RunningBot) -> None:
    await declare_here(bot)
    for cls in ("automation", "observability", "resilience", "documentation", "training"):
        await ask(
            bot,
            f"action P2 <@U222|bob> {due()} Change the {cls} setup for config deploys #{cls}",
        )
    await ask(bot, "draft")
    actions = _section(await uploaded(bot, ".md"), "## 6. Action items")
    assert "Prevention classes without an item" not in actions
    assert {i.prevention_class for i in await items(bot)} == {
        "automation", "observability", "resilience", "documentation", "training",
    }  # fmt: skip


async def test_the_form_takes_acceptance_criteria_and_the_class(bot: RunningBot) -> None:
    await declare_here(bot)
    view = await open_modal(bot)
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert blocks["criteria"]["optional"] is True
    assert [o["value"] for o in blocks["prevention"]["element"]["options"]] == [
        "automation", "observability", "resilience", "documentation", "training",
    ]  # fmt: skip
    action = {
        "kind": select_("action"),
        "text": text_("Alert on queries slower than 5s"),
        "priority": select_("P1"),
        "owner": {"value": {"type": "users_select", "selected_user": "U222"}},
        "due": {"value": {"type": "datepicker", "selected_date": due()}},
        "criteria": text_("the alert fires in the staging drill"),
        "prevention": select_("observability"),
    }
    assert await submit(bot, action, view["private_metadata"]) == {}
    await bot.fake.wait_for_call("chat.postEphemeral")
    async with bot.rt.db.session() as session:
        [stored] = (await session.exec(select(ActionItem))).all()
    assert stored.text == "Alert on queries slower than 5s #observability"
    assert stored.criteria == "the alert fires in the staging drill"
    assert stored.prevention_class == "observability"
