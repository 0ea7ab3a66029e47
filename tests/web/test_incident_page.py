"""An incident's page over real HTTP: its checklists with the ticked items, its alerts and the
pages sent, edits and deletions as the postmortem draft shows them, and similar incidents, a
private one only for members of its channel; every user text escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from storage.models.alerts import Alert, AlertGroup, PageEvent
from storage.models.checklists import ChecklistItem
from storage.models.paging import PageEscalation, PageNotification
from storage.models.timeline import TimelineEntry, TimelineRevision
from tests.conftest import RunningBot
from tests.support.fake_slack import FakeSlack
from tests.support.fake_slack_openid import FakeSlackOpenID
from tests.support.learning_helpers import Past, seed
from tests.support.web_helpers import Browser

DAY = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
HOSTILE = "<script>alert(1)</script>"


async def _seed(bot: RunningBot, fake: FakeSlack) -> dict[str, int]:
    fake.add_user("U900", profile={"display_name": "ada"})
    fake.add_user("U333", profile={"display_name": "grace"})
    room = fake.add_channel("CPRIV9", "inc-ledger", is_private=True, bot_member=True)
    room.members.add("U222")
    main = await seed(bot, Past("Ledger replication lagged", declared_at=DAY, tags="database"))
    earlier = await seed(bot, Past("Ledger replication lagged in March", declared_at=DAY))
    hidden = await seed(
        bot,
        Past(
            "Ledger replication lagged on payroll",
            private=True,
            channel_id="CPRIV9",
            declared_at=DAY - timedelta(days=3),
        ),
    )
    at = DAY + timedelta(minutes=5)
    mid = main.id or 0
    async with bot.rt.db.session() as session:
        session.add_all(
            [
                ChecklistItem(incident_id=mid, checklist="Database", position=1,
                              text="Freeze writes " + HOSTILE, done_by="U333", done_at=at),
                ChecklistItem(incident_id=mid, checklist="Database", position=2,
                              text="Check the replica lag"),
            ]
        )  # fmt: skip
        group = AlertGroup(
            source="alertmanager", key_hash="k1", group_key="{}:{alertname=ReplicaLag}",
            title="ReplicaLag " + HOSTILE, severity="sev2", incident_id=mid,
            first_starts_at=DAY, links='[["Runbook", "https://runbooks.example/lag"], '
            '["bad", "javascript:alert(1)"]]',
        )  # fmt: skip
        session.add(group)
        await session.flush()
        session.add(
            Alert(group_id=group.id or 0, fingerprint="f1", status="firing",
                  name="ReplicaLag db-2", starts_at=DAY)
        )  # fmt: skip
        session.add(
            PageEvent(incident_id=mid, service="ledger-db", event_action="trigger",
                      dedup_key="d1", summary="Ledger lag", severity="error",
                      requested_by="U900", state="sent", sent_at=at)
        )  # fmt: skip
        esc = PageEscalation(
            incident_id=mid, service="ledger", policy="storage", message="please look",
            requested_by="U900", due_at=at, status="acknowledged", created_at=at,
            acked_by="U333", acked_at=at + timedelta(minutes=2),
        )  # fmt: skip
        session.add(esc)
        await session.flush()
        session.add(PageNotification(escalation_id=esc.id or 0, round=0, level=0, user_id="U333"))
        edited = TimelineEntry(
            incident_id=mid, kind="message", author_id="U900", text="the lag is 40s now",
            occurred_at=at, edited_at=at + timedelta(minutes=1),
        )  # fmt: skip
        session.add_all(
            [
                edited,
                TimelineEntry(incident_id=mid, kind="message", author_id="U333", text="",
                              occurred_at=at + timedelta(minutes=2),
                              deleted_at=at + timedelta(minutes=3), deleted_by="U333"),
            ]
        )  # fmt: skip
        await session.flush()
        session.add(
            TimelineRevision(entry_id=edited.id or 0, text="the lag is 4s " + HOSTILE,
                             replaced_at=at + timedelta(minutes=1))
        )  # fmt: skip
    return {"main": mid, "earlier": earlier.id or 0, "hidden": hidden.id or 0}


def _section(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    end = html.find("<h2", start)
    return html[start : end if end > 0 else len(html)]


def _linked(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="/incidents/(\d+)"', html)}


async def test_checklists_alerts_pages_edits_and_similar_incidents(
    web_bot: RunningBot, fake_slack: FakeSlack, browser: Browser
) -> None:
    ids = await _seed(web_bot, fake_slack)
    assert (await browser.sign_in()).status == 303
    page = await browser.get(f"/incidents/{ids['main']}")
    assert page.status == 200
    html = page.text
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html  # escaped

    checklists = _section(html, "checklists")
    assert "Database" in checklists and "Check the replica lag" in checklists
    assert "☑ Freeze writes" in checklists and "ticked by grace" in checklists
    assert "☐ Check the replica lag" in checklists

    alerts = _section(html, "alerts")
    assert "ReplicaLag db-2" in alerts and "firing" in alerts
    assert 'href="https://runbooks.example/lag"' in alerts and "javascript:" not in alerts

    pages = _section(html, "pages")
    assert "ledger-db" in pages and "PagerDuty" in pages and "by ada" in pages
    assert "policy storage" in pages and "paged: grace" in pages
    assert "acknowledged by grace" in pages

    timeline = _section(html, "timeline")
    assert "the lag is 40s now" in timeline
    assert "edited; earlier text, replaced" in timeline and "the lag is 4s" in timeline
    assert "message deleted" in timeline and "by grace" in timeline

    similar = _section(html, "similar")
    assert _linked(similar) == {ids["earlier"]}  # the private one is not told
    assert "payroll" not in html.lower()


async def test_a_member_of_the_channel_sees_the_private_similar_incident(
    web_bot: RunningBot, fake_slack: FakeSlack, provider: FakeSlackOpenID, browser: Browser
) -> None:
    ids = await _seed(web_bot, fake_slack)
    provider.user = "U222"
    assert (await browser.sign_in()).status == 303
    page = await browser.get(f"/incidents/{ids['main']}")
    assert _linked(_section(page.text, "similar")) == {ids["earlier"], ids["hidden"]}


async def test_names_on_the_page_are_asked_of_slack_once_not_on_every_view(
    web_bot: RunningBot, fake_slack: FakeSlack, browser: Browser
) -> None:
    ids = await _seed(web_bot, fake_slack)
    assert (await browser.sign_in()).status == 303

    def asked() -> int:
        return len(fake_slack.calls_to("users.info"))

    first = await browser.get(f"/incidents/{ids['main']}")
    assert "ticked by grace" in first.text
    after_first = asked()
    for _ in range(3):
        again = await browser.get(f"/incidents/{ids['main']}")
        assert "ticked by grace" in again.text and "by ada" in again.text
    assert asked() == after_first  # the reader is kept a minute too: no users.info at all
