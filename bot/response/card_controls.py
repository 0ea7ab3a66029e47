"""The incident card's controls and their Bolt listeners: each runs the same logic, with the
same permission checks, as the command it stands for (`/incident status|severity|commander|
communicator|resolve`). The card is the response's, all of it: its look, refresh, facts and
action ids (card.py) and these controls, which run the response's commands. Checklists,
below, refresh it through the hook response installs (bot/checklists/card_refresh.py).

Every change refreshes the card (the lifecycle and role functions do it); a refused change
refreshes it too, so a select someone moved shows the incident's real state again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.checklists.fix_verification import parse_verification, record_verification
from bot.core.errors import UserError
from bot.core.runtime import Runtime
from bot.incidents.authorize import authorize_on_incident
from bot.incidents.buttons import clicked
from bot.incidents.labels import incident_label
from bot.incidents.queries import get_incident
from bot.response.card import (
    COMMUNICATOR_ACTION,
    RESOLVE_ACTION,
    SEVERITY_ACTION,
    STATUS_ACTION,
    TAKE_COMMAND_ACTION,
    incident_of_block,
    refresh_card,
)
from bot.response.lifecycle import parse_severity, parse_status, resolve, set_severity, set_status
from bot.response.resolve_modal import CALLBACK_ID as RESOLVE_CALLBACK
from bot.response.resolve_modal import (
    WATCH_STARTS,
    ResolveSubmission,
    read_resolve_submission,
    resolve_modal,
    watch_offer,
)
from bot.response.roles import announce_role, assign_role
from bot.slack.answers import answer_user, tell_user
from bot.slack.client import slack_error_text
from storage.models.incidents import Incident


def chosen(body: dict[str, Any]) -> tuple[int | None, dict[str, Any]]:
    """(the incident the control belongs to, the action) of a card control's block_actions."""
    action = (body.get("actions") or [{}])[0]
    incident_id = incident_of_block(action.get("block_id") or "")
    if incident_id is None and (action.get("value") or "").isdigit():
        incident_id = int(action["value"])
    return incident_id, action


async def open_incident(rt: Runtime, incident_id: int | None) -> Incident:
    """The open incident a control is about, or a refusal that says why not."""
    async with rt.db.session() as session:
        incident = await get_incident(session, incident_id) if incident_id else None
    if incident is None:
        raise UserError("I can't find the incident this card belongs to any more.")
    if incident.status == "resolved":
        raise UserError(
            f"{incident_label(incident)} is resolved. Reopen it first with `/incident reopen`."
        )
    return incident


def _done(what: str, problems: list[str]) -> str | None:
    """Nothing to say when it worked (the channel sees the change); the problems if any."""
    if not problems:
        return None
    return f"{what}, but:\n" + "\n".join(f"• {p}" for p in problems)


async def _refused_refresh(rt: Runtime, incident_id: int | None) -> None:
    """Put the card back to the incident's real state after a refused change."""
    if not incident_id:
        return
    async with rt.db.session() as session:
        incident = await get_incident(session, incident_id)
    if incident is not None:
        await refresh_card(rt, incident, topic=False)


async def guarded(
    rt: Runtime,
    entry_point: str,
    user_id: str,
    incident_id: int | None,
    change: Callable[[], Awaitable[str | None]],
) -> str | None:
    """Check the person may change the incident, then run `change`; refresh the card if refused."""
    try:
        await authorize_on_incident(rt, entry_point, user_id, incident_id)
        return await change()
    except UserError:
        await _refused_refresh(rt, incident_id)
        raise


async def status_from_card(
    rt: Runtime, user_id: str, incident_id: int | None, value: str
) -> str | None:
    async def change() -> str | None:
        status = parse_status(value)
        incident = await open_incident(rt, incident_id)
        return _done(f"Status set to *{status}*", await set_status(rt, incident, status, user_id))

    return await guarded(rt, f"action:{STATUS_ACTION}", user_id, incident_id, change)


async def severity_from_card(
    rt: Runtime, user_id: str, incident_id: int | None, value: str
) -> str | None:
    async def change() -> str | None:
        severity = parse_severity(value)
        incident = await open_incident(rt, incident_id)
        problems = await set_severity(rt, incident, severity, user_id)
        return _done(f"Severity set to *{severity.upper()}*", problems)

    return await guarded(rt, f"action:{SEVERITY_ACTION}", user_id, incident_id, change)


async def role_from_card(
    rt: Runtime, actor_id: str, incident_id: int | None, role: str, person: str
) -> str | None:
    """Take command (the person who pressed it) or name the communicator (the one picked)."""

    async def change() -> str | None:
        if not person:
            raise UserError(f"Pick a person to be the {role}.")
        incident = await open_incident(rt, incident_id)
        result = await assign_role(rt, incident, role, person, actor_id)
        await announce_role(rt, result, role, actor_id)
        return _done(f"<@{person}> is now the {role}", result.problems)

    action = TAKE_COMMAND_ACTION if role == "commander" else COMMUNICATOR_ACTION
    return await guarded(rt, f"action:{action}", actor_id, incident_id, change)


