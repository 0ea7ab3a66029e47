"""The playground's workspace: its people, its channels, and the stand-in seeded with them.

The people cover what the bot treats differently: a full member, a second responder, a guest
(refused), and someone in another time zone (handoffs, reminders in their hours).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.playground.standin.api import FakeSlack

TEAM_ID = "T111"  # the stand-in's workspace (auth.test)
INCIDENTS = "CINCIDENTS"
GENERAL = "CGENERAL"


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    role: str
    tz: str = "Europe/London"
    guest: bool = False


PEOPLE = (
    Person("UDEMOANA", "ana", "member"),
    Person("UDEMOBEN", "ben", "second responder", tz="America/New_York"),
    Person("UDEMOGUS", "gus", "guest", guest=True),
    Person("UDEMOKIRI", "kiri", "member in another time zone", tz="Pacific/Auckland"),
)
BY_ID = {p.id: p for p in PEOPLE}


def seed(standin: FakeSlack) -> None:
    """The channels and people a fresh workspace has: #incidents (the bot not yet in it, as
    the README's setup leaves it) and #general, everyone a member of both."""
    for channel_id, name in ((INCIDENTS, "incidents"), (GENERAL, "general")):
        channel = standin.add_channel(channel_id, name)
        channel.members.update(p.id for p in PEOPLE)
    for person in PEOPLE:
        standin.add_user(
            person.id,
            tz=person.tz,
            real_name=person.name.title(),
            is_restricted=person.guest,
            profile={
                "display_name": person.name,
                "real_name": person.name.title(),
                "email": f"{person.name}@example.com",
            },
        )
    standin.add_user(standin.bot_user_id, is_bot=True, real_name="Sisyphus")
