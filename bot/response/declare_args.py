"""Parsing `/incident declare [--here] [--private] [--drill] [--service <name>] [sev1..sev4]
<title>`. The service is checked against the catalog by the command (bot/incidents/services.py),
which this pure parser does not read."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.errors import UserError
from bot.slack.text import excerpt, unescape
from storage.models.incidents import SEVERITIES

MAX_TITLE = 200


@dataclass(frozen=True)
class DeclareArgs:
    title: str
    severity: str
    here: bool = False
    private: bool = False
    drill: bool = False
    service: str | None = None  # as written; the command checks it against the catalog


def parse_declare(text: str, default_severity: str) -> DeclareArgs | None:
    """Read the arguments. None means no title was given (the caller opens the modal).

    Flags and the severity may come in any order before the title. Raises UserError on
    unknown flags or an over-long title.
    """
    words = text.split()
    here = private = drill = False
    severity: str | None = None
    service: str | None = None
    while words:
        word = words[0].lower()
        if word == "--service" or word.startswith("--service="):
            service = _service(words)
            continue
        if word == "--here":
            here = True
        elif word == "--private":
            private = True
        elif word == "--drill":
            drill = True
        elif word in SEVERITIES and severity is None:
            severity = word
        elif word.startswith("--"):
            raise UserError(
                f"`{excerpt(unescape(words[0]))}` is not an option of `/incident declare`. "
                "Options: `--here` (use this channel), `--private` (a private channel), "
                "`--drill` (a game day: practice, left out of stats and search), "
                "`--service <name>` (the service it is about)."
            )
        else:
            break
        words.pop(0)
    if here and private:
        raise UserError(
            "`--here` and `--private` don't go together: `--here` uses this channel as it is."
        )
    title = unescape(" ".join(words)).strip()
    if len(title) > MAX_TITLE:
        raise UserError(f"That title is {len(title)} characters; keep it under {MAX_TITLE}.")
    if not title:
        return None
    return DeclareArgs(
        title=title,
        severity=severity or default_severity,
        here=here,
        private=private,
        drill=drill,
        service=service,
    )


def _service(words: list[str]) -> str:
    """`--service checkout` or `--service=checkout`: the name, taken off `words`."""
    flag = words.pop(0)
    _, eq, name = flag.partition("=")
    if not eq:
        name = words.pop(0) if words else ""
    name = unescape(name).strip()
    if not name or name.startswith("--"):
        raise UserError("`--service` needs a service's name: `--service checkout`.")
    return name