async def open_resolve_form(
    rt: Runtime, user_id: str, incident_id: int | None, trigger_id: str
) -> str | None:
    async def change() -> str | None:
        incident = await open_incident(rt, incident_id)
        view = resolve_modal(incident.id or 0, incident.title, await watch_offer(rt, incident))
        try:
            await rt.client.views_open(trigger_id=trigger_id, view=view)
        except Exception as exc:
            raise UserError(
                f"I could not open the resolve form ({slack_error_text(exc)}). "
                "Resolve with `/incident resolve [summary]` instead."
            ) from exc
        return None

    return await guarded(rt, f"action:{RESOLVE_ACTION}", user_id, incident_id, change)


async def resolve_from_form(
    rt: Runtime, user_id: str, form: ResolveSubmission
) -> tuple[str | None, str | None]:
    """Resolve from the form, with its verification first if one was given (or the watch that
    will record it): (what to tell the person, the war room to tell them in)."""
    incident_id, summary, verification = form.incident_id, form.summary, form.verification
    await authorize_on_incident(rt, f"view:{RESOLVE_CALLBACK}", user_id, incident_id)
    async with rt.db.session() as session:
        incident = await get_incident(session, incident_id) if incident_id else None
    if incident is None:
        raise UserError("This form lost track of its incident; resolve with `/incident resolve`.")
    if incident.status == "resolved":
        raise UserError(
            f"{incident_label(incident)} is already resolved. `/incident reopen` if it is back."
        )
    problems: list[str] = []
    if verification:
        problems += await record_verification(
            rt, incident, user_id, parse_verification(verification)
        )
    watching = ""
    if form.watch and not verification:
        for start in WATCH_STARTS[:1]:
            try:
                watching = " " + await start(rt, incident, user_id)
            except UserError as exc:
                problems.append(str(exc))
    problems += await resolve(rt, incident, user_id, summary)
    done = _done(f"Incident #{incident.id} is resolved", problems)
    if watching:
        done = (done or f"Incident #{incident.id} is resolved.") + watching
    return done, incident.channel_id


def _picked(action: dict[str, Any]) -> str:
    return (action.get("selected_option") or {}).get("value") or ""


@dataclass(frozen=True)
class CardControl:
    """One of the card's controls: what it does, as said when it fails ("Changing the
    status"), and the change, given (runtime, who pressed it, the incident, the action, the
    whole payload)."""

    action_id: str
    doing: str
    change: Callable[
        [Runtime, str, int | None, dict[str, Any], dict[str, Any]], Awaitable[str | None]
    ]


CARD_CONTROLS = (
    CardControl(
        STATUS_ACTION,
        "Changing the status",
        lambda rt, user, incident, action, _: status_from_card(rt, user, incident, _picked(action)),
    ),
    CardControl(
        SEVERITY_ACTION,
        "Changing the severity",
        lambda rt, user, incident, action, _: severity_from_card(
            rt, user, incident, _picked(action)
        ),
    ),
    CardControl(
        TAKE_COMMAND_ACTION,
        "Taking command",
        lambda rt, user, incident, _, __: role_from_card(rt, user, incident, "commander", user),
    ),
    CardControl(
        COMMUNICATOR_ACTION,
        "Naming the communicator",
        lambda rt, user, incident, action, _: role_from_card(
            rt, user, incident, "communicator", action.get("selected_user") or ""
        ),
    ),
    CardControl(
        RESOLVE_ACTION,
        "Opening the resolve form",
        lambda rt, user, incident, _, body: open_resolve_form(
            rt, user, incident, body.get("trigger_id") or ""
        ),
    ),
)


def _card_listener(
    control: CardControl,
) -> Callable[[AsyncAck, dict[str, Any], AsyncBoltContext], Awaitable[None]]:
    async def on_control(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        rt: Runtime = context["runtime"]
        user_id, channel_id, _ = clicked(body)
        incident_id, action = chosen(body)
        async with rt.in_flight():
            await answer_user(
                rt,
                user_id,
                channel_id,
                control.doing,
                lambda: control.change(rt, user_id, incident_id, action, body),
            )

    return on_control


def register(app: AsyncApp) -> None:
    """The card's controls: each answers failures privately; the channel sees the change."""
    for control in CARD_CONTROLS:
        app.action(control.action_id)(_card_listener(control))

    @app.view(RESOLVE_CALLBACK)
    async def on_resolve_submitted(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        rt: Runtime = context["runtime"]
        user_id = body["user"]["id"]
        form = read_resolve_submission(view)
        async with rt.in_flight():

            async def work() -> None:
                text, channel_id = await resolve_from_form(rt, user_id, form)
                if text:
                    await tell_user(rt, user_id, channel_id, text)

            await answer_user(rt, user_id, None, "Resolving the incident", work)
